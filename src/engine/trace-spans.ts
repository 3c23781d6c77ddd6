/**
 * The spans and measurements an observer emits for a write (docs/observability.md), worked out without any telemetry
 * library. A span is emitted once, when what it covers has ended and that end is written: an operation at its
 * outcome, a step attempt at its outcome, the execution at its terminal event. Ids come from trace-ids.ts, so
 * a span's parent named by id is the same span whichever process, or which replay, emitted it.
 */
import type { ErrorCause, LogEvent, OperationEvent } from "../log/events.ts"
import { isOperationEvent } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import { isTerminalEvent, terminalStatus } from "../log/terminal-event.ts"
import { parseTraceparent, spanIdOf, traceIdOf } from "../log/trace-ids.ts"

export type Attributes = Record<string, string | number | boolean>

export interface PlannedSpan {
  readonly traceId: string
  readonly spanId: string
  /** Undefined for a root span (an execution started without trace context). */
  readonly parentSpanId: string | undefined
  readonly name: string
  /** Epoch milliseconds. */
  readonly startTime: number
  readonly endTime: number
  readonly attributes: Attributes
  readonly error?: SpanError
}

/** A span's failure: its type and message, and the recorded story (the user's frames, causes nearest first). */
export interface SpanError {
  readonly type: string
  readonly message: string
  readonly stackTrace?: ReadonlyArray<string>
  readonly causes?: ReadonlyArray<ErrorCause>
}

export interface Measurement {
  readonly name:
    | "reprise.executions.started"
    | "reprise.executions.ended"
    | "reprise.step.attempts"
    | "reprise.wakeup.latency"
    | "reprise.queue.latency"
  readonly value: number
  readonly attributes: Attributes
}

/** Values recorded like `ctx.now()` and emissions: instants, with no attempt worth a span of its own. */
const RECORDED = new Set(["Now", "Random", "Uuid", "Emit"])

/** The event that ends an operation (a retry scheduled, or a poll that says "not yet", does not). */
const endsOperation = (event: OperationEvent): boolean => {
  switch (event._tag) {
    case "StepSucceeded":
    case "StepFailed":
      return event.nextAttemptAt === undefined
    case "WaitSucceeded":
    case "CallbackSucceeded":
    case "CallbackFailed":
    case "CallbackTimedOut":
    case "InvokeSucceeded":
    case "InvokeFailed":
    case "InvokeTimedOut":
    case "InvokeStopped":
    case "ContextSucceeded":
    case "ContextFailed":
      return true
    default:
      return false
  }
}

const errorOf = (event: LogEvent): SpanError | undefined => {
  if (!("error" in event) || event.error === undefined) return undefined
  const { errorType, errorMessage, stackTrace, causes } = event.error
  return { type: errorType, message: errorMessage, ...(stackTrace === undefined ? {} : { stackTrace }), ...(causes === undefined ? {} : { causes }) }
}

const operationAttributes = (base: Attributes, op: OperationState): Attributes => ({
  ...base,
  "reprise.operation_id": op.id,
  "reprise.operation.type": op.type,
  "reprise.operation.subtype": op.subType,
  ...(op.name === undefined ? {} : { "reprise.operation.name": op.name })
})

export const spansOf = (state: ExecutionState, events: ReadonlyArray<LogEvent>): Array<PlannedSpan> => {
  const traceId = traceIdOf(state)
  const generation = state.rewinds
  const executionSpan = spanIdOf(state.executionId, undefined, undefined, generation)
  const base: Attributes = { "reprise.execution_id": state.executionId, "reprise.function": state.functionName }
  const spans: Array<PlannedSpan> = []
  /** An operation's span, ended at `endTime` (its outcome, or the execution's end while it was still open). */
  const operationSpan = (op: OperationState, endTime: number, attributes: Attributes, error?: PlannedSpan["error"]): PlannedSpan => ({
    traceId,
    spanId: spanIdOf(state.executionId, op.id, undefined, generation),
    parentSpanId: op.parentId === undefined ? executionSpan : spanIdOf(state.executionId, op.parentId, undefined, generation),
    name: `${op.subType} ${op.name ?? op.id}`,
    startTime: op.startedAt,
    endTime,
    attributes,
    ...(error === undefined ? {} : { error })
  })
  for (const event of events) {
    if (isTerminalEvent(event)) {
      const error = event._tag === "ExecutionTimedOut" ? { type: "TimedOut", message: "the execution timed out" } : errorOf(event)
      spans.push({
        traceId,
        spanId: executionSpan,
        parentSpanId: parseTraceparent(state.traceparent)?.spanId,
        name: `execution ${state.functionName}`,
        startTime: state.rewoundAt ?? state.startedAt,
        endTime: event.at,
        attributes: {
          ...base,
          "reprise.status": terminalStatus(event)!,
          ...(state.version === undefined ? {} : { "reprise.version": state.version }),
          ...(generation === 0 ? {} : { "reprise.rewinds": generation })
        },
        ...(error === undefined ? {} : { error })
      })
      // Operations still open when the execution ended (a stop during a retry's wait, a pending callback) end with it:
      // their attempts and children, already emitted, name them as parent.
      for (const op of state.operations.values()) {
        if ((op.status !== "STARTED" && op.status !== "PENDING") || RECORDED.has(op.subType)) continue
        spans.push(operationSpan(op, event.at, { ...operationAttributes(base, op), "reprise.status": op.status, "reprise.unfinished": true }))
      }
      continue
    }
    if (!isOperationEvent(event)) continue
    const op = state.operations.get(event.id)
    if (op === undefined) continue
    const opSpan = spanIdOf(state.executionId, op.id, undefined, generation)
    const attributes = operationAttributes(base, op)
    if ((event._tag === "StepSucceeded" || event._tag === "StepFailed") && !RECORDED.has(event.subType)) {
      const error = errorOf(event)
      spans.push({
        traceId,
        spanId: spanIdOf(state.executionId, op.id, event.attempt, generation),
        parentSpanId: opSpan,
        name: `${op.name ?? op.id} attempt ${event.attempt}`,
        startTime: event.startedAt ?? event.at,
        endTime: event.at,
        attributes: { ...attributes, "reprise.attempt": event.attempt, ...(event.nextAttemptAt === undefined ? {} : { "reprise.next_attempt_at": event.nextAttemptAt }) },
        ...(error === undefined ? {} : { error })
      })
    }
    if (!endsOperation(event)) continue
    const error = event._tag === "CallbackTimedOut" || event._tag === "InvokeTimedOut"
      ? { type: "TimedOut", message: `${op.type} timed out` }
      : errorOf(event)
    spans.push(operationSpan(op, event.at, { ...attributes, "reprise.status": op.status, ...(op.childExecutionId === undefined ? {} : { "reprise.child_execution_id": op.childExecutionId }) }, error))
  }
  return spans
}

/**
 * When an attempt began, for the event that begins it: its StepStarted, or the outcome of an attempt that wrote
 * none (an at-least-once step's, which carries `startedAt`). Undefined for an outcome after a StepStarted.
 */
const attemptBegan = (event: LogEvent): number | undefined =>
  event._tag === "StepStarted"
    ? event.at
    : (event._tag === "StepSucceeded" || event._tag === "StepFailed") && event.startedAt !== undefined
    ? event.startedAt
    : undefined

/**
 * Counters and histograms of a write: starts, ends by status, step attempts, and two latencies. Queue latency: from
 * when a queued execution could have run (its start, or the end of its debounce period) to when it left the queue.
 * Wake-up latency: from a wait's end, or a retry's or poll's due time, to when the wait ended or the attempt began.
 */
export const measurementsOf = (state: ExecutionState, events: ReadonlyArray<LogEvent>): Array<Measurement> => {
  const fn = { "reprise.function": state.functionName }
  const out: Array<Measurement> = []
  /** Retries and polls scheduled by this write itself (the state holds only the last attempt's due time). */
  const dueHere = new Map<string, number>()
  const wakeup = (due: number, at: number, kind: "wait" | "retry") =>
    out.push({ name: "reprise.wakeup.latency", value: Math.max(0, at - due), attributes: { ...fn, "reprise.wakeup": kind } })
  for (const event of events) {
    // A rewind runs the execution again, and it will end again: counted as a start, so started - ended is what runs.
    if (event._tag === "ExecutionStarted" || event._tag === "ExecutionRewound") out.push({ name: "reprise.executions.started", value: 1, attributes: fn })
    if (event._tag === "ExecutionDequeued") {
      const runnable = Math.max(state.startedAt, state.notBefore ?? state.startedAt)
      out.push({ name: "reprise.queue.latency", value: Math.max(0, event.at - runnable), attributes: fn })
    }
    const status = terminalStatus(event)
    if (status !== undefined) out.push({ name: "reprise.executions.ended", value: 1, attributes: { ...fn, "reprise.status": status } })
    if ((event._tag === "StepSucceeded" || event._tag === "StepFailed") && !RECORDED.has(event.subType)) {
      out.push({ name: "reprise.step.attempts", value: 1, attributes: { ...fn, "reprise.outcome": event._tag === "StepSucceeded" ? "succeeded" : "failed" } })
    }
    const began = attemptBegan(event)
    if (began !== undefined && "id" in event && "attempt" in event) {
      const op = state.operations.get(event.id)
      // Due by this write, or else by an earlier one: the state's, when this is the operation's latest attempt.
      const due = dueHere.get(event.id) ?? (op !== undefined && op.attempt === event.attempt ? op.attemptDueAt : undefined)
      dueHere.delete(event.id)
      if (due !== undefined) wakeup(due, began, "retry")
    }
    if ((event._tag === "StepSucceeded" || event._tag === "StepFailed") && event.nextAttemptAt !== undefined) dueHere.set(event.id, event.nextAttemptAt)
    if (event._tag === "WaitSucceeded") {
      const until = state.operations.get(event.id)?.until
      if (until !== undefined) wakeup(until, event.at, "wait")
    }
  }
  return out
}
