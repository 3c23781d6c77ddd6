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

const on = (level: LifecycleLine["level"], message: string, operationId?: string): LifecycleLine =>
  operationId === undefined ? { level, message } : { level, message, operationId }

/** The line an event written just now is worth, if any. `state` is the execution after the event. */
export const lifecycleLine = (event: LogEvent, state: ExecutionState): LifecycleLine | undefined => {
  switch (event._tag) {
    case "ExecutionSucceeded":
      return on("Info", `ended SUCCEEDED in ${took(event.at - state.startedAt)}`)
    case "ExecutionFailed":
      return on("Error", `ended FAILED in ${took(event.at - state.startedAt)}: ${errorText(event.error)}`)
    case "ExecutionStopped":
      return on("Warn", `ended STOPPED${event.error === undefined ? "" : `: ${event.error.errorMessage}`}`)
    case "ExecutionTimedOut":
      return on("Warn", "ended TIMED_OUT: the execution timeout passed")
    case "ExecutionStopRequested":
      return on("Warn", `stop requested${event.error === undefined ? "" : `: ${event.error.errorMessage}`}; the saga compensates`)
    case "ExecutionPaused":
      return on("Info", "paused")
    case "ExecutionResumed":
      return on("Info", "resumed from the pause")
    case "ExecutionContinuedAsNew":
      return on("Info", `ended CONTINUED_AS_NEW after ${took(event.at - state.startedAt)}: goes on as ${event.nextExecutionId}`)
    case "ExecutionRewound":
      return on("Warn", `rewound: runs again from operation ${event.fromOperation}`)
    case "StepFailed":
      return event.nextAttemptAt === undefined
        ? on("Error", `${opLabel(event)} failed on attempt ${event.attempt}, for good: ${errorText(event.error)}`, event.id)
        : on("Warn", `${opLabel(event)} failed on attempt ${event.attempt}: ${errorText(event.error)}; retries at ${iso(event.nextAttemptAt)}`, event.id)
    case "StepSucceeded":
      return event.nextAttemptAt === undefined
        ? on("Debug", `${opLabel(event)} succeeded on attempt ${event.attempt}`, event.id)
        : on("Debug", `${opLabel(event)} not yet; polls again at ${iso(event.nextAttemptAt)}`, event.id)
    case "WaitStarted":
      return on("Info", `suspended until ${iso(event.until)} by ${opLabel(event)}`, event.id)
    case "WaitSucceeded":
      return on("Info", `resumed: ${opLabel(event)} is over`, event.id)
    case "CallbackStarted":
      // Not the callback id: it is a capability (whoever holds it completes the callback), and logs travel far.
      return on("Info", `suspended on ${opLabel(event)}${event.timeoutAt === undefined ? "" : ` until it times out at ${iso(event.timeoutAt)}`}`, event.id)
    case "CallbackSucceeded":
      return on("Info", `resumed: ${opLabel(event)} succeeded`, event.id)
    case "CallbackFailed":
      return on("Warn", `resumed: ${opLabel(event)} failed: ${errorText(event.error)}`, event.id)
    case "CallbackTimedOut":
      return on("Warn", `resumed: ${opLabel(event)} timed out (${event.reason})`, event.id)
    case "InvokeStarted":
      return on("Info", `suspended on ${event.functionName} invoked as ${event.childExecutionId}`, event.id)
    case "InvokeSucceeded":
      return on("Info", `resumed: ${opLabel(event)} succeeded`, event.id)
    case "InvokeFailed":
      return on("Warn", `resumed: ${opLabel(event)} failed: ${errorText(event.error)}`, event.id)
    case "InvokeTimedOut":
    case "InvokeStopped":
      return on("Warn", `resumed: ${opLabel(event)} ${event._tag === "InvokeTimedOut" ? "timed out" : "was stopped"}`, event.id)
    case "ContextFailed":
      return on("Debug", `${opLabel(event)} failed: ${errorText(event.error)}`, event.id)
    default:
      return undefined
  }
}

/** Emits lines through the current logger; each names its operation, if it has one. */
export const emitLines = (lines: ReadonlyArray<LifecycleLine>): Effect.Effect<void> =>
  lines.length === 0 ? Effect.void : Effect.forEach(lines, (line) => {
    const log = Effect.logWithLevel(line.level)(line.message)
    return line.operationId === undefined ? log : Effect.annotateLogs(log, { operationId: line.operationId })
  }, { discard: true })
