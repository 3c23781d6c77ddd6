/**
 * The operations of an execution on Lambda, folded from its GetDurableExecutionHistory events, in the shape the
 * HTTP API shows for every runtime (OperationState). Ids are the service's (wire) ids.
 */
import type { ErrorObject, OperationState, OperationStatus, OperationType } from "reprise/store"
import { type WireErrorObject, wireMillis, type WireTimestamp } from "./wire.ts"

/** A history event as `@aws-sdk/client-lambda` returns it (only what is read here). */
export interface HistoryEvent {
  EventType?: string | undefined
  SubType?: string | undefined
  EventId?: number | undefined
  Id?: string | undefined
  Name?: string | undefined
  ParentId?: string | undefined
  EventTimestamp?: WireTimestamp | undefined
  [details: string]: unknown
}

const STATES: Readonly<Record<string, readonly [OperationType, OperationStatus]>> = {
  StepStarted: ["STEP", "STARTED"],
  StepSucceeded: ["STEP", "SUCCEEDED"],
  StepFailed: ["STEP", "FAILED"],
  WaitStarted: ["WAIT", "STARTED"],
  WaitSucceeded: ["WAIT", "SUCCEEDED"],
  WaitCancelled: ["WAIT", "CANCELLED"],
  CallbackStarted: ["CALLBACK", "STARTED"],
  CallbackSucceeded: ["CALLBACK", "SUCCEEDED"],
  CallbackFailed: ["CALLBACK", "FAILED"],
  CallbackTimedOut: ["CALLBACK", "TIMED_OUT"],
  ChainedInvokeStarted: ["CHAINED_INVOKE", "STARTED"],
  ChainedInvokeSucceeded: ["CHAINED_INVOKE", "SUCCEEDED"],
  ChainedInvokeFailed: ["CHAINED_INVOKE", "FAILED"],
  ChainedInvokeTimedOut: ["CHAINED_INVOKE", "TIMED_OUT"],
  ChainedInvokeStopped: ["CHAINED_INVOKE", "STOPPED"],
  ContextStarted: ["CONTEXT", "STARTED"],
  ContextSucceeded: ["CONTEXT", "SUCCEEDED"],
  ContextFailed: ["CONTEXT", "FAILED"]
}

type Details = {
  RetryDetails?: { CurrentAttempt?: number; NextAttemptDelaySeconds?: number }
  Error?: { Payload?: WireErrorObject }
  CallbackId?: string
  ScheduledEndTimestamp?: WireTimestamp
}

export const errorOfWire = (error: WireErrorObject | undefined): ErrorObject | undefined =>
  error === undefined ? undefined : {
    errorType: error.ErrorType || "Error",
    errorMessage: error.ErrorMessage ?? "",
    ...(error.ErrorData === undefined ? {} : { errorData: error.ErrorData }),
    ...(error.StackTrace === undefined || error.StackTrace.length === 0 ? {} : { stackTrace: error.StackTrace })
  }

export const operationsFromHistory = (events: ReadonlyArray<HistoryEvent>): Array<OperationState> => {
  const operations = new Map<string, OperationState>()
  for (const event of events) {
    const state = event.EventType === undefined ? undefined : STATES[event.EventType]
    if (state === undefined || event.Id === undefined) continue
    const [type, status] = state
    const at = wireMillis(event.EventTimestamp) ?? 0
    const details = (event[`${event.EventType}Details`] ?? {}) as Details
    let op = operations.get(event.Id)
    if (op === undefined) {
      op = {
        id: event.Id,
        ...(event.ParentId === undefined ? {} : { parentId: event.ParentId }),
        ...(event.Name === undefined ? {} : { name: event.Name }),
        type,
        subType: event.SubType ?? type,
        status,
        startedAt: at,
        attempt: 0,
        attemptOpen: false
      }
      operations.set(event.Id, op)
    }
    op.status = status
    const retry = details.RetryDetails
    if (retry?.CurrentAttempt !== undefined) op.attempt = retry.CurrentAttempt
    if (type === "STEP" && retry?.NextAttemptDelaySeconds !== undefined && status !== "STARTED") {
      op.status = "PENDING" // a scheduled retry, or a waitForCondition poll that said "not yet"
      op.nextAttemptAt = at + retry.NextAttemptDelaySeconds * 1000
    } else if (status !== "STARTED") {
      op.endedAt = at
      delete op.nextAttemptAt
    }
    const error = errorOfWire(details.Error?.Payload)
    if (error !== undefined) op.error = error
    if (details.CallbackId !== undefined) op.callbackId = details.CallbackId
    const until = wireMillis(details.ScheduledEndTimestamp)
    if (until !== undefined) op.until = until
  }
  return [...operations.values()]
}
