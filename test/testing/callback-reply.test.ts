/** A responder's reply in `runner.run(…, { callbacks })` is checked as the test's mistake, as sendCallback* are. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { type CallbackReply, createTestRunner, type TestRunner } from "../../src/testing/index.ts"

const approval = durable("approval", async (_input: unknown, ctx) => {
  const [answer] = await ctx.createCallback("manager")
  return await answer
})

let runner: TestRunner | undefined
afterEach(() => runner?.dispose())

const refusal = (reply: unknown) =>
  runner!.run("approval", {}, { callbacks: { manager: () => reply as CallbackReply } })
    .then(() => "accepted", (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`)

describe("a callback responder's reply", () => {
  it("with a result that is no string is a TypeError saying to pass JSON text, not a corrupt log", async () => {
    runner = createTestRunner({ functions: [approval] })
    assert.strictEqual(
      await refusal({ succeed: { approved: true } }),
      `TypeError: The callback responder "manager" answered succeed with object {"approved":true}: the result is the payload's JSON text; pass JSON.stringify(value)`
    )
    // Nothing was written: the callback still waits, and a good answer completes it.
    const execution = await runner.execution("approval-1")
    assert.strictEqual(execution.callback("manager").status, "STARTED")
    await execution.sendCallbackSuccess("manager", JSON.stringify({ approved: true }))
    assert.deepStrictEqual(execution.expectSucceeded(), JSON.stringify({ approved: true }))
  })

  it("that is neither succeed nor fail, or fails with fields that are no strings, is a TypeError naming the responder", async () => {
    runner = createTestRunner({ functions: [approval] })
    assert.strictEqual(
      await refusal({ success: "yes" }),
      `TypeError: The callback responder "manager" must answer { succeed: text }, { fail: { errorMessage?, errorType?, errorData? } } or undefined: got object {"success":"yes"}`
    )
    assert.strictEqual(await refusal({ fail: { errorMessage: 404 } }), `TypeError: The callback responder "manager"'s fail: errorMessage must be a string, got number`)
  })

  it("that fails with some fields gets AWS's defaults for the others", async () => {
    runner = createTestRunner({ functions: [approval] })
    const execution = await runner.run("approval", {}, { callbacks: { manager: () => ({ fail: { errorType: "Rejected" } }) } })
    assert.deepStrictEqual(execution.callback("manager").error, { errorType: "Rejected", errorMessage: "Callback failed" })
  })
})
