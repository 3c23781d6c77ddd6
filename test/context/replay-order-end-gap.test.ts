/**
 * An operation whose body has returned but whose end is not offered yet (a step with an async serdes, a
 * waitForCondition's check) is still under way (actor-session.ts `#underWay`): a map's or child's caller that goes
 * on at once in that window opens its rounds, so the step's caller, released alone just after, does not pass it. Before,
 * `a2` took the id a replay gives `p` (3 of the 4 cases failed, for some body lengths).
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { plain } from "./replay-fuzz-runs.ts"

const asyncJson = { serialize: async (v: unknown) => JSON.stringify(v), deserialize: async (d: string | undefined) => (d === undefined ? undefined : JSON.parse(d)) }
const SECOND: Record<string, (ctx: DurableContext, k: number) => Promise<unknown>> = {
  "a step with an async serdes": (ctx, k) => ctx.step("a", async () => { await plain(k); return 2 }, { serdes: asyncJson }),
  "a waitForCondition": (ctx, k) => ctx.waitForCondition("a", async (s: number) => { await plain(k); return s + 1 }, { initialState: 0, waitStrategy: () => ({ shouldContinue: false }) })
}
const FIRST: Record<string, (ctx: DurableContext) => Promise<unknown>> = {
  map: (ctx) => ctx.map("s0", [0], async () => 1),
  "child of a step": (ctx) => ctx.runInChildContext("s0", (c) => c.step("s0.0", async () => 1))
}

describe("replay order: an operation between its body's end and its append", () => {
  for (const [first, runFirst] of Object.entries(FIRST)) {
    for (const [second, runSecond] of Object.entries(SECOND)) {
      it(`a ${first} beside ${second}`, async () => {
        const failed: Array<string> = []
        for (let k = 20; k <= 50; k++) {
          const fn = durable("gap", async (_: unknown, ctx) => {
            const r = await Promise.all([
              (async () => { await runFirst(ctx); return ctx.step("p", async () => 1) })(),
              (async () => { await runSecond(ctx, k); return ctx.step("a2", async () => 2) })()
            ])
            await ctx.wait("cool-off", { seconds: 5 })
            return r
          })
          const runner = createTestRunner({ functions: [fn] })
          try {
            const evicted = await runner.start("gap")
            await evicted.evict()
            await runner.fireAt(evicted.executionId, evicted.now.getTime() + 5_000)
            await evicted.settle()
            if (evicted.status !== "SUCCEEDED") failed.push(`k=${k}: ${evicted.status} ${evicted.error?.errorMessage?.slice(0, 120)}`)
          } finally {
            await runner.dispose()
          }
        }
        assert.deepStrictEqual(failed, [])
      })
    }
  }
})
