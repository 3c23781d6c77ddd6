/**
 * The engine's typed errors read as errors where a user sees them thrown (the test runner's refusals in a failed
 * test's report, console.log): their message and stack, not only their fields.
 */
import { assert, describe, it } from "@effect/vitest"
import { inspect } from "node:util"
import { CallbackAlreadyCompleted, ExecutionNotRunning, FunctionNotFound } from "../../src/engine/engine-errors.ts"

describe("the engine's errors under Node's inspect", () => {
  it("show their name, message and stack, then their fields", () => {
    const shown = inspect(new CallbackAlreadyCompleted({ callbackId: "cb-1", status: "TIMED_OUT" }))
    assert.match(shown, /^CallbackAlreadyCompleted: The callback is already TIMED_OUT\n\s+at /)
    assert.include(shown, "callbackId: 'cb-1'")
    assert.match(inspect(new ExecutionNotRunning({ executionId: "e-1", status: "FAILED" })), /^ExecutionNotRunning: Execution "e-1" is FAILED, not RUNNING/)
    assert.match(inspect(new FunctionNotFound({ functionName: "gone" })), /^FunctionNotFound: /)
  })

  it("keep their JSON form: the fields", () => {
    assert.deepStrictEqual(JSON.parse(JSON.stringify(new CallbackAlreadyCompleted({ callbackId: "cb-1", status: "SUCCEEDED" }))), {
      _tag: "CallbackAlreadyCompleted",
      callbackId: "cb-1",
      status: "SUCCEEDED"
    })
  })
})
