/**
 * Reprise's folded execution state as the service's operations, what `getExecutionState` and a checkpoint's
 * `NewExecutionState` give AWS's SDK: the same statuses, details and hashed ids the Lambda adapter reads back
 * (adapters/lambda wire-to-log), so each side of the translation is the other's inverse.
 *
 * - A step whose retry is due shows READY (the SDK runs the next attempt now), PENDING before; the wire's
 *   `Attempt` counts finished attempts, Reprise's `attempt` is the one last started or finished.
 * - Children of a finished context are left out, as the service leaves them out (the SDK replays the context from
 *   its result), unless the context asked to replay its children (a result over the payload limit).
 */
import type { ErrorObject } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import { wireId } from "./operation-ids.ts"
import { errorToWire, type WireErrorObject, type WireOperation } from "./wire.ts"

/** The EXECUTION operation's id: any string the SDK keeps (the service uses a UUID). */
export const EXECUTION_OPERATION_ID = "execution"

const FINISHED = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"])

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

const errorOf = (error: ErrorObject | undefined): WireErrorObject | undefined => (error === undefined ? undefined : errorToWire(error))

/** A timeout or stop has no recorded error in Reprise's log; the SDK builds its error from the message. */
const endedWithout = (op: OperationState): WireErrorObject | undefined => {
  if (op.error !== undefined) return errorToWire(op.error)
  if (op.status === "TIMED_OUT") {
    return op.type === "CALLBACK"
      ? { ErrorType: "CallbackTimeout", ErrorMessage: op.timedOutReason === "heartbeat" ? "Callback timed out on heartbeat" : "Callback timed out" }
      : { ErrorType: "InvokeTimedOut", ErrorMessage: `The invoked execution ${op.childExecutionId ?? ""} timed out` }
  }
  if (op.status === "STOPPED") return { ErrorType: "InvokeStopped", ErrorMessage: `The invoked execution ${op.childExecutionId ?? ""} was stopped` }
  return undefined
}

export const operationToWire = (op: OperationState, now: number): WireOperation => {
  const retryDue = op.status === "PENDING" && (op.nextAttemptAt ?? 0) <= now
  const wire: WireOperation = {
    Id: wireId(op.id),
    ...optional("ParentId", op.parentId === undefined ? undefined : wireId(op.parentId)),
    ...optional("Name", op.name),
    Type: op.type,
    SubType: op.subType,
    Status: retryDue ? "READY" : op.status,
    StartTimestamp: new Date(op.startedAt),
    ...optional("EndTimestamp", op.endedAt === undefined ? undefined : new Date(op.endedAt))
  }
  switch (op.type) {
    case "STEP":
      wire.StepDetails = {
        Attempt: op.attemptOpen ? op.attempt - 1 : op.attempt,
        ...optional("NextAttemptTimestamp", op.status === "PENDING" && op.nextAttemptAt !== undefined ? new Date(op.nextAttemptAt) : undefined),
        ...optional("Result", op.result),
        ...optional("Error", errorOf(op.error))
      }
      break
    case "WAIT":
      wire.WaitDetails = { ...optional("ScheduledEndTimestamp", op.until === undefined ? undefined : new Date(op.until)) }
      break
    case "CALLBACK":
      wire.CallbackDetails = { ...optional("CallbackId", op.callbackId), ...optional("Result", op.result), ...optional("Error", endedWithout(op)) }
      break
    case "CHAINED_INVOKE":
      wire.ChainedInvokeDetails = { ...optional("Result", op.result), ...optional("Error", endedWithout(op)) }
      break
    case "CONTEXT":
      wire.ContextDetails = {
        ...optional("Result", op.result ?? (op.replayChildren === true ? "" : undefined)),
        ...optional("Error", errorOf(op.error)),
        ...optional("ReplayChildren", op.replayChildren)
      }
      break
  }
  return wire
}

/** True when the operation sits under a finished context whose children are not replayed. */
export const isPruned = (state: ExecutionState, op: OperationState): boolean => {
  for (let at = op.parentId; at !== undefined;) {
    const parent = state.operations.get(at)
    if (parent === undefined) return false
    if (FINISHED.has(parent.status) && parent.replayChildren !== true) return true
    at = parent.parentId
  }
  return false
}

/** The whole state, in start order, as the SDK reads it at the start of an invocation. */
export const stateToWire = (state: ExecutionState, now: number): Array<WireOperation> => {
  const operations: Array<WireOperation> = [{
    Id: EXECUTION_OPERATION_ID,
    Type: "EXECUTION",
    Status: "STARTED",
    StartTimestamp: new Date(state.startedAt),
    ExecutionDetails: { ...optional("InputPayload", state.input) }
  }]
  for (const op of state.operations.values()) if (!isPruned(state, op)) operations.push(operationToWire(op, now))
  return operations
}
