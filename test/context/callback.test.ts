import { assert, describe, it } from "@effect/vitest"
import { CallbackError, CallbackExternalError, CallbackTimeoutError, durable } from "../../src/index.ts"
import { CallbackAlreadyCompleted, CallbackNotFound } from "../../src/engine/engine-errors.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { rejects } from "../rejects.ts"

const approval = durable("approval", async (_: unknown, ctx) => {
  const [answer, callbackId] = await ctx.createCallback("manager", { timeout: { days: 3 }, heartbeatTimeout: { hours: 1 } })
  await ctx.step("notify", async () => ({ sentTo: "manager", callbackId }))
  try {
    return { answer: await answer }
  } catch (error) {
    return {
      errorType: (error as Error).name,
      message: (error as Error).message,
      isCallbackError: error instanceof CallbackError,
      isExternal: error instanceof CallbackExternalError,
      isTimeout: error instanceof CallbackTimeoutError
    }
  }
})

describe("callbacks", () => {
  it("returns the raw string a callback was completed with", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const execution = await runner.start("approval")
    assert.strictEqual(execution.status, "RUNNING")
    await execution.sendCallbackSuccess("manager", `{"approved":true}`)
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { answer: `{"approved":true}` })
    await runner.dispose()
  })

  it("hands a failure sent from outside to the function as a CallbackExternalError (a CallbackError), as AWS does", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const execution = await runner.start("approval")
    await execution.sendCallbackFailure("manager", { errorType: "Rejected", errorMessage: "budget exceeded" })
    assert.deepStrictEqual(execution.result, { errorType: "CallbackExternalError", message: "budget exceeded", isCallbackError: true, isExternal: true, isTimeout: false })
    await runner.dispose()
  })

  it("a waitForCallback failed from outside, uncaught: the execution's error is CallbackExternalError caused by the sender's error, once", async () => {
    const fn = durable("vendor", async (_: unknown, ctx) => await ctx.waitForCallback("vendor", async () => undefined))
    const runner = createTestRunner({ functions: [fn] })
    for (const evicted of [false, true]) { // the first run, and a replay that reads the recorded outcome back
      const execution = await runner.start("vendor")
      await execution.sendCallbackFailure("vendor", { errorType: "VendorError", errorMessage: "vendor said no" })
      if (evicted) await (await execution.evict()).settle()
      assert.strictEqual(execution.status, "FAILED")
      assert.strictEqual(execution.error?.errorType, "CallbackExternalError")
      assert.deepStrictEqual(execution.error?.causes?.map((c) => [c.errorType, c.errorMessage]), [["VendorError", "vendor said no"]])
    }
    await runner.dispose()
  })

  it("times out after its timeout, even with heartbeats, and the timeout is skipped in virtual time", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const execution = await runner.start("approval")
    for (let beat = 0; beat < 73; beat++) { // 73 x 59 min = 71.8 h: just short of the 3-day timeout
      await execution.advanceTime({ minutes: 59 })
      await execution.sendCallbackHeartbeat("manager")
    }
    assert.strictEqual(execution.status, "RUNNING", "heartbeats every 59 minutes keep it alive")
    await execution.settle()
    assert.strictEqual(execution.status, "RUNNING", "settle() does not skip to a pending callback's timeout unasked")
    await execution.settle({ skipCallbackTimeouts: true })
    assert.deepStrictEqual(execution.result, { errorType: "CallbackTimeoutError", message: "Callback timed out", isCallbackError: true, isExternal: false, isTimeout: true })
    const callback = execution.getOperation("manager")!
    assert.strictEqual(callback.status, "TIMED_OUT")
    assert.strictEqual(callback.endedAt!.getTime() - callback.startedAt.getTime(), 3 * 24 * 3600 * 1000)
    await runner.dispose()
  })

  it("times out on a missed heartbeat", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const execution = await runner.start("approval")
    await execution.advanceTime({ minutes: 30 })
    await execution.sendCallbackHeartbeat("manager")
    await execution.settle({ skipCallbackTimeouts: true })
    assert.deepStrictEqual(execution.result, { errorType: "CallbackTimeoutError", message: "Callback timed out on heartbeat", isCallbackError: true, isExternal: false, isTimeout: true })
    const callback = execution.getOperation("manager")!
    assert.strictEqual(callback.endedAt!.getTime() - callback.startedAt.getTime(), 90 * 60 * 1000)
    await runner.dispose()
  })

  it("answers callbacks from responders given to run", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const execution = await runner.run("approval", undefined, { callbacks: { manager: () => ({ succeed: "yes" }) } })
    assert.deepStrictEqual(execution.result, { answer: "yes" })
    await runner.dispose()
  })

  it("refuses an unknown, forged or already completed callback with a typed error and leaves the log unchanged", async () => {
    const runner = createTestRunner({ functions: [approval] })
    const execution = await runner.start("approval")
    const callbackId = execution.callback("manager").callbackId!
    const before = execution.history.length

    assert.instanceOf(await rejects(runner.completeCallback("not-a-callback-id", { ok: true })), CallbackNotFound)
    const forged = Buffer.from(JSON.stringify([execution.executionId, "1", "0".repeat(32)])).toString("base64url")
    assert.instanceOf(await rejects(runner.completeCallback(forged, { ok: true })), CallbackNotFound)
    const elsewhere = Buffer.from(JSON.stringify(["no-such-execution", "1", "x"])).toString("base64url")
    assert.instanceOf(await rejects(runner.completeCallback(elsewhere, { ok: true })), CallbackNotFound)
    await execution.refresh()
    assert.strictEqual(execution.history.length, before)

    await execution.sendCallbackSuccess("manager", "first")
    const after = execution.history.length
    const second = await rejects(runner.completeCallback(callbackId, { ok: true, result: "second" }))
    assert.instanceOf(second, CallbackAlreadyCompleted)
    assert.strictEqual((second as CallbackAlreadyCompleted).status, "SUCCEEDED")
    await execution.refresh()
    assert.strictEqual(execution.history.length, after)
    assert.deepStrictEqual(execution.result, { answer: "first" })
    await runner.dispose()
  })

  it("waitForCallback runs its submitter as a step and returns what the callback was completed with", async () => {
    const submitted: Array<string> = []
    const fn = durable("wait-for-callback", async (_: unknown, ctx) => {
      const reply = await ctx.waitForCallback("warehouse", async (callbackId) => {
        submitted.push(callbackId)
      }, { timeout: { hours: 1 } })
      return `warehouse said ${reply}`
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("wait-for-callback")
    await execution.evict()
    await execution.advanceTime({ seconds: 1 })
    await execution.sendCallbackSuccess("warehouse", "packed")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "warehouse said packed")
    assert.strictEqual(submitted.length, 1, "the submitter step is not re-run on replay")
    const context = execution.getOperation("warehouse")!
    assert.strictEqual(context.type, "CONTEXT")
    assert.strictEqual(context.subType, "WaitForCallback")
    assert.deepStrictEqual(context.children().map((c) => `${c.type}/${c.subType}`), ["CALLBACK/Callback", "STEP/Step"])
    await runner.dispose()
  })

  it("waitForCallback fails with CallbackSubmitterError when its submitter keeps failing", async () => {
    const fn = durable("bad-submitter", async (_: unknown, ctx) => {
      try {
        await ctx.waitForCallback("approval", async () => {
          throw new Error("mail server down")
        }, { retryStrategy: (_e, attempt) => ({ shouldRetry: attempt < 2, delay: { seconds: 5 } }) })
        return "unreachable"
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("bad-submitter")
    assert.strictEqual(execution.result, "CallbackSubmitterError: mail server down")
    await runner.dispose()
  })
})
