/**
 * The events that end an execution, and the status each one gives it: the one definition that the fold, the
 * listing summary, the append checks and the engine share. Nothing may follow such an event in a log but an
 * ExecutionRewound (of a FAILED, TIMED_OUT or STOPPED execution).
 */
import type { LogEvent } from "./events.ts"
import type { ExecutionStatus } from "./fold.ts"

export type TerminalEvent = Extract<
  LogEvent,
  {
    readonly _tag: "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionStopped" | "ExecutionTimedOut" | "ExecutionContinuedAsNew"
  }
>

/** The status an execution ends in, by the tag of the event that ends it. */
export const TERMINAL_STATUS: { readonly [Tag in TerminalEvent["_tag"]]: Exclude<ExecutionStatus, "QUEUED" | "RUNNING" | "PAUSED"> } = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionStopped: "STOPPED",
  ExecutionTimedOut: "TIMED_OUT",
  ExecutionContinuedAsNew: "CONTINUED_AS_NEW"
}

export const isTerminalEvent = (event: LogEvent): event is TerminalEvent => Object.hasOwn(TERMINAL_STATUS, event._tag)

/** The status `event` ends the execution in, or undefined when it does not end it. */
export const terminalStatus = (event: LogEvent): Exclude<ExecutionStatus, "QUEUED" | "RUNNING" | "PAUSED"> | undefined =>
  isTerminalEvent(event) ? TERMINAL_STATUS[event._tag] : undefined
