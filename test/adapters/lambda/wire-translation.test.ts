/** The pieces of the translation between Reprise's log and the service's wire model, one by one. */
import { describe, expect, it } from "vitest"
import { batchUpdates } from "../../../adapters/lambda/checkpoint-batches.ts"
import { classifyCheckpointError, classifyStateError } from "../../../adapters/lambda/checkpoint-errors.ts"
import { makeUpdateTranslator } from "../../../adapters/lambda/log-to-updates.ts"
import { makeIdResolver, wireId } from "../../../adapters/lambda/operation-ids.ts"
import type { OperationUpdate, WireOperation } from "../../../adapters/lambda/wire.ts"
import { NEVER, operationsToLog } from "../../../adapters/lambda/wire-to-log.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { foldLog } from "../../../src/log/fold.ts"

describe("operation ids", () => {
  it("hashes positional ids as AWS's SDK does (first 16 hex digits of MD5)", () => {
    expect(wireId("1")).toBe("c4ca4238a0b92382")
    expect(wireId("1-1")).toBe("ea66c06c1e1c05fa")
    expect(wireId("1-1-1")).toBe("2f221a18eb863803")
    expect(wireId("3-1-1")).toBe("284ee898088b7efd")
  })

  it("finds the positional id of a wire id under its parent, FLAT batch items included", () => {
    const resolver = makeIdResolver(10)
    expect(resolver.resolve(wireId("7"), undefined)).toBe("7")
    expect(resolver.resolve(wireId("7-300"), wireId("7"))).toBe("7-300")
    // A FLAT item's operations hang off the batch, two positions deeper.
    expect(resolver.resolve(wireId("7-2-3"), wireId("7"))).toBeUndefined()
    expect(resolver.resolve(wireId("7-2-3"), wireId("7"), true)).toBe("7-2-3")
    // Unknown parent, or an id that is no position under it.
    expect(resolver.resolve(wireId("9-1"), wireId("9"))).toBeUndefined()
    expect(resolver.resolve("0123456789abcdef", undefined)).toBeUndefined()
  })
})

const op = (id: string, fields: Partial<WireOperation>): WireOperation => ({ Id: wireId(id), StartTimestamp: new Date(1000), ...fields })

describe("the service's operations as a log", () => {
  const wire: Array<WireOperation> = [
    { Id: "exec-uuid", Type: "EXECUTION", Status: "STARTED", StartTimestamp: new Date(0), ExecutionDetails: { InputPayload: "{\"a\":1}" } },
    op("1", { Type: "STEP", SubType: "Step", Name: "done", Status: "SUCCEEDED", EndTimestamp: new Date(2000), StepDetails: { Attempt: 2, Result: "\"ok\"" } }),
    op("2", { Type: "STEP", SubType: "Step", Name: "retrying", Status: "PENDING", StepDetails: { Attempt: 1, Error: { ErrorType: "Error", ErrorMessage: "boom" } } }),
    op("3", { Type: "STEP", SubType: "Step", Name: "due", Status: "READY", StepDetails: { Attempt: 1, Error: { ErrorMessage: "boom" } } }),
    op("4", { Type: "WAIT", SubType: "Wait", Status: "STARTED", WaitDetails: { ScheduledEndTimestamp: new Date(5000) } }),
    op("5", { Type: "CALLBACK", SubType: "Callback", Name: "cb", Status: "TIMED_OUT", CallbackDetails: { CallbackId: "id-5", Error: { ErrorMessage: "Callback timed out on heartbeat" } } }),
    op("6", { Type: "CONTEXT", SubType: "RunInChildContext", Name: "ctx", Status: "STARTED" }),
    op("6-1", { ParentId: wireId("6"), Type: "CHAINED_INVOKE", SubType: "ChainedInvoke", Name: "inv", Status: "SUCCEEDED", ChainedInvokeDetails: { Result: "42" } }),
    op("7", { Type: "STEP", SubType: "WaitForCondition", Name: "poll", Status: "PENDING", StepDetails: { Attempt: 3, Result: "{\"n\":3}" } })
  ]

  it("folds to the states the operations have, with no due time the engine could reach", () => {
    const { events } = operationsToLog("arn:x", "fn", wire, 99)
    const state = foldLog(events)
    expect(state.input).toBe("{\"a\":1}")
    expect(state.timeoutAt).toBe(NEVER)
    const get = (id: string) => state.operations.get(id)!
    expect(get("1")).toMatchObject({ status: "SUCCEEDED", attempt: 2, result: "\"ok\"", startedAt: 1000, endedAt: 2000 })
    expect(get("2")).toMatchObject({ status: "PENDING", attempt: 1, nextAttemptAt: NEVER, error: { errorType: "Error", errorMessage: "boom" } })
    expect(get("3")).toMatchObject({ status: "PENDING", nextAttemptAt: 0 }) // READY: the next attempt is due now
    expect(get("4")).toMatchObject({ status: "STARTED", until: NEVER })
    expect(get("5")).toMatchObject({ status: "TIMED_OUT", callbackId: "id-5", timedOutReason: "heartbeat" })
    expect(get("6-1")).toMatchObject({ status: "SUCCEEDED", parentId: "6", result: "42" })
    expect(get("7")).toMatchObject({ status: "PENDING", subType: "WaitForCondition", result: "{\"n\":3}", attempt: 3 })
    expect(state.lastPosition.get("")).toBe(7)
  })

  it("refuses a state it cannot place", () => {
    expect(() => operationsToLog("arn:x", "fn", wire.slice(1), 0)).toThrow(/no EXECUTION/)
    expect(() => operationsToLog("arn:x", "fn", [wire[0]!, op("1-1", { ParentId: wireId("1"), Type: "STEP" })], 0)).toThrow(/parent/)
  })
})

const ev = (event: Record<string, unknown>) => ({ seq: 1, at: 10_000, ...event }) as LogEvent
const step = { id: "2", name: "s", type: "STEP", subType: "Step" }

describe("new events as operation updates", () => {
  const actions = (updates: Array<OperationUpdate>) => updates.map((u) => `${u.Type}:${u.Action}`)

  it("sends START with a default step's outcome, RETRY with its delay, and only START for service-completed operations", () => {
    const translate = makeUpdateTranslator(new Map())
    expect(actions(translate.updatesFor(ev({ _tag: "StepSucceeded", ...step, startedAt: 9000, attempt: 1, result: "1" })))).toEqual(["STEP:START", "STEP:SUCCEED"])
    const retry = translate.updatesFor(ev({ _tag: "StepFailed", ...step, id: "3", startedAt: 9000, attempt: 1, error: { errorType: "E", errorMessage: "m" }, nextAttemptAt: 15_000 }))
    expect(retry.map((u) => [u.Action, u.StepOptions?.NextAttemptDelaySeconds, u.Error?.ErrorType])).toEqual([["START", undefined, undefined], ["RETRY", 5, "E"]])
    expect(translate.updatesFor(ev({ _tag: "WaitStarted", id: "4", type: "WAIT", subType: "Wait", until: 70_000 }))[0]!.WaitOptions).toEqual({ WaitSeconds: 60 })
    const callback = translate.updatesFor(ev({ _tag: "CallbackStarted", id: "5", type: "CALLBACK", subType: "Callback", callbackId: "x", timeoutAt: 3_610_000, heartbeatTimeoutMs: 60_000 }))
    expect(callback[0]!.CallbackOptions).toEqual({ TimeoutSeconds: 3600, HeartbeatTimeoutSeconds: 60 })
    const invoke = translate.updatesFor(ev({ _tag: "InvokeStarted", id: "6", type: "CHAINED_INVOKE", subType: "ChainedInvoke", functionName: "fn:live", childExecutionId: "c", input: "{}" }))
    expect(invoke[0]).toMatchObject({ Action: "START", Payload: "{}", ChainedInvokeOptions: { FunctionName: "fn:live" }, Id: wireId("6") })
    for (const tag of ["WaitSucceeded", "CallbackSucceeded", "InvokeSucceeded"]) {
      expect(translate.updatesFor(ev({ _tag: tag, id: "4", type: "WAIT", subType: "Wait" }))).toEqual([])
    }
    expect(translate.updatesFor(ev({ _tag: "ExecutionSucceeded", result: "1" }))).toEqual([])
  })

  it("starts a retried attempt only when the service holds the step READY, and never twice", () => {
    const translate = makeUpdateTranslator(new Map([["2", { type: "STEP" as const, parentId: undefined, status: "READY" }], ["8", { type: "STEP" as const, parentId: undefined, status: "STARTED" }]]))
    expect(actions(translate.updatesFor(ev({ _tag: "StepSucceeded", ...step, startedAt: 1, attempt: 2 })))).toEqual(["STEP:START", "STEP:SUCCEED"])
    // An at-most-once step found STARTED (interrupted): its outcome goes without a START.
    expect(actions(translate.updatesFor(ev({ _tag: "StepFailed", ...step, id: "8", attempt: 1, error: { errorType: "StepInterruptedError", errorMessage: "i" } })))).toEqual(["STEP:FAIL"])
  })

  it("drops updates under a context that has finished, as AWS's SDK does", () => {
    const translate = makeUpdateTranslator(new Map())
    const ctx = { id: "1", type: "CONTEXT", subType: "Parallel" }
    translate.updatesFor(ev({ _tag: "ContextStarted", ...ctx }))
    translate.updatesFor(ev({ _tag: "ContextStarted", id: "1-1", parentId: "1", type: "CONTEXT", subType: "ParallelBranch" }))
    expect(actions(translate.updatesFor(ev({ _tag: "ContextSucceeded", ...ctx, result: "r" })))).toEqual(["CONTEXT:SUCCEED"])
    expect(translate.updatesFor(ev({ _tag: "StepSucceeded", id: "1-1-1", parentId: "1-1", type: "STEP", subType: "Step", attempt: 1 }))).toEqual([])
    expect(translate.updatesFor(ev({ _tag: "ContextSucceeded", id: "1-1", parentId: "1", type: "CONTEXT", subType: "ParallelBranch" }))).toEqual([])
  })
})

describe("checkpoint batches", () => {
  const update = (id: string, action: OperationUpdate["Action"], type: OperationUpdate["Type"] = "STEP", payload?: string): OperationUpdate =>
    ({ Id: id, Type: type, Action: action, ...(payload === undefined ? {} : { Payload: payload }) })

  it("keeps each call within 250 updates and 750 KB, in order", () => {
    const many = Array.from({ length: 600 }, (_, i) => update(`s${i}`, "SUCCEED"))
    expect(batchUpdates(many, 100).map((b) => b.length)).toEqual([250, 250, 100])
    const big = Array.from({ length: 4 }, (_, i) => update(`b${i}`, "SUCCEED", "STEP", "x".repeat(250 * 1024)))
    const batches = batchUpdates(big, 100)
    expect(batches.map((b) => b.length)).toEqual([2, 2])
    expect(batches.flat().map((u) => u.Id)).toEqual(["b0", "b1", "b2", "b3"])
  })

  it("lets a STEP or CONTEXT start and close in one call, and splits any other repeat", () => {
    expect(batchUpdates([update("a", "START"), update("a", "SUCCEED")], 0).length).toBe(1)
    expect(batchUpdates([update("a", "START", "CONTEXT"), update("a", "FAIL", "CONTEXT")], 0).length).toBe(1)
    expect(batchUpdates([update("a", "START", "WAIT"), update("a", "CANCEL", "WAIT")], 0).length).toBe(2)
    expect(batchUpdates([update("a", "SUCCEED"), update("a", "START")], 0).length).toBe(2)
  })
})

describe("checkpoint error classification", () => {
  const aws = (name: string, status?: number, message = "m") => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

  it("follows AWS's SDK: 4xx fails the execution, except 429 and a stale token; the rest is retried", () => {
    expect(classifyCheckpointError(aws("InvalidParameterValueException", 400, "Invalid Checkpoint Token: stale"))).toBe("INVOCATION")
    expect(classifyCheckpointError(aws("InvalidParameterValueException", 400, "STEP output payload size must be ≤ 262144 bytes"))).toBe("EXECUTION")
    expect(classifyCheckpointError(aws("TooManyRequestsException", 429))).toBe("INVOCATION")
    expect(classifyCheckpointError(aws("ServiceException", 500))).toBe("INVOCATION")
    expect(classifyCheckpointError(aws("KMSAccessDeniedException", 502))).toBe("EXECUTION")
    expect(classifyCheckpointError(new Error("socket hang up"))).toBe("INVOCATION")
    expect(classifyCheckpointError({ isDurableExecutionClientError: true, scope: "EXECUTION" })).toBe("EXECUTION")
    expect(classifyStateError(aws("ResourceNotFoundException", 404))).toBe("INVOCATION")
    expect(classifyStateError(aws("KMSDisabledException", 502))).toBe("EXECUTION")
  })
})
