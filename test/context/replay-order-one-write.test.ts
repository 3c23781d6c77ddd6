/**
 * Operations that end in one write: on a first run their callers used to go on together, and their continuations
 * took the next ids in the depth of their promise chains (a caught failure is longer than a result); a replay
 * settles them one at a time in the log's order, and failed as non-deterministic. Now the callers of one write that
 * share a context go on one at a time, in the log's order (write-releases.ts), while the actor holds its next write.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { createTestRunner, type TestExecution } from "../../src/testing/index.ts"

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

/** A step that fails (caught) beside one that succeeds: both end in one write. */
const caughtBesideSucceeded = durable("caught-beside-succeeded", async (_: unknown, ctx) => {
  const failing = (async () => {
    try {
      await ctx.step("fails", async () => {
        throw new Error("no")
      }, noRetry)
    } catch {}
    return ctx.step("after-fails", async () => "a")
  })()
  const succeeding = (async () => {
    await ctx.step("succeeds", async () => "b")
    return ctx.step("after-succeeds", async () => "b")
  })()
  const both = await Promise.all([failing, succeeding])
  await ctx.wait("cool-off", { seconds: 5 })
  return both
})

/**
 * Lanes of two steps side by side; on the first run the lane `at` calls `during` (once) between its steps, while the
 * callers of its write are paced and the actor holds its next write.
 */
const lanes = (name: string, count: number, at: number) => {
  const hook: { during?: ((executionId: string) => Promise<unknown>) | undefined } = {}
  const fn = durable(name, async (_: unknown, ctx) => {
    const results = await Promise.all(Array.from({ length: count }, async (_, i) => {
      const first = await ctx.step(`a${i}`, async () => i)
      const during = hook.during
      if (i === at && during !== undefined) {
        hook.during = undefined
        void during(ctx.executionId)
      }
      return first + await ctx.step(`b${i}`, async () => i)
    }))
    await ctx.wait("cool-off", { seconds: 5 })
    return results
  })
  return { fn, hook }
}

/** The top-level operations' names in the order of their ids. */
const names = (execution: TestExecution) => execution.operations.filter((op) => op.parentId === undefined).map((op) => op.name)

describe("replay order of operations that end in one write", () => {
  it("replays a failed step caught beside a succeeded one, whose ends shared a write", async () => {
    const runner = createTestRunner({ functions: [caughtBesideSucceeded] })
    try {
      const execution = await runner.start("caught-beside-succeeded")
      // The log holds "fails" first: its caller goes on first, though its chain is longer.
      assert.deepStrictEqual(names(execution), ["fails", "succeeds", "after-fails", "after-succeeds", "cool-off"])
      await execution.evict()
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["a", "b"])
    } finally {
      await runner.dispose()
    }
  })

  it("keeps the appends of callers paced one at a time in one write", async () => {
    const fn = durable("ten-lanes", async (_: unknown, ctx) =>
      Promise.all(Array.from({ length: 10 }, async (_, i) => {
        await ctx.step(`a${i}`, async () => i)
        return ctx.step(`b${i}`, async () => i)
      })))
    const runner = createTestRunner({ functions: [fn] })
    const writes: Array<number> = []
    const append = runner.store.append
    runner.store.append = (id, events, expected, options) => Effect.andThen(Effect.sync(() => writes.push(events.length)), append(id, events, expected, options))
    try {
      const execution = await runner.run("ten-lanes")
      assert.deepStrictEqual(execution.result, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      // The start, the ten a's, the ten b's, the end (which waits for Promise.all): paced without holding the next
      // write, each b went alone (13 writes).
      assert.deepStrictEqual(writes, [1, 10, 10, 1])
    } finally {
      await runner.dispose()
    }
  })

  it("carries on after the execution is evicted while callers of a write are paced", async () => {
    const { fn, hook } = lanes("evicted-while-paced", 6, 2)
    const runner = createTestRunner({ functions: [fn] })
    try {
      let evicted = false
      hook.during = (id) => runner.engine((e) => e.evict(id)).then(() => (evicted = true))
      const execution = await runner.start("evicted-while-paced")
      assert.isTrue(evicted)
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, [0, 2, 4, 6, 8, 10])
    } finally {
      await runner.dispose()
    }
  })

  it("stops when asked to while callers of a write are paced", async () => {
    const { fn, hook } = lanes("stopped-while-paced", 6, 2)
    const runner = createTestRunner({ functions: [fn] })
    try {
      hook.during = (id) => runner.engine((e) => e.stop(id, { errorType: "Stopped", errorMessage: "asked" }))
      const execution = await runner.start("stopped-while-paced")
      await execution.settle()
      assert.strictEqual(execution.status, "STOPPED")
      // What was written before the stop is kept: every lane's first step.
      for (let i = 0; i < 6; i++) assert.strictEqual(execution.getOperation(`a${i}`)?.status, "SUCCEEDED", `a${i}`)
    } finally {
      await runner.dispose()
    }
  })
})
