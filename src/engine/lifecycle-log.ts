/**
 * An execution's life as log lines: started, a step failed and retries at T, suspended until T or on a callback,
 * resumed, ended with its status, non-determinism. One line per fact, made from the events as they are written, so
 * a replay (which writes nothing) is silent. The lines go through Effect's logger, annotated with `executionId`,
 * `functionName` and `operationId` (the engine logs "started" and cold loads itself); the host installs the logger that prints them (src/host/host-logger.ts).
 */
import { Context, Effect, Logger, type LogLevel, References } from "effect"
import type { DefaultLoggerLevel } from "../context/logger.ts"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"

/** Whether the engine logs executions' lives (default off: tests and embedders stay quiet; the host turns it on). */
export const LifecycleLogs = Context.Reference<boolean>("reprise/engine/LifecycleLogs", { defaultValue: () => false })

/**
 * The lowest level the default `ctx.logger` writes (default debug, as AWS's with no AWS_LAMBDA_LOG_LEVEL); the host
 * sets it from its log level when one is chosen (host-logger.ts).
 */
export const UserLogLevel = Context.Reference<DefaultLoggerLevel>("reprise/engine/UserLogLevel", { defaultValue: () => "debug" })

type Loggers = typeof Logger.CurrentLoggers extends Context.Reference<infer Set> ? Set : never

/**
 * A lifecycle line the engine logs itself (started, loaded, dequeued; the actor's own lines are annotated by its
 * fiber), to the loggers and level of the context the engine was built in, not the caller's.
 */
export const engineLifecycle = (on: boolean, loggers: Loggers, minimumLevel: LogLevel.LogLevel) =>
  (state: ExecutionState, level: "Debug" | "Info", message: string): Effect.Effect<void> =>
    on
      ? Effect.logWithLevel(level)(message).pipe(
        Effect.annotateLogs({ executionId: state.executionId, functionName: state.functionName }),
        Effect.provideService(Logger.CurrentLoggers, loggers),
        Effect.provideService(References.MinimumLogLevel, minimumLevel)
      )
      : Effect.void

export interface LifecycleLine {
  readonly level: "Debug" | "Info" | "Warn" | "Error"
  readonly message: string
  readonly operationId?: string
  /** The failure the line tells of (an execution's, a step's, a callback's): its fields go with the line. */
  readonly error?: ErrorObject
}

const iso = (millis: number) => new Date(millis).toISOString()
const took = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`)

/** ` (at file:line:col)` for a frame, "at fn (file:line:col)" or "at file:line:col" (none for none): the place is what a reader looks for. */
export const atPlace = (frame: string | undefined): string =>
  frame === undefined ? "" : ` (at ${/\(([^()]+)\)$/.exec(frame)?.[1] ?? frame.replace(/^at /, "")})`

/** `Error: message`, then where it was thrown: the place of its first user frame, else of its nearest cause's. */
export const errorText = (error: ErrorObject): string => {
  const frame = error.stackTrace?.[0] ?? error.causes?.find((cause) => cause.stackTrace !== undefined)?.stackTrace?.[0]
  return `${error.errorType}: ${error.errorMessage}${atPlace(frame)}`
}

/** What waitForCallback's own unnamed operations are, as the console names them too (http/console/tree.ts). */
const WAIT_FOR_CALLBACK_PARTS: Readonly<Record<string, string>> = { Callback: "callback", Step: "submitter" }

/**
 * An operation as a line names it: `step "charge"`, `callback 2-1`; the unnamed callback and submitter of a
 * waitForCallback by its name, `the callback of waitForCallback "approve"`, since its id says nothing to a reader.
 */
const opLabel = (event: { readonly id: string; readonly name?: string; readonly subType: string }, state: ExecutionState) => {
  const subType = `${event.subType.charAt(0).toLowerCase()}${event.subType.slice(1)}`
  if (event.name !== undefined) return `${subType} ${JSON.stringify(event.name)}`
  const part = WAIT_FOR_CALLBACK_PARTS[event.subType]
  const parentId = state.operations.get(event.id)?.parentId
  const parent = part === undefined || parentId === undefined ? undefined : state.operations.get(parentId)
  if (parent?.subType !== "WaitForCallback") return `${subType} ${event.id}`
  return `the ${part} of waitForCallback ${parent.name === undefined ? parent.id : JSON.stringify(parent.name)}`
}

type Level = LifecycleLine["level"]

/** How one kind of event reads as a line: its level (fixed, or from the event), and its message, made only if logged. */
interface LineOf<E> {
  readonly level: Level | ((event: E) => Level)
  readonly message: (event: E, state: ExecutionState) => string
}

/** The events worth a line, each with its level and message in one place; the others say nothing. */
/** What an operation's end does to its execution: it goes on, or (paused) it is kept for the resume. */
const woke = (state: ExecutionState) => (state.paused ? "kept while paused: " : "resumed: ")

const LINES: { readonly [K in LogEvent["_tag"]]?: LineOf<Extract<LogEvent, { readonly _tag: K }>> } = {
  ExecutionSucceeded: { level: "Info", message: (e, state) => `ended SUCCEEDED in ${took(e.at - state.startedAt)}` },
  ExecutionFailed: { level: "Error", message: (e, state) => `ended FAILED in ${took(e.at - state.startedAt)}: ${errorText(e.error)}` },
  ExecutionStopped: { level: "Warn", message: (e) => `ended STOPPED${e.error === undefined ? "" : `: ${e.error.errorMessage}`}` },
  ExecutionTimedOut: { level: "Warn", message: () => "ended TIMED_OUT: the execution timeout passed" },
  ExecutionStopRequested: {
    level: "Warn",
    message: (e) => `stop requested${e.error === undefined ? "" : `: ${e.error.errorMessage}`}; the saga compensates`
  },
  ExecutionPaused: { level: "Info", message: () => "paused" },
  ExecutionResumed: { level: "Info", message: () => "resumed from the pause" },
  ExecutionContinuedAsNew: {
    level: "Info",
    message: (e, state) => `ended CONTINUED_AS_NEW after ${took(e.at - state.startedAt)}: goes on as ${e.nextExecutionId}`
  },
  ExecutionRewound: { level: "Warn", message: (e) => `rewound: runs again from operation ${e.fromOperation}` },
  StepFailed: {
    level: (e) => (e.nextAttemptAt === undefined ? "Error" : "Warn"),
    message: (e, state) =>
      e.nextAttemptAt === undefined
        ? `${opLabel(e, state)} failed on attempt ${e.attempt}, for good: ${errorText(e.error)}`
        : `${opLabel(e, state)} failed on attempt ${e.attempt}: ${errorText(e.error)}; retries at ${iso(e.nextAttemptAt)}`
  },
  StepSucceeded: {
    level: "Debug",
    message: (e, state) =>
      e.nextAttemptAt === undefined
        ? `${opLabel(e, state)} succeeded on attempt ${e.attempt}`
        : `${opLabel(e, state)} not yet; polls again at ${iso(e.nextAttemptAt)}`
  },
  WaitStarted: { level: "Info", message: (e, state) => `suspended until ${iso(e.until)} by ${opLabel(e, state)}` },
  WaitSucceeded: { level: "Info", message: (e, state) => `${woke(state)}${opLabel(e, state)} is over` },
  CallbackStarted: {
    level: "Info",
    // Not the callback id: it is a capability (whoever holds it completes the callback), and logs travel far.
    message: (e, state) => `suspended on ${opLabel(e, state)}${e.timeoutAt === undefined ? "" : ` until it times out at ${iso(e.timeoutAt)}`}`
  },
  CallbackSucceeded: { level: "Info", message: (e, state) => `${woke(state)}${opLabel(e, state)} succeeded` },
  CallbackFailed: { level: "Warn", message: (e, state) => `${woke(state)}${opLabel(e, state)} failed: ${errorText(e.error)}` },
  CallbackTimedOut: { level: "Warn", message: (e, state) => `${woke(state)}${opLabel(e, state)} timed out (${e.reason})` },
  InvokeStarted: { level: "Info", message: (e) => `suspended on ${e.functionName} invoked as ${e.childExecutionId}` },
  InvokeSucceeded: { level: "Info", message: (e, state) => `${woke(state)}${opLabel(e, state)} succeeded` },
  InvokeFailed: { level: "Warn", message: (e, state) => `${woke(state)}${opLabel(e, state)} failed: ${errorText(e.error)}` },
  InvokeTimedOut: { level: "Warn", message: (e, state) => `${woke(state)}${opLabel(e, state)} timed out` },
  InvokeStopped: { level: "Warn", message: (e, state) => `${woke(state)}${opLabel(e, state)} was stopped` },
  ContextFailed: { level: "Debug", message: (e, state) => `${opLabel(e, state)} failed: ${errorText(e.error)}` }
}

/**
 * The line an event written just now is worth, if any and if `wanted` takes its level: the message is made only
 * then (a step's debug line is not even formatted at the default level). `state` is the execution after the event.
 */
export const lifecycleLine = (
  event: LogEvent,
  state: ExecutionState,
  wanted: (level: Level) => boolean = () => true
): LifecycleLine | undefined => {
  const line = LINES[event._tag] as LineOf<LogEvent> | undefined
  if (line === undefined) return undefined
  const level = typeof line.level === "function" ? line.level(event) : line.level
  if (!wanted(level)) return undefined
  const message = line.message(event, state)
  // Literals, not spreads: this runs for each line written (two an execution at the default level).
  const error = "error" in event ? event.error : undefined
  if (error !== undefined) return "id" in event ? { level, message, operationId: event.id, error } : { level, message, error }
  return "id" in event ? { level, message, operationId: event.id } : { level, message }
}

/**
 * A failure's fields on its line, as `ctx.logger` gives an Error's (AWS's names): a JSON reader filters on
 * `errorType` and reads the causes, down to the root one, which the message leaves out (host-logger.ts shows them
 * below the line in a terminal).
 */
const errorFields = (error: ErrorObject) => ({
  errorType: error.errorType,
  errorMessage: error.errorMessage,
  ...(error.errorData === undefined ? {} : { errorData: error.errorData }),
  ...(error.stackTrace === undefined ? {} : { stackTrace: error.stackTrace }),
  ...(error.causes === undefined ? {} : { causes: error.causes })
})

/** Emits lines through the current logger; each names its operation, if it has one. */
export const emitLines = (lines: ReadonlyArray<LifecycleLine>): Effect.Effect<void> =>
  lines.length === 0 ? Effect.void : Effect.forEach(lines, (line) => {
    const log = Effect.logWithLevel(line.level)(line.message)
    if (line.error !== undefined) return Effect.annotateLogs(log, { ...(line.operationId === undefined ? {} : { operationId: line.operationId }), ...errorFields(line.error) })
    return line.operationId === undefined ? log : Effect.annotateLogs(log, { operationId: line.operationId })
  }, { discard: true })
