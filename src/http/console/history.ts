/**
 * What the execution page reads out of the history: per operation, its attempts, payloads and waits (the
 * execution view carries statuses and times but no payloads), and the readable list of every event. A rewind
 * forgets operations here as the fold does, so that the timeline and the attempts agree with the execution's view;
 * the readable list keeps every event.
 */
import { html } from "hono/html"
import type { ErrorObject, LogEvent } from "../../log/events.ts"
import { positionOf, topLevelId } from "../../log/operation-id.ts"
import { describeEvent, makeOperationLabeler } from "./describe.ts"
import { duration, time } from "./format.ts"
import { shownPayload } from "./shown-payload.ts"
import type { Html } from "./layout.ts"

export interface Attempt {
  readonly attempt: number
  readonly startedAt: number
  readonly endedAt?: number
  readonly ok?: boolean
  readonly error?: ErrorObject
  readonly result?: string
  /** When the next attempt (a retry, or a waitForCondition poll) is due. */
  readonly nextAttemptAt?: number
}

export interface OperationHistory {
  readonly attempts: Array<Attempt>
  /** The last recorded result payload (serialised). */
  result?: string
  /** An invoke's input payload. */
  input?: string
  /** Waits, callbacks, invokes and contexts: when the operation began and ended waiting or running. */
  startedAt?: number
  endedAt?: number
  until?: number
  timedOut?: string
  /** An invoke's child execution. */
  childExecutionId?: string
  readonly heartbeats: Array<number>
  /** When a rewind forgot this operation's earlier run (their events are in the history, not in `attempts`). */
  rewoundAt?: number
}

const emptyHistory = (): OperationHistory => ({ attempts: [], heartbeats: [] })

/** Groups the operation events of a history by operation id. */
export const indexHistory = (events: ReadonlyArray<LogEvent>): Map<string, OperationHistory> => {
  const index = new Map<string, OperationHistory>()
  const open = new Map<string, { attempt: number; at: number }>()
  const forgotten = new Map<string, number>()
  for (const event of events) {
    if (event._tag === "ExecutionRewound") {
      // The fold's rule (fold.ts): top-level operation fromOperation and every later one, with their children.
      const from = positionOf(event.fromOperation)
      for (const id of [...index.keys()]) {
        if (positionOf(topLevelId(id)) < from) continue
        index.delete(id)
        open.delete(id)
        forgotten.set(id, event.at)
      }
      continue
    }
    if (!("subType" in event)) continue
    let op = index.get(event.id)
    if (op === undefined) {
      index.set(event.id, op = emptyHistory())
      const rewoundAt = forgotten.get(event.id)
      if (rewoundAt !== undefined) op.rewoundAt = rewoundAt
    }
    switch (event._tag) {
      case "StepStarted":
        open.set(event.id, { attempt: event.attempt, at: event.at })
        break
      case "StepSucceeded":
      case "StepFailed": {
        const started = open.get(event.id)
        open.delete(event.id)
        const previous = op.attempts.at(-1)
        const startedAt = event.startedAt ?? started?.at ?? previous?.nextAttemptAt ?? event.at
        op.attempts.push({
          attempt: event.attempt,
          startedAt,
          endedAt: event.at,
          ok: event._tag === "StepSucceeded",
          ...(event._tag === "StepFailed" ? { error: event.error } : {}),
          ...(event._tag === "StepSucceeded" && event.result !== undefined ? { result: event.result } : {}),
          ...(event.nextAttemptAt === undefined ? {} : { nextAttemptAt: event.nextAttemptAt })
        })
        if (event._tag === "StepSucceeded" && event.result !== undefined) op.result = event.result
        break
      }
      case "WaitStarted":
        op.startedAt = event.at
        op.until = event.until
        break
      case "CallbackStarted":
      case "ContextStarted":
        op.startedAt = event.at
        break
      case "InvokeStarted":
        op.startedAt = event.at
        if (event.input !== undefined) op.input = event.input
        op.childExecutionId = event.childExecutionId
        break
      case "CallbackHeartbeat":
        op.heartbeats.push(event.at)
        break
      case "CallbackTimedOut":
        op.endedAt = event.at
        op.timedOut = event.reason
        break
      case "ContextSucceeded":
        op.endedAt = event.at
        if (event.result !== undefined) op.result = shownPayload(event.subType, event.result)
        break
      case "CallbackSucceeded":
      case "InvokeSucceeded":
        op.endedAt = event.at
        if (event.result !== undefined) op.result = event.result
        break
      default:
        op.endedAt = event.at
    }
  }
  for (const [id, started] of open) index.get(id)?.attempts.push({ attempt: started.attempt, startedAt: started.at })
  return index
}

/** The most history rows drawn: the last ones read (a big map has thousands of events; the CLI and the API have all). */
export const MAX_HISTORY_ROWS = 300

/** The readable history: the latest events with their offset from the start. */
export const historyTable = (events: ReadonlyArray<LogEvent>, truncated: boolean): Html => {
  const start = events[0]?.at ?? 0
  const label = makeOperationLabeler()
  const labels = events.map(label) // every event, so that the labeler sees every context
  const shown = events.slice(-MAX_HISTORY_ROWS)
  const first = events.length - shown.length
  return html`<details data-op="history" id="history"><summary>History: ${events.length}${truncated ? "+" : ""} events${
    first > 0 || truncated ? ` (#${shown[0]?.seq}–#${shown.at(-1)?.seq} shown; reprise history or the JSON API has every one)` : ""
  }</summary>
<table><thead><tr><th>#</th><th>+time</th><th>At (UTC)</th><th>Operation</th><th>Event</th><th>What</th></tr></thead><tbody>${
    shown.map((event, i) =>
      html`<tr><td>${event.seq}</td><td>+${duration(event.at - start)}</td><td>${time(event.at)}</td><td>${labels[first + i]}</td><td>${event._tag}</td><td class="mono">${describeEvent(event)}</td></tr>`
    )
  }</tbody></table></details>`
}
