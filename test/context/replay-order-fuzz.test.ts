/**
 * A seeded fuzz of replay order: lanes of callbacks, waitForCallbacks, steps and maps run side by side, each lane
 * awaiting one operation at a time; the callbacks are completed from outside in a seeded order, and the execution
 * is evicted at each completion (a cold replay then). Its outcome must be the one of a run without evictions.
 * It found a child context's caller going on before the steps whose appends came before its outcome (child-context.ts),
 * and, with child contexts that fail at once or run a step, that caller going on before the callers of a write just
 * made, or after a later one (write-releases.ts: 92 of 4,000 runs failed before, 2,000 seeds); with callbacks whose
 * ids are handed out in a step, a callback's creation settling on replay before the ends written ahead of its start
 * (replay-order.ts creation turns: 323 of 4,000 runs failed before); with steps that fail and are caught and
 * `ctx.now()`, the callers of operations that ended in one write going on together, in the depth of their promise
 * chains, where a replay lets them go one at a time (write-releases.ts pacing: 74 of 2,000 runs failed before,
 * 1,000 seeds); with lanes that await plain work before a call, a replay letting the first recorded operation go
 * before a body's lanes had made their first calls (`bodyStarted`: 62 of 2,000 runs failed before), and two
 * children failing side by side going on together (seed 1890). FUZZ_SEEDS=3000 passes.
 */
import { assert, describe, it } from "@effect/vitest"
import { handlerOf, lanesOf } from "./replay-fuzz-lanes.ts"
import { type FuzzMode, runFuzzSeed } from "./replay-fuzz-runs.ts"

/** About 2 s here; FUZZ_SEEDS=3000 for a longer look (about 20 s; none fails). */
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 200)

const runSeed = (seed: number, mode: FuzzMode) => runFuzzSeed(handlerOf(`fuzz-${seed}`, lanesOf(seed)), `fuzz-${seed}`, seed, mode, false)

describe("replay order under a seeded fuzz", () => {
  it(`replays ${SEEDS} seeds of lanes side by side as they ran, evicted at every completion`, { timeout: 60_000 }, async () => {
    const failures: Array<string> = []
    for (let seed = 0; seed < SEEDS; seed++) {
      const calm = await runSeed(seed, "none")
      assert.strictEqual(calm.status, "SUCCEEDED", `seed ${seed}: ${calm.error}`)
      for (const evictions of ["after-completion", "before-completion"] as const) {
        const evicted = await runSeed(seed, evictions)
        if (JSON.stringify(evicted) !== JSON.stringify(calm)) failures.push(`seed ${seed}, evicted ${evictions}: ${evicted.status} ${evicted.error ?? ""}`)
      }
    }
    assert.deepStrictEqual(failures, [])
  })
})
