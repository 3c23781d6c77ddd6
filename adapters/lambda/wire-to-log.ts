/**
 * The service's operations, as an invocation receives them, turned into Reprise's event log: one
 * ExecutionStarted, then for every operation the events whose fold gives its state. Time belongs to the service
 * on Lambda: a wait, callback or retry still pending is given no due time the engine could reach (`NEVER`), so
 * only the service completes waits, times callbacks out and makes retries due (READY), and it re-invokes.
 */
import { DEFAULT_RETENTION_MS } from "reprise/engine"
import type { ErrorObject, LogEvent, OperationType } from "reprise/store"
import { makeIdResolver } from "./operation-ids.ts"
import { errorFromWire } from "reprise/aws"
import { wireMillis, type WireOperation } from "./wire.ts"

/** A due time no clock reaches (the largest valid Date). */
export const NEVER = 8_640_000_000_000_000

/** What the update translator needs to know of each operation already on the wire. */
export interface WireOpState {
  readonly type: OperationType
  readonly parentId: string | undefined
  status: string
}

export interface TranslatedLog {
  readonly events: ReadonlyArray<LogEvent>
  /** By positional id. */
  readonly operations: Map<string, WireOpState>
}

export class WireStateError extends Error {
  override readonly name = "WireStateError"
}

const DEFAULT_SUBTYPE: Record<string, string> = {
  STEP: "Step",
  WAIT: "Wait",
  CALLBACK: "Callback",
  CHAINED_INVOKE: "ChainedInvoke",
  CONTEXT: "RunInChildContext"
}

const OPERATION_TYPES = new Set(["STEP", "WAIT", "CALLBACK", "CHAINED_INVOKE", "CONTEXT"])

/** A wire error as Reprise records it (shared with the service's side in reprise/aws). */
export { errorFromWire }

const isBatch = (op: WireOperation | undefined) => op?.Type === "CONTEXT" && (op.SubType === "Map" || op.SubType === "Parallel")

/** Translates an execution's operations (in the service's order) into a log. */
export const operationsToLog = (
  executionArn: string,
  functionName: string,
  wire: ReadonlyArray<WireOperation>,
  now: number
): TranslatedLog => {
  const execution = wire.find((op) => op.Type === "EXECUTION")
  if (execution === undefined) throw new WireStateError(`Execution ${executionArn}: its state has no EXECUTION operation`)
  const events: Array<LogEvent> = []
  let seq = 0
  const push = (event: Record<string, unknown>) => events.push({ ...event, seq: ++seq } as LogEvent)
  const input = execution.ExecutionDetails?.InputPayload
  push({
    _tag: "ExecutionStarted",
    at: wireMillis(execution.StartTimestamp) ?? now,
    executionId: executionArn,
    functionName,
    ...(input === undefined || input === null ? {} : { input }),
    timeoutAt: NEVER, // the service times the execution out
    retentionMs: DEFAULT_RETENTION_MS
  })

  const operations = new Map<string, WireOpState>()
  const byWireId = new Map<string, WireOperation>()
  for (const op of wire) if (op.Id !== undefined) byWireId.set(op.Id, op)
  const resolver = makeIdResolver(wire.length)

  // Parents first: an operation is placed once its parent's positional id is known.
  let pending = wire.filter((op) => op.Type !== "EXECUTION")
  while (pending.length > 0) {
    const next: Array<WireOperation> = []
    for (const op of pending) {
      if (op.Id === undefined || !OPERATION_TYPES.has(String(op.Type))) {
        throw new WireStateError(`Execution ${executionArn}: an operation without an id or with an unknown type (${String(op.Type)})`)
      }
      const parentWire = op.ParentId ?? undefined
      if (parentWire !== undefined && resolver.positionalOf(parentWire) === undefined) {
        next.push(op)
        continue
      }
      const id = resolver.resolve(op.Id, parentWire, isBatch(parentWire === undefined ? undefined : byWireId.get(parentWire)))
      if (id === undefined) {
        throw new WireStateError(`Execution ${executionArn}: operation ${op.Id} matches no position under its parent ${parentWire ?? "(root)"}`)
      }
      const parentId = parentWire === undefined ? undefined : resolver.positionalOf(parentWire)
      const type = op.Type as OperationType
      const status = String(op.Status ?? "STARTED")
      operations.set(id, { type, parentId, status })
      for (const event of eventsOf(op, id, parentId, type, status, now)) push(event)
    }
    if (next.length === pending.length) {
      throw new WireStateError(`Execution ${executionArn}: operation ${next[0]!.Id} names a parent that is not in the state (${next[0]!.ParentId})`)
    }
    pending = next
  }
  return { events: inTimeOrder(events), operations }
}

/**
 * The events by their time, then as listed (stable), seqs given again: an operation's end then comes where it ended
 * among the others', which the replay settles by (src/context/replay-order.ts; listed per operation, a run's
 * operations replayed in call order). A start is never after its end, nor a child's start before its parent's.
 */
const inTimeOrder = (events: Array<LogEvent>): Array<LogEvent> => {
  const [first, ...rest] = events
  if (first === undefined) return events
  rest.sort((a, b) => a.at - b.at) // Array.prototype.sort is stable
  let seq = 1
  return [first, ...rest.map((event) => ({ ...event, seq: ++seq }))]
}

const eventsOf = (
  op: WireOperation,
  id: string,
  parentId: string | undefined,
  type: OperationType,
  status: string,
  now: number
): Array<Record<string, unknown>> => {
  const ref = {
    id,
    ...(parentId === undefined ? {} : { parentId }),
    ...(op.Name === undefined || op.Name === null ? {} : { name: op.Name }),
    type,
    subType: op.SubType || DEFAULT_SUBTYPE[type]!
  }
  const start = wireMillis(op.StartTimestamp) ?? now
  const end = wireMillis(op.EndTimestamp) ?? start
  const result = (payload: string | undefined | null) => (payload === undefined || payload === null ? {} : { result: payload })
  switch (type) {
    case "STEP": {
      const details = op.StepDetails
      const attempt = details?.Attempt ?? 0
      if (status === "STARTED") return [{ _tag: "StepStarted", ...ref, at: start, attempt: attempt + 1 }]
      if (status === "SUCCEEDED") {
        return [{ _tag: "StepSucceeded", ...ref, at: end, startedAt: start, attempt: Math.max(attempt, 1), ...result(details?.Result) }]
      }
      if (status === "PENDING" || status === "READY") {
        // PENDING: the service makes it due (READY) and re-invokes; READY: the next attempt runs now.
        const nextAttemptAt = status === "READY" ? 0 : NEVER
        return ref.subType === "WaitForCondition"
          ? [{ _tag: "StepSucceeded", ...ref, at: start, startedAt: start, attempt: Math.max(attempt, 1), ...result(details?.Result), nextAttemptAt }]
          : [{ _tag: "StepFailed", ...ref, at: start, startedAt: start, attempt: Math.max(attempt, 1), error: errorFromWire(details?.Error, "Step failed"), nextAttemptAt }]
      }
      return [{ _tag: "StepFailed", ...ref, at: end, startedAt: start, attempt: Math.max(attempt, 1), error: errorFromWire(details?.Error, "Step failed") }]
    }
    case "WAIT": {
      const scheduled = wireMillis(op.WaitDetails?.ScheduledEndTimestamp)
      const started = { _tag: "WaitStarted", ...ref, at: start, until: status === "STARTED" ? NEVER : scheduled ?? end }
      // A cancelled wait (never written by Reprise) lets the code go on, as a finished one does.
      return status === "STARTED" ? [started] : [started, { _tag: "WaitSucceeded", ...ref, at: end }]
    }
    case "CALLBACK": {
      const details = op.CallbackDetails
      const started = { _tag: "CallbackStarted", ...ref, at: start, callbackId: details?.CallbackId ?? "" }
      switch (status) {
        case "STARTED":
          return [started]
        case "SUCCEEDED":
          return [started, { _tag: "CallbackSucceeded", ...ref, at: end, ...result(details?.Result) }]
        case "TIMED_OUT": {
          const reason = /heartbeat/i.test(details?.Error?.ErrorMessage ?? "") ? "heartbeat" : "timeout"
          return [started, { _tag: "CallbackTimedOut", ...ref, at: end, reason }]
        }
        default:
          return [started, { _tag: "CallbackFailed", ...ref, at: end, error: errorFromWire(details?.Error, "Callback failed") }]
      }
    }
    case "CHAINED_INVOKE": {
      const details = op.ChainedInvokeDetails
      const started = { _tag: "InvokeStarted", ...ref, at: start, functionName: op.Name ?? "", childExecutionId: "" }
      switch (status) {
        case "STARTED":
          return [started]
        case "SUCCEEDED":
          return [started, { _tag: "InvokeSucceeded", ...ref, at: end, ...result(details?.Result) }]
        case "TIMED_OUT":
          return [started, { _tag: "InvokeTimedOut", ...ref, at: end }]
        case "STOPPED":
        case "CANCELLED":
          return [started, { _tag: "InvokeStopped", ...ref, at: end }]
        default:
          return [started, { _tag: "InvokeFailed", ...ref, at: end, error: errorFromWire(details?.Error, "Invoke failed") }]
      }
    }
    case "CONTEXT": {
      const details = op.ContextDetails
      const started = { _tag: "ContextStarted", ...ref, at: start }
      if (status === "SUCCEEDED") {
        const replayChildren = details?.ReplayChildren === true
        // An oversized result without a summary is stored as "" by AWS's SDK and as nothing by Reprise.
        const stored = replayChildren && details?.Result === "" ? undefined : details?.Result
        return [started, { _tag: "ContextSucceeded", ...ref, at: end, ...result(stored), ...(replayChildren ? { replayChildren } : {}) }]
      }
      if (status === "STARTED") return [started]
      return [started, { _tag: "ContextFailed", ...ref, at: end, error: errorFromWire(details?.Error, "Child context failed") }]
    }
    default:
      return []
  }
}
