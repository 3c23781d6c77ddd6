/**
 * One line of text per history event, and the label of the operation it belongs to: used by the console's history
 * table and by the `reprise history` command (plain text, no markup, no runtime dependency).
 */
import type { LogEvent } from "../../log/events.ts"
import { duration, shortPayload, time as consoleTime } from "./format.ts"
import { shownPayload } from "./shown-payload.ts"
import { displayName } from "./tree.ts"

/**
 * One line per event, for the readable history. `time` writes the instants an event names (a retry's, a wait's end):
 * the console's spaced form by default; the CLI gives the ISO form its other lines use.
 */
export const describeEvent = (event: LogEvent, time: (at: number) => string = consoleTime): string => {
  switch (event._tag) {
    case "ExecutionStarted":
      return `${event.queue === undefined ? "started" : "queued"} ${event.functionName}${event.version === undefined ? "" : ` (version ${event.version})`}${event.forkedFrom === undefined ? "" : ` (forked from ${event.forkedFrom.executionId} before operation ${event.forkedFrom.operationId})`}${event.continuedFrom === undefined ? "" : ` (continues ${event.continuedFrom})`}${event.input === undefined ? "" : ` with ${shortPayload(event.input)}`}${event.queue === undefined ? "" : ` (priority ${event.queue.priority})`}`
    case "ExecutionDequeued":
      return "dequeued: runs now"
    case "ExecutionInputReplaced":
      return `debounced: input replaced${event.input === undefined ? "" : ` with ${shortPayload(event.input)}`}, runs at ${time(event.notBefore)}`
    case "ExecutionSucceeded":
      return `succeeded${event.result === undefined ? "" : `: ${shortPayload(event.result)}`}`
    case "ExecutionFailed":
      return `failed: ${event.error.errorType}: ${event.error.errorMessage}`
    case "ExecutionStopped":
      return `stopped${event.error === undefined ? "" : `: ${event.error.errorMessage}`}`
    case "ExecutionTimedOut":
      return "timed out"
    case "ExecutionContinuedAsNew":
      return `continued as new run ${event.nextExecutionId}${event.input === undefined ? "" : ` with ${shortPayload(event.input)}`}`
    case "ExecutionRewound":
      return `rewound to run again from operation ${event.fromOperation}${event.version === undefined ? "" : ` (version ${event.version})`}`
    case "ExecutionStopRequested":
      return `stop requested${event.error === undefined ? "" : `: ${event.error.errorMessage}`}; the saga compensates`
    case "StepStarted":
      return `attempt ${event.attempt} started`
    case "StepSucceeded":
      if (event.subType === "Emit") return `emitted${event.result === undefined ? "" : ` ${shortPayload(event.result)}`}`
      return event.nextAttemptAt === undefined
        ? `attempt ${event.attempt} succeeded${event.startedAt === undefined ? "" : ` in ${duration(event.at - event.startedAt)}`}${event.result === undefined ? "" : `: ${shortPayload(event.result)}`}`
        : `poll ${event.attempt}: not yet (${event.result === undefined ? "" : shortPayload(event.result)}), next at ${time(event.nextAttemptAt)}`
    case "StepFailed":
      return `attempt ${event.attempt} failed: ${event.error.errorType}: ${event.error.errorMessage}${event.nextAttemptAt === undefined ? " (no more retries)" : `; retry in ${duration(event.nextAttemptAt - event.at)}`}`
    case "WaitStarted":
      return `waiting ${duration(event.until - event.at)}, until ${time(event.until)}`
    case "WaitSucceeded":
      return "wait over"
    case "CallbackStarted":
      return `waiting for callback ${event.callbackId}${event.timeoutAt === undefined ? "" : ` (times out at ${time(event.timeoutAt)})`}`
    case "CallbackSucceeded":
      return `callback completed${event.result === undefined ? "" : `: ${shortPayload(event.result)}`}`
    case "CallbackFailed":
      return `callback failed: ${event.error.errorType}: ${event.error.errorMessage}`
    case "CallbackHeartbeat":
      return "callback heartbeat"
    case "CallbackTimedOut":
      return `callback timed out (${event.reason})`
    case "InvokeStarted":
      return `invoked ${event.functionName} as ${event.childExecutionId}`
    case "InvokeSucceeded":
      return `invoke succeeded${event.result === undefined ? "" : `: ${shortPayload(event.result)}`}`
    case "InvokeFailed":
      return `invoke failed: ${event.error.errorType}: ${event.error.errorMessage}`
    case "InvokeTimedOut":
      return "invoke timed out"
    case "InvokeStopped":
      return "invoked execution stopped"
    case "ContextStarted":
      return "context started"
    case "ContextSucceeded":
      return `context succeeded${event.result === undefined ? "" : `: ${shortPayload(shownPayload(event.subType, event.result))}`}`
    case "ContextFailed":
      return `context failed: ${event.error.errorType}: ${event.error.errorMessage}`
    case "ExecutionPaused":
      return "paused"
    case "ExecutionResumed":
      return "resumed"
    case "PatchMarked":
      return `patch ${JSON.stringify(event.patchId)} taken`
  }
}

/**
 * Labels the operations of events read in log order: "<name> · <id>", or "execution". It learns the contexts from
 * their ContextStarted events, so that waitForCallback's unnamed callback and submitter are named after it.
 */
export const makeOperationLabeler = (): (event: LogEvent) => string => {
  const contexts = new Map<string, { readonly subType: string; readonly name?: string | undefined }>()
  return (event) => {
    if (!("subType" in event)) return "execution"
    if (event._tag === "ContextStarted") contexts.set(event.id, { subType: event.subType, name: event.name })
    const parent = event.parentId === undefined ? undefined : contexts.get(event.parentId)
    return `${displayName(event, parent)} · ${event.id}`
  }
}
