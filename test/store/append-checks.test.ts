/** The append rules one by one, on plain values (the conformance kit checks them again through real stores). */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import type { LogEvent } from "../../src/log/events.ts"
import { checkAppend, EMPTY_HEAD, type LogHead } from "../../src/store/append-checks.ts"
import { executionFailed, executionStarted, executionSucceeded, stepSucceeded } from "../../src/store/conformance-events.ts"
import { summarize } from "../../src/store/execution-summary.ts"

const started = executionStarted("e-1", { functionName: "fn", at: 1_000 })
const headAfter = (events: ReadonlyArray<LogEvent>): LogHead => ({ seq: events.length, summary: summarize(undefined, events) })

/** The tag and the reason of a refusal, or "ok". */
const verdict = (head: LogHead, events: ReadonlyArray<LogEvent>, expectedSeq: number): string => {
  const checked = checkAppend("e-1", head, events, expectedSeq)
  if (Result.isSuccess(checked)) return "ok"
  const error = checked.failure
  return error._tag === "SeqConflict" ? `SeqConflict at ${error.actualSeq}` : `LogCorrupted at ${error.seq}: ${error.reason}`
}

describe("checkAppend", () => {
  it("accepts a new log that starts with ExecutionStarted, and a batch that continues a running one", () => {
    assert.strictEqual(verdict(EMPTY_HEAD, [started, stepSucceeded(2, 1_001)], 0), "ok")
    assert.strictEqual(verdict(headAfter([started]), [stepSucceeded(2, 1_001), executionSucceeded(3, 1_002)], 1), "ok")
  })

  it("answers SeqConflict before anything else when the log is not at expectedSeq", () => {
    assert.strictEqual(verdict(headAfter([started]), [stepSucceeded(3, 1_001)], 2), "SeqConflict at 1")
    assert.strictEqual(verdict(EMPTY_HEAD, [stepSucceeded(2, 1_001)], 1), "SeqConflict at 0")
    const ended = [started, executionFailed(2, 1_001)]
    assert.strictEqual(verdict(headAfter(ended), [stepSucceeded(4, 1_002)], 3), "SeqConflict at 2")
  })

  it("refuses misnumbered batches, a missing or second ExecutionStarted, and anything after the end", () => {
    const running = headAfter([started])
    assert.strictEqual(verdict(running, [stepSucceeded(3, 1_001)], 1), "LogCorrupted at 2: refusing to write event seq 3 at position 2")
    assert.strictEqual(verdict(EMPTY_HEAD, [stepSucceeded(1, 1_001)], 0), "LogCorrupted at 1: refusing to write a log that does not start with ExecutionStarted")
    assert.strictEqual(verdict(EMPTY_HEAD, [], 0), "LogCorrupted at 1: refusing to write a log that does not start with ExecutionStarted")
    assert.strictEqual(verdict(running, [{ ...started, seq: 2 }], 1), "LogCorrupted at 2: refusing to write a second ExecutionStarted")
    assert.strictEqual(
      verdict(running, [executionSucceeded(2, 1_001), stepSucceeded(3, 1_002)], 1),
      "LogCorrupted at 3: refusing to write an event after ExecutionSucceeded"
    )
    assert.strictEqual(
      verdict(headAfter([started, executionSucceeded(2, 1_001)]), [stepSucceeded(3, 1_002)], 2),
      "LogCorrupted at 3: refusing to write after the end of the execution (it is SUCCEEDED)"
    )
  })

  it("returns the head's own summary when the batch leaves it unchanged, a new one on a start or an end", () => {
    const running = headAfter([started])
    const same = checkAppend("e-1", running, [stepSucceeded(2, 1_001)], 1)
    assert.isTrue(Result.isSuccess(same) && same.success === running.summary)
    const ended = checkAppend("e-1", running, [executionSucceeded(2, 1_005)], 1)
    assert.deepStrictEqual(Result.isSuccess(ended) ? ended.success : undefined, {
      executionId: "e-1",
      functionName: "fn",
      status: "SUCCEEDED",
      startedAt: 1_000,
      endedAt: 1_005
    })
  })
})
