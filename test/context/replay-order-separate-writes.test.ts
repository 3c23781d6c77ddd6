/**
 * Callers of separate writes that land close together, on a store that answers within microtasks (the test
 * runner's): a lane's step ends and its caller goes on alone, and another lane's step, begun before, ends within the
 * microtasks that caller's continuation runs before its next call. A replay lets the second go only after the
 * first's rounds (write-releases.ts, a lone release with others running); on a first run it went at once and took
 * the next id, and the replay failed as non-deterministic (57 of 186 cells of the grid below, and most seeds of the
 * fuzz, failed before). Step bodies here do plain microtask work only (an `async` body that computes): their ends
 * land between the rounds, not a timer apart. FUZZ_SEEDS widens the fuzz.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { runSeparateLanes, separateLanes } from "./replay-fuzz-separate.ts"
import { plain, runFuzzSeed } from "./replay-fuzz-runs.ts"

const SEEDS = Number(process.env.FUZZ_SEEDS ?? 150)

/** One lane's step, its continuation `n` microtasks long before its next step, beside a step whose body takes `k`. */
const pair = (n: number, k: number) =>
  durable("pair", async (_: unknown, ctx) => {
    const r = await Promise.all([
      (async () => {
        await ctx.step("s0", async () => 1)
        await plain(n)
        return ctx.step("p", async () => 1)
      })(),
      (async () => {
        await ctx.step("a", async () => {
          await plain(k)
          return 2
        })
        return ctx.step("a2", async () => 2)
      })()
    ])
    await ctx.wait("cool-off", { seconds: 5 })
    return r
  })

/** The fuzz's handler for a seed: its lanes side by side, then a wait. */
const fuzzed = (seed: number) => {
  const lanes = separateLanes(seed)
  const name = `separate-${seed}`
  return {
    name,
    fn: durable(name, async (_: unknown, ctx: DurableContext) => {
      const r = await runSeparateLanes(ctx, lanes)
      await ctx.wait("cool-off", { seconds: 5 })
      return r
    })
  }
}

describe("replay order of callers of separate writes", () => {
  it("a continuation of a few microtasks takes its next id before a step that ended within them, on both runs", async () => {
    const failed: Array<string> = []
    for (const n of [0, 5, 10, 20, 30]) {
      for (let k = 0; k <= 60; k += 4) {
        const runner = createTestRunner({ functions: [pair(n, k)] })
        try {
          const calm = await runner.run("pair")
          const evicted = await runner.start("pair")
          await evicted.evict()
          await runner.fireAt(evicted.executionId, evicted.now.getTime() + 5_000)
          await evicted.settle()
          const crashed = await runner.run("pair", undefined, { crashAtEveryCheckpoint: true })
          for (const [mode, run] of [["calm", calm], ["evicted", evicted], ["crashed", crashed]] as const) {
            if (run.status !== "SUCCEEDED") failed.push(`n=${n} k=${k} ${mode}: ${run.status} ${run.error?.errorMessage}`)
          }
        } finally {
          await runner.dispose()
        }
      }
    }
    assert.deepStrictEqual(failed, [])
  })

  it(`replays ${SEEDS} seeds of lanes whose step bodies end within microtasks as they ran`, async () => {
    const differed: Array<string> = []
    for (let seed = 0; seed < SEEDS; seed++) {
      const { fn, name } = fuzzed(seed)
      const calm = await runFuzzSeed(fn, name, seed, "none", true)
      if (calm.status !== "SUCCEEDED") {
        differed.push(`seed ${seed} calm: ${calm.status} ${calm.error}`)
        continue
      }
      for (const mode of ["after-completion", "crash"] as const) {
        const run = await runFuzzSeed(fn, name, seed, mode, true)
        if (run.status !== "SUCCEEDED" || JSON.stringify(run.result) !== JSON.stringify(calm.result)) {
          differed.push(`seed ${seed} ${mode}: ${run.status} ${run.error ?? "result differs"}`)
        }
      }
    }
    assert.deepStrictEqual(differed, [])
  })
})
