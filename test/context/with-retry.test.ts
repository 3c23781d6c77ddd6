import { assert, describe, it } from "@effect/vitest"
import { ChildContextError, createRetryStrategy, durable, JitterStrategy, retryPresets, StepError, withRetry } from "../../src/index.ts"
import type { DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const strategy = (maxAttempts: number) => createRetryStrategy({ maxAttempts, initialDelay: { seconds: 10 }, jitter: JitterStrategy.NONE })

/** A block with a wait and a step that fails until attempt `succeedOn` (never when undefined). */
const shipping = (bodies: Array<number>, succeedOn: number | undefined) => async (ctx: DurableContext, attempt: number) => {
  await ctx.wait(`cool-off-${attempt}`, { seconds: 30 })
  return await ctx.step("book-courier", async () => {
    bodies.push(attempt)
    if (attempt !== succeedOn) throw new Error(`courier busy (attempt ${attempt})`)
    return `booked on attempt ${attempt}`
  }, { retryStrategy: retryPresets.noRetry })
}

describe("withRetry", () => {
  it("re-runs a block with a wait and a step, with durable backoff waits named <name>-backoff-<attempt>", async () => {
    const bodies: Array<number> = []
    const fn = durable("ship", async (_: unknown, ctx) =>
      await withRetry(ctx, "ship-order", shipping(bodies, 3), { retryStrategy: strategy(5) }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("ship")
    await execution.advanceTime({ seconds: 30 }) // attempt 1 fails; now in ship-order-backoff-1
    await execution.evict()
    await execution.settle() // replays attempt 1 from the log, then runs attempts 2 and 3

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "booked on attempt 3")
    assert.deepStrictEqual(bodies, [1, 2, 3], "no attempt's step ran twice")
    assert.strictEqual(execution.invocations, 2)
    const wrapper = execution.getOperation("ship-order")!
    assert.deepStrictEqual([wrapper.id, wrapper.type, wrapper.subType, wrapper.status], ["1", "CONTEXT", "RunInChildContext", "SUCCEEDED"])
    assert.deepStrictEqual(
      wrapper.children().map((op) => `${op.id} ${op.name} ${op.status}`),
      [
        "1-1 cool-off-1 SUCCEEDED",
        "1-2 book-courier FAILED",
        "1-3 ship-order-backoff-1 SUCCEEDED",
        "1-4 cool-off-2 SUCCEEDED",
        "1-5 book-courier FAILED",
        "1-6 ship-order-backoff-2 SUCCEEDED",
        "1-7 cool-off-3 SUCCEEDED",
        "1-8 book-courier SUCCEEDED"
      ]
    )
    const backoffs = wrapper.children().filter((op) => op.name?.includes("-backoff-"))
    assert.deepStrictEqual(backoffs.map((op) => (op.waitUntil!.getTime() - op.startedAt.getTime()) / 1000), [10, 20])
    await runner.dispose()
  })

  it("gives up once the strategy says stop: ChildContextError with the last attempt's error as cause", async () => {
    const bodies: Array<number> = []
    const fn = durable("ship-fails", async (_: unknown, ctx) => {
      try {
        return await withRetry(ctx, "ship-order", shipping(bodies, undefined), { retryStrategy: strategy(2) })
      } catch (error) {
        const e = error as ChildContextError
        return { isChildContextError: e instanceof ChildContextError, message: e.message, causeIsStepError: e.cause instanceof StepError }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("ship-fails")
    assert.deepStrictEqual(execution.result, {
      isChildContextError: true,
      message: "courier busy (attempt 2)",
      causeIsStepError: true
    })
    assert.deepStrictEqual(bodies, [1, 2])
    assert.deepStrictEqual(
      execution.operations.filter((op) => op.type === "WAIT").map((op) => op.name),
      ["cool-off-1", "ship-order-backoff-1", "cool-off-2"]
    )
    assert.strictEqual(execution.getOperation("ship-order")?.status, "FAILED")
    await runner.dispose()
  })

  it("without the wrapping child context, runs in the given context and throws the last error itself", async () => {
    const bodies: Array<number> = []
    const fn = durable("ship-flat", async (_: unknown, ctx) => {
      try {
        return await withRetry(ctx, shipping(bodies, undefined), { retryStrategy: strategy(2), wrapWithRunInChildContext: false })
      } catch (error) {
        return { name: (error as Error).name, message: (error as Error).message }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("ship-flat")
    assert.deepStrictEqual(execution.result, { name: "StepError", message: "courier busy (attempt 2)" })
    assert.deepStrictEqual(
      execution.operations.map((op) => `${op.id} ${op.type} ${op.name ?? "(unnamed)"}`),
      ["1 WAIT cool-off-1", "2 STEP book-courier", "3 WAIT (unnamed)", "4 WAIT cool-off-2", "5 STEP book-courier"]
    )
    await runner.dispose()
  })
})
