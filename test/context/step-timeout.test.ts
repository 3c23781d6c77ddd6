import { assert, describe, it } from "@effect/vitest"
import { createRetryStrategy, durable, InvalidDurationError, retryPresets, StepError, StepTimeoutError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** A body that hangs until its signal fires, then rejects with the signal's reason, as fetch does. */
const hangUntilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }))

describe("ctx.step with a timeout", () => {
  it("fails an attempt that runs too long with StepTimeoutError, fires its signal, and retries it by the strategy", async () => {
    const reasons: Array<unknown> = []
    const fn = durable("slow-then-fast", async (_: unknown, ctx) =>
      ctx.step("call", async ({ attempt, signal }) => {
        signal.addEventListener("abort", () => reasons.push(signal.reason), { once: true })
        if (attempt < 3) return hangUntilAborted(signal)
        return `answered on attempt ${attempt}`
      }, { timeout: { seconds: 0.05 }, retryStrategy: createRetryStrategy({ maxAttempts: 3 }) }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("slow-then-fast")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "answered on attempt 3")
    assert.strictEqual(execution.getOperation("call")!.attempt, 3)
    const failures = execution.history.flatMap((e) => (e._tag === "StepFailed" ? [[e.attempt, e.error.errorType, e.nextAttemptAt !== undefined]] : []))
    assert.deepStrictEqual(failures, [[1, "StepTimeoutError", true], [2, "StepTimeoutError", true]])
    assert.strictEqual(reasons.length, 2)
    assert.ok(reasons.every((r) => r instanceof StepTimeoutError))
    await runner.dispose()
  })

  it("with no retries left the step fails with a StepError caused by StepTimeoutError, even if the body never settles", async () => {
    let caught: unknown
    const fn = durable("hangs", async (_: unknown, ctx) => {
      try {
        await ctx.step("never", () => new Promise<never>(() => undefined), { timeout: { seconds: 0.05 }, retryStrategy: retryPresets.noRetry })
      } catch (error) {
        caught = error
      }
      return ctx.step("after", () => "went on")
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("hangs")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "went on")
    assert.instanceOf(caught, StepError)
    assert.isTrue(StepError.isCausedBy(caught, StepTimeoutError))
    assert.match((caught as Error).message, /timed out after 50 ms/)
    assert.strictEqual(execution.getOperation("never")!.status, "FAILED")
    await runner.dispose()
  })

  it("leaves a step that finishes in time alone: its signal does not fire", async () => {
    let aborted: boolean | undefined
    const fn = durable("quick", async (_: unknown, ctx) =>
      ctx.step("fast", async ({ signal }) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        aborted = signal.aborted
        return "ok"
      }, { timeout: { seconds: 5 } }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("quick")
    assert.strictEqual(execution.result, "ok")
    assert.strictEqual(aborted, false)
    assert.deepStrictEqual(execution.history.filter((e) => e._tag === "StepFailed"), [])
    await runner.dispose()
  })

  it("refuses a timeout that is not a positive duration of at most 24 days, writing nothing for it", async () => {
    const errors: Array<unknown> = []
    const fn = durable("bad-timeout", async (_: unknown, ctx) => {
      for (const timeout of [{ seconds: 0 }, { days: 30 }, { minutes: -1 }]) {
        try {
          await ctx.step("x", () => 1, { timeout })
        } catch (error) {
          errors.push(error)
        }
      }
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("bad-timeout")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(errors.length, 3)
    assert.ok(errors.every((e) => e instanceof InvalidDurationError))
    assert.deepStrictEqual(execution.operations, [])
    await runner.dispose()
  })
})
