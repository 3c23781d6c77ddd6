/**
 * What the service completed while this invocation runs: AWS's SDK keeps polling the service while user code keeps
 * an invocation alive, and goes on in the same invocation as waits, callbacks and chained invokes complete. This
 * reads the state, translates it (wire-to-log.ts) and keeps the completions of operations that this invocation's
 * log still holds as started; the engine takes them in as its own events (Engine.observe), which wakes the code
 * waiting on them; a step whose retry the service made due (READY) runs its next attempt.
 */
import type { LogEvent, NewEvent } from "reprise/store"
import type { WireOperation } from "./wire.ts"
import { NEVER, operationsToLog } from "./wire-to-log.ts"

/** The completions that belong to the service (the update translator sends nothing for them). */
const SERVICE_COMPLETIONS = new Set<LogEvent["_tag"]>([
  "WaitSucceeded",
  "CallbackSucceeded",
  "CallbackFailed",
  "CallbackTimedOut",
  "InvokeSucceeded",
  "InvokeFailed",
  "InvokeTimedOut",
  "InvokeStopped"
])
const SERVICE_STARTS = new Set<LogEvent["_tag"]>(["WaitStarted", "CallbackStarted", "InvokeStarted"])

/** The ids of the waits, callbacks and invokes the log holds as started and not yet completed. */
export const awaitingService = (log: ReadonlyArray<LogEvent>): Set<string> => {
  const open = new Set<string>()
  for (const event of log) {
    if (!("id" in event)) continue
    if (SERVICE_STARTS.has(event._tag)) open.add(event.id)
    else if (SERVICE_COMPLETIONS.has(event._tag)) open.delete(event.id)
  }
  for (const id of retrying(log)) open.add(id)
  return open
}

/** The steps whose last outcome in the log is a retry (PENDING): the service makes each due (READY). */
const retrying = (log: ReadonlyArray<LogEvent>): Set<string> => {
  const pending = new Set<string>()
  for (const event of log) {
    if (event._tag !== "StepFailed" && event._tag !== "StepSucceeded" && event._tag !== "StepStarted") continue
    if (event._tag !== "StepStarted" && event.nextAttemptAt !== undefined) pending.add(event.id)
    else pending.delete(event.id)
  }
  return pending
}

/**
 * When to read the state next: after `everyMs`, or just after the earliest open wait of this log is due (the
 * service completes it then), whichever comes first.
 */
export const nextPollIn = (log: ReadonlyArray<LogEvent>, everyMs: number, now: number): number => {
  const open = awaitingService(log)
  let due = Number.POSITIVE_INFINITY
  for (const event of log) {
    if (event._tag === "WaitStarted" && open.has(event.id) && event.until < NEVER) due = Math.min(due, event.until)
  }
  return Math.max(MIN_POLL_MS, Math.min(everyMs, due - now + MIN_POLL_MS))
}

/** A margin past a wait's end, and the shortest pause between two reads. */
const MIN_POLL_MS = 25

/**
 * What the service did to operations still open in `log`: its completions, as events for the engine to write,
 * and the steps it made due (READY), by positional id.
 */
export const serviceProgress = (
  executionArn: string,
  functionName: string,
  log: ReadonlyArray<LogEvent>,
  wire: ReadonlyArray<WireOperation>,
  now: number
): { readonly completions: Array<NewEvent>; readonly due: Array<string> } => {
  const open = awaitingService(log)
  const completions: Array<NewEvent> = []
  const due: Array<string> = []
  if (open.size === 0) return { completions, due }
  const pending = retrying(log)
  const translated = operationsToLog(executionArn, functionName, wire, now)
  for (const event of translated.events) {
    if (!("id" in event) || !open.has(event.id)) continue
    if (SERVICE_COMPLETIONS.has(event._tag)) {
      const { seq: _seq, ...completion } = event
      completions.push(completion as NewEvent)
    } else if (pending.has(event.id) && translated.operations.get(event.id)?.status === "READY") due.push(event.id)
  }
  return { completions, due }
}
