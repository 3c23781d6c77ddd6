/**
 * Reprise's new events turned into the service's operation updates, as AWS's SDK would send them:
 *
 * - a default (at-least-once) step writes one outcome event carrying `startedAt`; the service gets START and the
 *   outcome (SUCCEED, FAIL, or RETRY with the delay) in one batch, START only when the operation is new or READY;
 * - a waitForCondition poll that says "not yet" is a STEP RETRY carrying the state as payload;
 * - waits, callbacks and chained invokes are only started: the service completes them, so the events that
 *   complete them (and the execution's own end, returned by the handler) produce no update;
 * - as in AWS's SDK, nothing is sent for an operation under a context that has already finished (items of a map
 *   cut off by its completion policy stay STARTED).
 */
import { errorToWire } from "reprise/aws"
import type { ErrorObject, LogEvent, OperationType } from "reprise/store"
import { fitErrorUpdate } from "./error-size.ts"
import { wireId } from "./operation-ids.ts"
import type { OperationUpdate, WireAction } from "./wire.ts"
import type { WireOpState } from "./wire-to-log.ts"

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"])

const seconds = (ms: number, min: number) => Math.max(min, Math.round(ms / 1000))

type OperationEvent = Extract<LogEvent, { readonly id: string }>

export interface UpdateTranslator {
  /** The updates one event becomes (often none); keeps track of what the service now holds. */
  updatesFor(event: LogEvent): Array<OperationUpdate>
}

export const makeUpdateTranslator = (operations: Map<string, WireOpState>): UpdateTranslator => {
  const finished = new Set<string>()
  for (const [id, op] of operations) if (op.type === "CONTEXT" && TERMINAL.has(op.status)) finished.add(id)

  const underFinished = (parentId: string | undefined): boolean => {
    for (let at = parentId; at !== undefined; at = operations.get(at)?.parentId) {
      if (finished.has(at)) return true
    }
    return false
  }

  const base = (event: OperationEvent, action: WireAction): OperationUpdate => ({
    Id: wireId(event.id),
    ...(event.parentId === undefined ? {} : { ParentId: wireId(event.parentId) }),
    ...(event.name === undefined ? {} : { Name: event.name }),
    Type: event.type as OperationUpdate["Type"],
    SubType: event.subType,
    Action: action
  })

  // AWS's error object has no cause chain: the causes follow the frames, as "caused by" lines (reprise/aws).
  const wireError = (error: ErrorObject) => errorToWire(error)

  const track = (event: OperationEvent, status: string) => {
    const known = operations.get(event.id)
    if (known === undefined) operations.set(event.id, { type: event.type as OperationType, parentId: event.parentId, status })
    else known.status = status
    if (event.type === "CONTEXT" && TERMINAL.has(status)) finished.add(event.id)
  }

  /** START for a step attempt, unless the service already holds the attempt as started. */
  const stepStart = (event: OperationEvent): Array<OperationUpdate> => {
    const status = operations.get(event.id)?.status
    return status === undefined || status === "READY" ? [base(event, "START")] : []
  }

  return {
    updatesFor: (event) => {
      if (!("id" in event) || !("subType" in event)) return []
      if (underFinished(event.parentId)) return []
      switch (event._tag) {
        case "StepStarted": {
          const updates = stepStart(event)
          track(event, "STARTED")
          return updates
        }
        case "StepSucceeded": {
          const start = stepStart(event)
          if (event.nextAttemptAt !== undefined) {
            track(event, "PENDING")
            return [...start, {
              ...base(event, "RETRY"),
              ...(event.result === undefined ? {} : { Payload: event.result }),
              StepOptions: { NextAttemptDelaySeconds: seconds(event.nextAttemptAt - event.at, 0) }
            }]
          }
          track(event, "SUCCEEDED")
          return [...start, { ...base(event, "SUCCEED"), ...(event.result === undefined ? {} : { Payload: event.result }) }]
        }
        case "StepFailed": {
          const start = stepStart(event)
          if (event.nextAttemptAt !== undefined) {
            track(event, "PENDING")
            return [...start, fitErrorUpdate({
              ...base(event, "RETRY"),
              Error: wireError(event.error),
              StepOptions: { NextAttemptDelaySeconds: seconds(event.nextAttemptAt - event.at, 0) }
            })]
          }
          track(event, "FAILED")
          return [...start, fitErrorUpdate({ ...base(event, "FAIL"), Error: wireError(event.error) })]
        }
        case "WaitStarted":
          track(event, "STARTED")
          return [{ ...base(event, "START"), WaitOptions: { WaitSeconds: seconds(event.until - event.at, 1) } }]
        case "CallbackStarted":
          track(event, "STARTED")
          return [{
            ...base(event, "START"),
            CallbackOptions: {
              TimeoutSeconds: event.timeoutAt === undefined ? undefined : seconds(event.timeoutAt - event.at, 1),
              HeartbeatTimeoutSeconds: event.heartbeatTimeoutMs === undefined ? undefined : seconds(event.heartbeatTimeoutMs, 1)
            }
          }]
        case "InvokeStarted":
          track(event, "STARTED")
          return [{
            ...base(event, "START"),
            ...(event.input === undefined ? {} : { Payload: event.input }),
            ChainedInvokeOptions: { FunctionName: event.functionName }
          }]
        case "ContextStarted":
          track(event, "STARTED")
          return [base(event, "START")]
        case "ContextSucceeded":
          track(event, "SUCCEEDED")
          return [{
            ...base(event, "SUCCEED"),
            ...(event.result === undefined ? {} : { Payload: event.result }),
            ...(event.replayChildren === true ? { ContextOptions: { ReplayChildren: true } } : {})
          }]
        case "ContextFailed":
          track(event, "FAILED")
          return [fitErrorUpdate({ ...base(event, "FAIL"), Error: wireError(event.error) })]
        default:
          // Completions that belong to the service (waits, callbacks, invokes): it records them itself.
          return []
      }
    }
  }
}
