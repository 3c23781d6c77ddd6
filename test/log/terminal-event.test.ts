import { assert, describe, it } from "@effect/vitest"
import type { LogEvent } from "../../src/log/events.ts"
import { isTerminalEvent, terminalStatus } from "../../src/log/terminal-event.ts"
import { executionStarted, stepSucceeded, variedEvents } from "../../src/store/conformance-events.ts"

describe("terminal events", () => {
  it("are exactly the four execution ends, each with its status", () => {
    const ends: ReadonlyArray<LogEvent> = [
      { _tag: "ExecutionSucceeded", seq: 2, at: 1 },
      { _tag: "ExecutionFailed", seq: 2, at: 1, error: { errorType: "E", errorMessage: "m" } },
      { _tag: "ExecutionStopped", seq: 2, at: 1 },
      { _tag: "ExecutionTimedOut", seq: 2, at: 1 }
    ]
    assert.deepStrictEqual(ends.map(terminalStatus), ["SUCCEEDED", "FAILED", "STOPPED", "TIMED_OUT"])
    assert.isTrue(ends.every(isTerminalEvent))
    const others = [executionStarted("e", { functionName: "f", at: 1 }), stepSucceeded(2, 1), ...variedEvents(3, 1)]
    assert.deepStrictEqual(others.filter(isTerminalEvent), [])
    assert.deepStrictEqual(others.map(terminalStatus).filter((s) => s !== undefined), [])
  })
})
