/**
 * The replay fuzz (test/context/replay-order-fuzz.test.ts) on the Node host over a real SQLite file, whose group
 * commit answers writes a turn of the event loop later than the test runner's store: each seed runs calm and evicted
 * before every callback's completion, and the two must end alike. On the session's starting tree before the first
 * run kept the replay's order for the callers of one write and for a body's start, 63 of 1,000 seeds differed.
 */
import { assert, describe, it } from "@effect/vitest"
import { sqlitePorts } from "../../../adapters/node/sqlite-ports.ts"
import { startHost } from "../../../src/host/index.ts"
import { handlerOf, lanesOf } from "../../context/replay-fuzz-lanes.ts"
import { random } from "../../context/replay-fuzz-runs.ts"
import { openStore } from "./sqlite-fixture.ts"

/** About 1 s here; FUZZ_SEEDS=1000 for a longer look (none differs). */
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 150)

type Host = Awaited<ReturnType<typeof startHost>>

/** Runs seed's handler to its end, completing its callbacks in the seeded order; what both runs should agree on. */
const run = async (host: Host, seed: number, evict: boolean) => {
  const executionId = `fuzz-${seed}-${evict ? "evicted" : "calm"}`
  const engine = host.engine
  await engine((e) => e.start({ functionName: `fuzz-${seed}`, input: null, executionId }))
  const pick = random(seed * 7 + 1)
  for (let i = 0; i < 64; i++) {
    await engine((e) => e.settle(executionId))
    const view = await engine((e) => e.describe(executionId))
    if (view.status !== "RUNNING") break
    const ops = view.operations
    const open = ops
      .filter((op) => op.type === "CALLBACK" && op.status === "STARTED")
      .map((op): [string, string] => [op.name ?? ops.find((parent) => parent.id === op.parentId)!.name!, op.callbackId!])
      .sort(([a], [b]) => (a < b ? -1 : 1))
    if (open.length === 0) break
    const [name, callbackId] = open[Math.floor(pick() * open.length)]!
    // Completed while evicted: the completion loads the log again, and the replay runs up to it.
    if (evict) await engine((e) => e.evict(executionId))
    // Refused when the replay its completion brought failed: the execution's status says why.
    await engine((e) => e.completeCallback(callbackId, { ok: true, result: JSON.stringify(name) })).catch(() => undefined)
  }
  await engine((e) => e.settle(executionId))
  const view = await engine((e) => e.describe(executionId))
  return {
    status: view.status,
    error: view.error?.errorMessage,
    result: view.result,
    // By name: a calm run lists operations in the order of their first write, which varies.
    operations: view.operations.map((op) => `${op.name}|${op.type}|${op.status}`).sort()
  }
}

describe("replay order on a SQLite file", () => {
  it(`replays ${SEEDS} seeds of lanes side by side as they ran, evicted before every completion`, { timeout: 120_000 }, async () => {
    const functions = Array.from({ length: SEEDS }, (_, seed) => handlerOf(`fuzz-${seed}`, lanesOf(seed)))
    const host = await startHost({ functions, env: () => undefined, evictEveryMs: 60_000, logging: { level: "warn", write: () => undefined } }, sqlitePorts(openStore()))
    try {
      await host.recovered
      const failures: Array<string> = []
      for (let seed = 0; seed < SEEDS; seed++) {
        const calm = await run(host, seed, false)
        assert.strictEqual(calm.status, "SUCCEEDED", `seed ${seed}: ${calm.error}`)
        const evicted = await run(host, seed, true)
        if (JSON.stringify(evicted) !== JSON.stringify(calm)) failures.push(`seed ${seed}: ${evicted.status} ${evicted.error ?? ""}`)
      }
      assert.deepStrictEqual(failures, [])
    } finally {
      await host.close()
    }
  })
})
