/**
 * What the actor writes, as pure functions of the execution's state: the events a batch of appends becomes, the
 * events of the timers that fell due, a child's outcome in its parent, and when the store's one alarm should be.
 * The actor (actor.ts) keeps the order of writes and everything that waits on them.
 */
import type { LogEvent, NewEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import { type ChildOutcome, refOf } from "./actor-messages.ts"
import { dueAt, earliest } from "./timers.ts"

/**
 * Stamps a batch of appends with seqs from `seq` on. Nothing is written after the end: not after an ended
 * execution, nor after a terminal event in this batch; only the appends written whole are returned as written.
 */
export const stampBatch = <A extends { readonly events: ReadonlyArray<NewEvent> }>(
  batch: ReadonlyArray<A>,
  seq: number,
  now: number,
  ended: boolean
): { readonly events: Array<LogEvent>; readonly written: Array<A> } => {
  const events: Array<LogEvent> = []
  const written: Array<A> = []
  let ending = ended
  // Indexed loops: an iterator is an object, and this runs at every write.
  for (let m = 0; m < batch.length && !ending; m++) {
    const message = batch[m]!
    for (let e = 0; e < message.events.length; e++) {
      const event = message.events[e]!
      // The spread first (V8 clones the object in one go), then the stamp: `{ at: now, ...event }` cost a slow copy.
      const stamped = { ...event, at: "at" in event && event.at !== undefined ? event.at : now, seq: ++seq } as LogEvent
      events.push(stamped)
      if (isTerminalEvent(stamped)) {
        ending = true
        break
      }
    }
    written.push(message)
  }
  return { events, written }
}

/**
 * The timers due at `now`: waits succeed and callbacks time out (events to write); retries become runnable (ids to
 * wake, which their steps run). While paused no operation timer fires; the execution's own timeout still does. Past
 * the timeout, a timer due at or after it does not fire: the execution timed out first (a wait of two hours under a
 * one-hour timeout never succeeds, even when the host wakes after both).
 */
export const dueTimers = (
  state: ExecutionState,
  timers: Iterable<string>,
  now: number
): { readonly events: Array<NewEvent>; readonly retries: Array<string> } => {
  const events: Array<NewEvent> = []
  const retries: Array<string> = []
  for (const id of state.paused ? [] : timers) {
    const op = state.operations.get(id)!
    const due = dueAt(op)
    if (due === undefined || due > now || (due >= state.timeoutAt && now >= state.timeoutAt)) continue
    const ref = refOf(op)
    if (op.type === "WAIT") events.push({ _tag: "WaitSucceeded", ...ref })
    else if (op.type === "CALLBACK") {
      const reason = op.timeoutAt !== undefined && op.timeoutAt <= now ? "timeout" : "heartbeat"
      events.push({ _tag: "CallbackTimedOut", ...ref, reason })
    } else retries.push(id)
  }
  if (now >= state.timeoutAt) events.push({ _tag: "ExecutionTimedOut" })
  return { events, retries }
}

/**
 * A pending wait fired early (a development aid): its WaitSucceeded, or why there is none. `running` is false once
 * the execution has ended.
 */
export const firedWait = (state: ExecutionState, operationId: string, running: boolean): NewEvent | string => {
  const op = state.operations.get(operationId)
  if (op === undefined) return "does not exist"
  if (op.type !== "WAIT") return "is not a wait"
  if (op.status !== "STARTED") return `is ${op.status}, not waiting`
  if (!running) return `ended with its execution (${state.status})`
  if (state.paused) return "waits in a paused execution: resume it first"
  return { _tag: "WaitSucceeded", ...refOf(op) }
}

/** How a child's outcome is recorded in its parent's invoke operation. */
export const invokeOutcomeEvent = (ref: ReturnType<typeof refOf>, outcome: ChildOutcome): NewEvent =>
  outcome.status === "SUCCEEDED"
    ? { _tag: "InvokeSucceeded", ...ref, ...(outcome.result === undefined ? {} : { result: outcome.result }) }
    : outcome.status === "FAILED"
    ? { _tag: "InvokeFailed", ...ref, error: outcome.error ?? { errorType: "Error", errorMessage: "The invoked execution failed" } }
    : outcome.status === "TIMED_OUT"
    ? { _tag: "InvokeTimedOut", ...ref }
    : { _tag: "InvokeStopped", ...ref }

/** An ended execution that tells a parent its outcome (a continued chain's last run does, not the ones before). */
export const tellsParent = (state: ExecutionState): boolean => state.parent !== undefined && state.endedAt !== undefined && state.status !== "CONTINUED_AS_NEW"

/**
 * When the store's one alarm should be: for a running execution the earliest timer (none while paused), its
 * timeout, and the watchdog while user code runs; for an ended one, the end of its retention.
 */
export const desiredAlarm = (state: ExecutionState, timers: ReadonlySet<string>, watchdogAt: number | undefined): number | undefined => {
  if (state.status === "RUNNING") {
    const timer = state.paused ? undefined : earliest(timers, state)
    return Math.min(timer ?? Infinity, state.timeoutAt, watchdogAt ?? Infinity)
  }
  return state.endedAt === undefined ? undefined : state.endedAt + state.retentionMs
}
