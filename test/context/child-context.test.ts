/**
 * A child context's outcome is queued, not awaited (child-context.ts). Code that an evicted actor or an ended
 * execution left behind still stops at that outcome, as it did at an awaited write: it starts no step body and no
 * condition check, which the fresh actor (or nobody) runs instead.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** Lets the plain timers inside the bodies below run out (a bound, not a timing the assertions rely on). */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("code left behind by a child context", () => {
  it("starts no step body once its actor was evicted while the context's body awaited a plain promise", async () => {
    let sideEffects = 0
    const fn = durable("evicted-context", async (_: unknown, ctx) => {
      await Promise.all([
        ctx.wait("later", { hours: 1 }),
        ctx.runInChildContext("slow", async () => {
          await pause(50) // a plain fetch outside a step, say: the handler counts as blocked on the wait meanwhile
          return 1
        }).then(() => ctx.step("side", async () => ++sideEffects))
      ])
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      await runner.begin("evicted-context", undefined, { executionId: "ev-1" })
      await runner.engine((e) => e.settle("ev-1"))
      assert.strictEqual(await runner.engine((e) => e.evictIdle()), 1)
      await pause(150)
      assert.strictEqual(sideEffects, 0)
      const history = await runner.engine((e) => e.history("ev-1"))
      assert.deepStrictEqual(history.map((e) => e._tag), ["ExecutionStarted", "WaitStarted", "ContextStarted"])
    } finally {
      await runner.dispose()
    }
  })

  it("runs nothing after it once the execution was stopped while its body ran", async () => {
    let afterContext = 0
    let checks = 0
    const fn = durable("stopped-context", async (_: unknown, ctx) => {
      await ctx.runInChildContext("slow", async () => {
        await pause(50)
        return 1
      })
      afterContext++
      await ctx.waitForCondition(async (state: number) => {
        checks++
        return state + 1
      }, { initialState: 0, waitStrategy: () => ({ shouldContinue: false }) })
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      await runner.begin("stopped-context", undefined, { executionId: "st-1" })
      await pause(10)
      await runner.engine((e) => e.stop("st-1"))
      await pause(150)
      assert.deepStrictEqual({ afterContext, checks }, { afterContext: 0, checks: 0 })
      const history = await runner.engine((e) => e.history("st-1"))
      assert.deepStrictEqual(history.map((e) => e._tag), ["ExecutionStarted", "ContextStarted", "ExecutionStopped"])
    } finally {
      await runner.dispose()
    }
  })
})

describe("a child context's result", () => {
  it("is read back through its serdes even when too large to store (a Date comes back a string), on the first run and on replay", async () => {
    const seen: Array<string> = []
    const fn = durable("large-child", async (_: unknown, ctx) => {
      const result = await ctx.runInChildContext("big", async () => ({ when: new Date(0), filler: "x".repeat(300 * 1024) }))
      seen.push(typeof result.when)
      await ctx.wait({ seconds: 1 })
      return seen.length
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("large-child")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.isTrue(execution.getOperation("big")!.state.replayChildren, "too large to store: its body runs again on replay")
    assert.deepStrictEqual(seen, ["string", "string"])
    await runner.dispose()
  })
})
