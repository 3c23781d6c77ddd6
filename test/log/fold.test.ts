import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeLog } from "../../src/log/decode-log.ts"
import type { ErrorObject, LogEvent, NewEvent, OperationRef } from "../../src/log/events.ts"
import { applyEvent, foldLog, isTerminalOperation } from "../../src/log/fold.ts"
import { summarize } from "../../src/store/execution-summary.ts"

const started: LogEvent = {
  _tag: "ExecutionStarted",
  seq: 1,
  at: 1_000,
  executionId: "exec-1",
  functionName: "order",
  input: "{\"orderId\":\"o-1\"}",
  timeoutAt: 901_000,
  retentionMs: 86_400_000
}

/** Builds a log from ExecutionStarted plus `rest`, numbering seqs and (unless given) times 1 s apart. */
const log = (...rest: ReadonlyArray<NewEvent>): Array<LogEvent> => [
  started,
  ...rest.map((event, i) => ({ ...event, seq: i + 2, at: event.at ?? 1_000 + (i + 1) * 1_000 }) as LogEvent)
]

const step = (id: string, name?: string, parentId?: string): OperationRef => ({
  id,
  type: "STEP",
  subType: "Step",
  ...(name === undefined ? {} : { name }),
  ...(parentId === undefined ? {} : { parentId })
})
const wait: OperationRef = { id: "1", name: "cool-off", type: "WAIT", subType: "Wait" }
const callback: OperationRef = { id: "1", name: "approval", type: "CALLBACK", subType: "Callback" }
const context = (id: string, name?: string): OperationRef => ({
  id,
  type: "CONTEXT",
  subType: "RunInChildContext",
  ...(name === undefined ? {} : { name })
})

const boom: ErrorObject = { errorType: "Error", errorMessage: "card declined" }

describe("foldLog: the execution", () => {
  it("is RUNNING after ExecutionStarted, with the start's fields", () => {
    const state = foldLog([started])
    assert.strictEqual(state.executionId, "exec-1")
    assert.strictEqual(state.functionName, "order")
    assert.strictEqual(state.input, "{\"orderId\":\"o-1\"}")
    assert.strictEqual(state.startedAt, 1_000)
    assert.strictEqual(state.timeoutAt, 901_000)
    assert.strictEqual(state.retentionMs, 86_400_000)
    assert.strictEqual(state.status, "RUNNING")
    assert.strictEqual(state.seq, 1)
    assert.strictEqual(state.operations.size, 0)
    assert.isUndefined(state.endedAt)
  })

  it("is SUCCEEDED with the result after ExecutionSucceeded", () => {
    const state = foldLog(log({ _tag: "ExecutionSucceeded", result: "\"done\"", at: 5_000 }))
    assert.strictEqual(state.status, "SUCCEEDED")
    assert.strictEqual(state.result, "\"done\"")
    assert.isUndefined(state.error)
    assert.strictEqual(state.endedAt, 5_000)
    assert.strictEqual(state.seq, 2)
  })

  it("is FAILED with the error after ExecutionFailed", () => {
    const state = foldLog(log({ _tag: "ExecutionFailed", error: boom }))
    assert.strictEqual(state.status, "FAILED")
    assert.deepStrictEqual(state.error, boom)
    assert.isUndefined(state.result)
    assert.strictEqual(state.endedAt, 2_000)
  })

  it("is STOPPED after ExecutionStopped, with the error when one is given", () => {
    const plain = foldLog(log({ _tag: "ExecutionStopped" }))
    assert.strictEqual(plain.status, "STOPPED")
    assert.isUndefined(plain.error)

    const reason: ErrorObject = { errorType: "Stopped", errorMessage: "stopped by operator" }
    const withError = foldLog(log({ _tag: "ExecutionStopped", error: reason }))
    assert.strictEqual(withError.status, "STOPPED")
    assert.deepStrictEqual(withError.error, reason)
  })

  it("is TIMED_OUT with an ExecutionTimedOut error after ExecutionTimedOut", () => {
    const state = foldLog(log({ _tag: "ExecutionTimedOut", at: 901_000 }))
    assert.strictEqual(state.status, "TIMED_OUT")
    assert.strictEqual(state.error?.errorType, "ExecutionTimedOut")
    assert.strictEqual(state.endedAt, 901_000)
  })

  it("refuses a log that does not start with ExecutionStarted", () => {
    assert.throws(() => foldLog([]), /must start with ExecutionStarted/)
    assert.throws(() => foldLog([{ _tag: "ExecutionSucceeded", seq: 1, at: 0 }]), /must start with ExecutionStarted/)
  })

  it("keeps seq at the last event applied", () => {
    const state = foldLog(log({ _tag: "StepStarted", ...step("1"), attempt: 1 }, { _tag: "StepSucceeded", ...step("1"), attempt: 1 }))
    assert.strictEqual(state.seq, 3)
    applyEvent(state, { _tag: "ExecutionSucceeded", seq: 4, at: 9_000 })
    assert.strictEqual(state.seq, 4)
    assert.strictEqual(state.status, "SUCCEEDED")
  })
})

describe("foldLog: steps", () => {
  it("a StepStarted opens the operation as STARTED with the attempt open", () => {
    const state = foldLog(log({ _tag: "StepStarted", ...step("1", "charge"), attempt: 1, at: 2_500 }))
    const op = state.operations.get("1")!
    assert.strictEqual(op.status, "STARTED")
    assert.isTrue(op.attemptOpen)
    assert.strictEqual(op.attempt, 1)
    assert.strictEqual(op.name, "charge")
    assert.strictEqual(op.type, "STEP")
    assert.strictEqual(op.subType, "Step")
    assert.strictEqual(op.startedAt, 2_500)
    assert.isFalse(isTerminalOperation(op.status))
  })

  it("a StepFailed with nextAttemptAt makes the step PENDING until then, with the error and the attempt closed", () => {
    const state = foldLog(log(
      { _tag: "StepStarted", ...step("1"), attempt: 1 },
      { _tag: "StepFailed", ...step("1"), attempt: 1, error: boom, nextAttemptAt: 8_000 }
    ))
    const op = state.operations.get("1")!
    assert.strictEqual(op.status, "PENDING")
    assert.strictEqual(op.nextAttemptAt, 8_000)
    assert.deepStrictEqual(op.error, boom)
    assert.strictEqual(op.attempt, 1)
    assert.isFalse(op.attemptOpen)
    assert.isUndefined(op.endedAt)
    assert.isFalse(isTerminalOperation(op.status))
  })

  it("the next StepStarted reopens a PENDING step and clears nextAttemptAt", () => {
    const state = foldLog(log(
      { _tag: "StepStarted", ...step("1"), attempt: 1 },
      { _tag: "StepFailed", ...step("1"), attempt: 1, error: boom, nextAttemptAt: 8_000 },
      { _tag: "StepStarted", ...step("1"), attempt: 2, at: 8_000 }
    ))
    const op = state.operations.get("1")!
    assert.strictEqual(op.status, "STARTED")
    assert.strictEqual(op.attempt, 2)
    assert.isTrue(op.attemptOpen)
    assert.isUndefined(op.nextAttemptAt)
    assert.strictEqual(op.startedAt, 2_000, "startedAt is the first attempt's")
  })

  it("a StepFailed without nextAttemptAt makes the step FAILED for good", () => {
    const state = foldLog(log(
      { _tag: "StepStarted", ...step("1"), attempt: 1 },
      { _tag: "StepFailed", ...step("1"), attempt: 1, error: boom, nextAttemptAt: 8_000 },
      { _tag: "StepStarted", ...step("1"), attempt: 2, at: 8_000 },
      { _tag: "StepFailed", ...step("1"), attempt: 2, error: boom, at: 9_000 }
    ))
    const op = state.operations.get("1")!
    assert.strictEqual(op.status, "FAILED")
    assert.strictEqual(op.attempt, 2)
    assert.deepStrictEqual(op.error, boom)
    assert.isUndefined(op.nextAttemptAt)
    assert.isFalse(op.attemptOpen)
    assert.strictEqual(op.endedAt, 9_000)
    assert.isTrue(isTerminalOperation(op.status))
  })

  it("a StepSucceeded makes the step SUCCEEDED with its result and the attempt that succeeded", () => {
    const state = foldLog(log(
      { _tag: "StepStarted", ...step("1"), attempt: 1 },
      { _tag: "StepFailed", ...step("1"), attempt: 1, error: boom, nextAttemptAt: 8_000 },
      { _tag: "StepStarted", ...step("1"), attempt: 2, at: 8_000 },
      { _tag: "StepSucceeded", ...step("1"), attempt: 2, result: "\"ch-1\"", at: 8_500 }
    ))
    const op = state.operations.get("1")!
    assert.strictEqual(op.status, "SUCCEEDED")
    assert.strictEqual(op.result, "\"ch-1\"")
    assert.strictEqual(op.attempt, 2)
    assert.isFalse(op.attemptOpen)
    assert.isUndefined(op.nextAttemptAt)
    assert.strictEqual(op.endedAt, 8_500)
  })

  it("a StepSucceeded alone (at-least-once, no StepStarted recorded) also opens and finishes the step", () => {
    const state = foldLog(log({ _tag: "StepSucceeded", ...step("1"), attempt: 1, at: 3_000 }))
    const op = state.operations.get("1")!
    assert.strictEqual(op.status, "SUCCEEDED")
    assert.strictEqual(op.attempt, 1)
    assert.strictEqual(op.startedAt, 3_000)
    assert.isUndefined(op.result, "a step that returned undefined has no payload")
  })
})

describe("foldLog: waits", () => {
  it("a WaitStarted is STARTED until its `until`; WaitSucceeded makes it SUCCEEDED", () => {
    const running = foldLog(log({ _tag: "WaitStarted", ...wait, until: 61_000 }))
    const op = running.operations.get("1")!
    assert.strictEqual(op.status, "STARTED")
    assert.strictEqual(op.until, 61_000)
    assert.strictEqual(op.type, "WAIT")

    const done = foldLog(log({ _tag: "WaitStarted", ...wait, until: 61_000 }, { _tag: "WaitSucceeded", ...wait, at: 61_000 }))
    const finished = done.operations.get("1")!
    assert.strictEqual(finished.status, "SUCCEEDED")
    assert.strictEqual(finished.until, 61_000)
    assert.strictEqual(finished.endedAt, 61_000)
  })
})

describe("foldLog: callbacks", () => {
  const callbackStarted: NewEvent = {
    _tag: "CallbackStarted",
    ...callback,
    callbackId: "cb-123",
    timeoutAt: 3_600_000,
    heartbeatTimeoutMs: 60_000,
    at: 2_000
  }

  it("a CallbackStarted records the callback id, timeouts, and counts as the first heartbeat", () => {
    const op = foldLog(log(callbackStarted)).operations.get("1")!
    assert.strictEqual(op.status, "STARTED")
    assert.strictEqual(op.callbackId, "cb-123")
    assert.strictEqual(op.timeoutAt, 3_600_000)
    assert.strictEqual(op.heartbeatTimeoutMs, 60_000)
    assert.strictEqual(op.lastHeartbeatAt, 2_000)
  })

  it("a CallbackHeartbeat moves lastHeartbeatAt and nothing else", () => {
    const op = foldLog(log(callbackStarted, { _tag: "CallbackHeartbeat", ...callback, at: 30_000 })).operations.get("1")!
    assert.strictEqual(op.lastHeartbeatAt, 30_000)
    assert.strictEqual(op.status, "STARTED")
    assert.strictEqual(op.startedAt, 2_000)
  })

  it("a CallbackSucceeded makes it SUCCEEDED with the result", () => {
    const op = foldLog(log(callbackStarted, { _tag: "CallbackSucceeded", ...callback, result: "approved", at: 40_000 }))
      .operations.get("1")!
    assert.strictEqual(op.status, "SUCCEEDED")
    assert.strictEqual(op.result, "approved")
    assert.strictEqual(op.endedAt, 40_000)
  })

  it("a CallbackFailed makes it FAILED with the error", () => {
    const op = foldLog(log(callbackStarted, { _tag: "CallbackFailed", ...callback, error: boom })).operations.get("1")!
    assert.strictEqual(op.status, "FAILED")
    assert.deepStrictEqual(op.error, boom)
  })

  it("a CallbackTimedOut makes it TIMED_OUT and says whether the timeout or the heartbeat ran out", () => {
    for (const reason of ["timeout", "heartbeat"] as const) {
      const op = foldLog(log(callbackStarted, { _tag: "CallbackTimedOut", ...callback, reason, at: 62_000 })).operations.get("1")!
      assert.strictEqual(op.status, "TIMED_OUT")
      assert.strictEqual(op.timedOutReason, reason)
      assert.strictEqual(op.endedAt, 62_000)
      assert.isTrue(isTerminalOperation(op.status))
    }
  })
})

describe("foldLog: chained invokes", () => {
  const invoke: OperationRef = { id: "1", name: "bill", type: "CHAINED_INVOKE", subType: "ChainedInvoke" }
  const invokeStarted: NewEvent = { _tag: "InvokeStarted", ...invoke, functionName: "billing", childExecutionId: "exec-2", input: "{}" }

  it("records the function, the child execution and the outcome", () => {
    const running = foldLog(log(invokeStarted)).operations.get("1")!
    assert.strictEqual(running.status, "STARTED")
    assert.strictEqual(running.functionName, "billing")
    assert.strictEqual(running.childExecutionId, "exec-2")
    assert.strictEqual(running.input, "{}")

    assert.strictEqual(foldLog(log(invokeStarted, { _tag: "InvokeSucceeded", ...invoke, result: "1" })).operations.get("1")!.result, "1")
    assert.strictEqual(foldLog(log(invokeStarted, { _tag: "InvokeFailed", ...invoke, error: boom })).operations.get("1")!.status, "FAILED")
    assert.strictEqual(foldLog(log(invokeStarted, { _tag: "InvokeTimedOut", ...invoke })).operations.get("1")!.status, "TIMED_OUT")
    assert.strictEqual(foldLog(log(invokeStarted, { _tag: "InvokeStopped", ...invoke })).operations.get("1")!.status, "STOPPED")
  })
})

describe("foldLog: child contexts", () => {
  it("a ContextStarted is STARTED; ContextSucceeded makes it SUCCEEDED with result and replayChildren", () => {
    const running = foldLog(log({ _tag: "ContextStarted", ...context("1", "batch") })).operations.get("1")!
    assert.strictEqual(running.status, "STARTED")
    assert.strictEqual(running.type, "CONTEXT")
    assert.strictEqual(running.subType, "RunInChildContext")

    const done = foldLog(log(
      { _tag: "ContextStarted", ...context("1", "batch") },
      { _tag: "ContextSucceeded", ...context("1", "batch"), result: "[1,2]", replayChildren: true }
    )).operations.get("1")!
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.strictEqual(done.result, "[1,2]")
    assert.isTrue(done.replayChildren)
  })

  it("a ContextFailed makes it FAILED with the error", () => {
    const op = foldLog(log(
      { _tag: "ContextStarted", ...context("1") },
      { _tag: "ContextFailed", ...context("1"), error: boom }
    )).operations.get("1")!
    assert.strictEqual(op.status, "FAILED")
    assert.deepStrictEqual(op.error, boom)
  })
})

describe("foldLog: lastPosition", () => {
  it("is empty before any operation", () => {
    assert.strictEqual(foldLog([started]).lastPosition.size, 0)
  })

  it("tracks the highest child position per context: \"\" for the root, \"2\" for the children of operation 2", () => {
    const state = foldLog(log(
      { _tag: "StepSucceeded", ...step("1"), attempt: 1 },
      { _tag: "ContextStarted", ...context("2") },
      { _tag: "StepSucceeded", ...step("2-1", undefined, "2"), attempt: 1 },
      { _tag: "StepSucceeded", ...step("2-2", undefined, "2"), attempt: 1 },
      { _tag: "StepSucceeded", ...step("2-3", undefined, "2"), attempt: 1 },
      { _tag: "ContextSucceeded", ...context("2") },
      { _tag: "WaitStarted", ...wait, id: "3", until: 99_000 }
    ))
    assert.deepStrictEqual(Object.fromEntries(state.lastPosition), { "": 3, "2": 3 })
    assert.strictEqual(state.operations.get("2-2")?.parentId, "2")
    assert.strictEqual(state.operations.size, 6)
  })

  it("never goes down when a lower position appears later", () => {
    const state = foldLog(log(
      { _tag: "StepStarted", ...step("5"), attempt: 1 },
      { _tag: "StepStarted", ...step("2"), attempt: 1 }
    ))
    assert.strictEqual(state.lastPosition.get(""), 5)
  })

  it("counts grandchildren under their own parent, not the root or the grandparent", () => {
    const state = foldLog(log(
      { _tag: "ContextStarted", ...context("1") },
      { _tag: "ContextStarted", ...context("1-4"), parentId: "1" },
      { _tag: "StepStarted", ...step("1-4-7", undefined, "1-4"), attempt: 1 }
    ))
    assert.deepStrictEqual(Object.fromEntries(state.lastPosition), { "": 1, "1": 4, "1-4": 7 })
  })
})

describe("foldLog: ExecutionRewound", () => {
  const events = log(
    { _tag: "StepSucceeded", ...step("1", "a"), attempt: 1, result: "1" },
    { _tag: "PatchMarked", patchId: "early", position: 1 },
    { _tag: "ContextStarted", ...context("2", "group") },
    { _tag: "StepSucceeded", ...step("2-1", "inner", "2"), attempt: 1, result: "2" },
    { _tag: "PatchMarked", patchId: "inside", contextId: "2", position: 1 },
    { _tag: "ContextSucceeded", ...context("2", "group"), result: "2" },
    { _tag: "PatchMarked", patchId: "late", position: 2 },
    { _tag: "StepFailed", ...step("3", "c"), attempt: 1, error: boom },
    { _tag: "ExecutionFailed", error: boom }
  )

  it("forgets the operation it names, every later one, their children and the patch markers from there; runs again with the new timeout", () => {
    const before = foldLog(events)
    assert.strictEqual(before.status, "FAILED")
    const rewound = foldLog([...events, { _tag: "ExecutionRewound", seq: events.length + 1, at: 50_000, fromOperation: "2", timeoutAt: 950_000 }])
    assert.strictEqual(rewound.status, "RUNNING")
    assert.isUndefined(rewound.error)
    assert.isUndefined(rewound.endedAt)
    assert.strictEqual(rewound.timeoutAt, 950_000)
    assert.strictEqual(rewound.rewinds, 1)
    assert.deepStrictEqual([...rewound.operations.keys()], ["1"])
    assert.deepStrictEqual(Object.fromEntries(rewound.lastPosition), { "": 1 })
    // "early" was recorded before operation 2 began; "inside" was in it and "late" after it.
    assert.deepStrictEqual([...rewound.patches.keys()].map((key) => key.split("\n")[1]), ["early"])
  })

  it("rewinding from operation 3 keeps the child context and its marker, and the log then goes on", () => {
    const state = foldLog([
      ...events,
      { _tag: "ExecutionRewound", seq: events.length + 1, at: 50_000, fromOperation: "3", timeoutAt: 950_000 },
      { _tag: "StepSucceeded", seq: events.length + 2, at: 51_000, ...step("3", "c"), attempt: 1, result: "3" },
      { _tag: "ExecutionSucceeded", seq: events.length + 3, at: 52_000, result: "3" }
    ])
    assert.strictEqual(state.status, "SUCCEEDED")
    assert.deepStrictEqual([...state.operations.keys()], ["1", "2", "2-1", "3"])
    assert.strictEqual(state.operations.get("3")!.status, "SUCCEEDED")
    assert.strictEqual(state.operations.get("3")!.attempt, 1)
    assert.deepStrictEqual([...state.patches.keys()].map((key) => key.split("\n")[1]).sort(), ["early", "inside", "late"])
  })

  it("takes the rewind's version label (the code that runs it now), a rewind without one clears it; older rewinds without the field decode", () => {
    const v1 = [{ ...events[0]!, version: "v1" } as LogEvent, ...events.slice(1)]
    const seq = v1.length
    const underV2: LogEvent = { _tag: "ExecutionRewound", seq: seq + 1, at: 50_000, fromOperation: "3", timeoutAt: 950_000, version: "v2" }
    const failedAgain: LogEvent = { _tag: "ExecutionFailed", seq: seq + 2, at: 51_000, error: boom }
    const unlabelled: LogEvent = { _tag: "ExecutionRewound", seq: seq + 3, at: 52_000, fromOperation: "3", timeoutAt: 952_000 }
    assert.strictEqual(foldLog(v1).version, "v1")
    assert.strictEqual(foldLog([...v1, underV2]).version, "v2")
    assert.strictEqual(summarize(undefined, [...v1, underV2])?.version, "v2")
    const cleared = [...v1, underV2, failedAgain, unlabelled]
    assert.isUndefined(foldLog(cleared).version)
    assert.notProperty(summarize(undefined, cleared)!, "version")
    // As stored before the field existed: decodes, and folds as a rewind without a label.
    const decoded = Effect.runSync(decodeLog("exec-1", JSON.parse(JSON.stringify(cleared))))
    assert.deepStrictEqual(decoded.at(-1), unlabelled)
    assert.isUndefined(foldLog(decoded).version)
  })
})
