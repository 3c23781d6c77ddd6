/**
 * An execution's life as log lines: started, a step failed and retries at T, suspended until T or on a callback,
 * resumed, ended with its status, non-determinism. One line per fact, made from the events as they are written, so
 * a replay (which writes nothing) is silent. The lines go through Effect's logger, annotated with `executionId`,
 * `functionName` and `operationId` (the engine logs "started" and cold loads itself); the host installs the logger that prints them (src/host/host-logger.ts).
 */
import { Context, Effect } from "effect"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"

/** Whether the engine logs executions' lives (default off: tests and embedders stay quiet; the host turns it on). */
export const LifecycleLogs = Context.Reference<boolean>("reprise/engine/LifecycleLogs", { defaultValue: () => false })

export interface LifecycleLine {
  readonly level: "Debug" | "Info" | "Warn" | "Error"
  readonly message: string
  readonly operationId?: string
}

const iso = (millis: number) => new Date(millis).toISOString()
const took = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)

/** `Error: message`, then where it was thrown: the place of its first user frame, else of its nearest cause's. */
export const errorText = (error: ErrorObject): string => {
  const frame = error.stackTrace?.[0] ?? error.causes?.find((cause) => cause.stackTrace !== undefined)?.stackTrace?.[0]
  // "at fn (file:line:col)" or "at file:line:col": the place is what a reader looks for.
  const place = frame === undefined ? undefined : (/\(([^()]+)\)$/.exec(frame)?.[1] ?? frame.replace(/^at /, ""))
  return `${error.errorType}: ${error.errorMessage}${place === undefined ? "" : ` (at ${place})`}`
}

const opLabel = (event: { readonly id: string; readonly name?: string; readonly subType: string }) =>
  `${event.subType.charAt(0).toLowerCase()}${event.subType.slice(1)} ${event.name === undefined ? event.id : JSON.stringify(event.name)}`

type Level = LifecycleLine["level"]

/** The level of the line an event is worth, if any: decided before its message, which most steps never need. */
export const lifecycleLevel = (event: LogEvent): Level | undefined => {
  switch (event._tag) {
    case "ExecutionSucceeded":
    case "ExecutionPaused":
    case "ExecutionResumed":
    case "ExecutionContinuedAsNew":
    case "WaitStarted":
    case "WaitSucceeded":
    case "CallbackStarted":
    case "CallbackSucceeded":
    case "InvokeStarted":
    case "InvokeSucceeded":
      return "Info"
    case "ExecutionFailed":
      return "Error"
    case "ExecutionStopped":
    case "ExecutionTimedOut":
    case "ExecutionStopRequested":
    case "ExecutionRewound":
    case "CallbackFailed":
    case "CallbackTimedOut":
    case "InvokeFailed":
    case "InvokeTimedOut":
    case "InvokeStopped":
      return "Warn"
    case "StepFailed":
      return event.nextAttemptAt === undefined ? "Error" : "Warn"
    case "StepSucceeded":
    case "ContextFailed":
      return "Debug"
    default:
      return undefined
  }
}

/**
 * The line an event written just now is worth, if any and if `wanted` takes its level (a step's debug line is
 * not even formatted at the default level). `state` is the execution after the event.
 */
export const lifecycleLine = (
  event: LogEvent,
  state: ExecutionState,
  wanted: (level: Level) => boolean = () => true
): LifecycleLine | undefined => {
  const level = lifecycleLevel(event)
  if (level === undefined || !wanted(level)) return undefined
  const message = lineMessage(event, state)
  return "id" in event ? { level, message, operationId: event.id } : { level, message }
}

const lineMessage = (event: LogEvent, state: ExecutionState): string => {
  switch (event._tag) {
    case "ExecutionSucceeded":
      return `ended SUCCEEDED in ${took(event.at - state.startedAt)}`
    case "ExecutionFailed":
      return `ended FAILED in ${took(event.at - state.startedAt)}: ${errorText(event.error)}`
    case "ExecutionStopped":
      return `ended STOPPED${event.error === undefined ? "" : `: ${event.error.errorMessage}`}`
    case "ExecutionTimedOut":
      return "ended TIMED_OUT: the execution timeout passed"
    case "ExecutionStopRequested":
      return `stop requested${event.error === undefined ? "" : `: ${event.error.errorMessage}`}; the saga compensates`
    case "ExecutionPaused":
      return "paused"
    case "ExecutionResumed":
      return "resumed from the pause"
    case "ExecutionContinuedAsNew":
      return `ended CONTINUED_AS_NEW after ${took(event.at - state.startedAt)}: goes on as ${event.nextExecutionId}`
    case "ExecutionRewound":
      return `rewound: runs again from operation ${event.fromOperation}`
    case "StepFailed":
      return event.nextAttemptAt === undefined
        ? `${opLabel(event)} failed on attempt ${event.attempt}, for good: ${errorText(event.error)}`
        : `${opLabel(event)} failed on attempt ${event.attempt}: ${errorText(event.error)}; retries at ${iso(event.nextAttemptAt)}`
    case "StepSucceeded":
      return event.nextAttemptAt === undefined
        ? `${opLabel(event)} succeeded on attempt ${event.attempt}`
        : `${opLabel(event)} not yet; polls again at ${iso(event.nextAttemptAt)}`
    case "WaitStarted":
      return `suspended until ${iso(event.until)} by ${opLabel(event)}`
    case "WaitSucceeded":
      return `resumed: ${opLabel(event)} is over`
    case "CallbackStarted":
      // Not the callback id: it is a capability (whoever holds it completes the callback), and logs travel far.
      return `suspended on ${opLabel(event)}${event.timeoutAt === undefined ? "" : ` until it times out at ${iso(event.timeoutAt)}`}`
    case "CallbackSucceeded":
      return `resumed: ${opLabel(event)} succeeded`
    case "CallbackFailed":
      return `resumed: ${opLabel(event)} failed: ${errorText(event.error)}`
    case "CallbackTimedOut":
      return `resumed: ${opLabel(event)} timed out (${event.reason})`
    case "InvokeStarted":
      return `suspended on ${event.functionName} invoked as ${event.childExecutionId}`
    case "InvokeSucceeded":
      return `resumed: ${opLabel(event)} succeeded`
    case "InvokeFailed":
      return `resumed: ${opLabel(event)} failed: ${errorText(event.error)}`
    case "InvokeTimedOut":
    case "InvokeStopped":
      return `resumed: ${opLabel(event)} ${event._tag === "InvokeTimedOut" ? "timed out" : "was stopped"}`
    case "ContextFailed":
      return `${opLabel(event)} failed: ${errorText(event.error)}`
    default:
      return ""
  }
}

/** Emits lines through the current logger; each names its operation, if it has one. */
export const emitLines = (lines: ReadonlyArray<LifecycleLine>): Effect.Effect<void> =>
  lines.length === 0 ? Effect.void : Effect.forEach(lines, (line) => {
    const log = Effect.logWithLevel(line.level)(line.message)
    return line.operationId === undefined ? log : Effect.annotateLogs(log, { operationId: line.operationId })
  }, { discard: true })
