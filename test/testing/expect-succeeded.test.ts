/**
 * `execution.expectSucceeded()`: the result of an execution that succeeded, else an ExecutionNotSucceeded whose
 * message tells the status and the error's story (data, the user's frames, the causes), so a failed test says why.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner, ExecutionNotSucceeded } from "../../src/testing/index.ts"

const charge = durable("charge", async (input: { fail: boolean }, ctx) =>
  ctx.step("call-bank", async () => {
    if (input.fail) throw new Error("the bank declined", { cause: new TypeError("socket hang up") })
    return { charged: true }
  }, { retryStrategy: () => ({ shouldRetry: false }) }))

const approval = durable("approval", async (_: unknown, ctx) => ctx.waitForCallback("manager", async () => undefined))

describe("expectSucceeded", () => {
  it("returns the result of an execution that succeeded", async () => {
    const runner = createTestRunner({ functions: [charge] })
    const execution = await runner.run("charge", { fail: false })
    assert.deepStrictEqual(execution.expectSucceeded(), { charged: true })
    await runner.dispose()
  })

  it("throws the status and the error with its frames and causes for one that failed", async () => {
    const runner = createTestRunner({ functions: [charge] })
    const execution = await runner.run("charge", { fail: true })
    const thrown = (() => {
      try {
        execution.expectSucceeded()
      } catch (error) {
        return error
      }
    })()
    assert.instanceOf(thrown, ExecutionNotSucceeded)
    const error = thrown as ExecutionNotSucceeded
    assert.strictEqual(error.status, "FAILED")
    assert.strictEqual(error.error?.errorMessage, "the bank declined")
    const lines = error.message.split("\n")
    assert.match(lines[0]!, new RegExp(`^Execution ${execution.executionId} is FAILED, not SUCCEEDED: StepError: the bank declined$`))
    assert.isTrue(lines.some((line) => /^ {4}at .*expect-succeeded\.test\.ts:\d+:\d+/.test(line)), error.message)
    assert.include(lines, "  caused by TypeError: socket hang up")
    await runner.dispose()
  })

  it("shows a callback's error data, and says what an execution with no error yet waits on", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const waiting = await runner.run("approval", undefined)
    // What it still waits on, by name: the callback no responder answered (it had said RUNNING and nothing more).
    assert.throws(() => waiting.expectSucceeded(), /^Execution .* is RUNNING, not SUCCEEDED; it waits on callback "manager" \(1-1\)$/)
    const failed = await runner.run("approval", undefined, {
      callbacks: { manager: () => ({ fail: { errorType: "Declined", errorMessage: "over budget", errorData: "{\"limit\":100}" } }) }
    })
    assert.throws(() => failed.expectSucceeded(), /over budget\n {2}data \{"limit":100\}/)
    await runner.dispose()
  })

  it("names a responder given for a callback the execution does not have (a misspelt name), beside the ones it has", async () => {
    const timed = durable("timed", async (_: unknown, ctx) => ctx.waitForCallback("manager", async () => undefined, { timeout: { days: 1 } }))
    const runner = createTestRunner({ functions: [timed] })
    const execution = await runner.run("timed", undefined, { callbacks: { manger: () => ({ succeed: "\"ok\"" }) } })
    assert.throws(
      () => execution.expectSucceeded(),
      /^Execution timed-1 is FAILED, not SUCCEEDED: CallbackTimeoutError: Callback timed out\n {2}no callback of this execution is named "manger", which the run has responders for \(its callbacks: "manager" \(1-1\)\)$/
    )
    await runner.dispose()
  })

  it("names the first ten of many open operations, and counts the rest", async () => {
    const batch = durable("batch", async (_: unknown, ctx) =>
      ctx.map("items", Array.from({ length: 25 }, (_, i) => i), async (item, i) => (await item.createCallback(`cb-${i}`))[0]))
    const runner = createTestRunner({ functions: [batch] })
    const waiting = await runner.run("batch")
    const names = Array.from({ length: 10 }, (_, i) => `callback "cb-${i}" (1-${i + 1}-1)`).join(", ")
    assert.throws(() => waiting.expectSucceeded(), `Execution batch-1 is RUNNING, not SUCCEEDED; it waits on ${names} and 15 more`)
    await runner.dispose()
  })

  it("says what an execution that timed out or was stopped was still waiting on", async () => {
    const slow = durable("slow", async (_: unknown, ctx) => {
      await ctx.wait("a-year", { days: 365 })
      await ctx.wait("a-month", { days: 30 })
    }, { executionTimeout: { days: 366 } })
    const runner = createTestRunner({ functions: [slow, approval] })
    const timedOut = await runner.run("slow")
    assert.throws(() => timedOut.expectSucceeded(), /^Execution slow-1 is TIMED_OUT, not SUCCEEDED: ExecutionTimedOut: The execution timed out\n {2}it was waiting on wait "a-month" \(2\)$/)
    const stopped = await (await runner.start("approval")).stop()
    assert.throws(() => stopped.expectSucceeded(), /^Execution approval-2 is STOPPED, not SUCCEEDED.*\n? *it was waiting on callback "manager" \(1-1\)$/s)
    await runner.dispose()
  })
})
