/**
 * The actor's write path (design.md §4, "Writes"): the appends of one batch go out as one conditional append on
 * the seq the actor knows; once durable they are applied to the state, and whoever waits on them goes on.
 */
import { Cause, Effect } from "effect"
import type { NewEvent } from "../log/events.ts"
import { applyEvent } from "../log/fold.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import { stampBatch } from "./actor-events.ts"
import type { Message } from "./actor-messages.ts"
import type { ActorParts } from "./actor-parts.ts"
import { emitLines, type LifecycleLine, lifecycleLine } from "./lifecycle-log.ts"

type Append = Extract<Message, { _tag: "Append" }>

/** Nothing pending: shared, never written to (push replaces it). */
const NONE: Array<Append> = []

/** What the write path reads and asks of its actor. */
export type WritesHost = Pick<
  ActorParts,
  "executionId" | "state" | "deps" | "gone" | "alarm" | "waiters" | "stopWaiters" | "now" | "ended" | "evict" | "stop"
>

export class ActorWrites {
  #pending: Array<Append> = NONE
  /** Whether something pending is waited on (an append's sender) or is the actor's own (an end, a fire). */
  #urgent = false
  readonly #host: WritesHost

  constructor(host: WritesHost) {
    this.#host = host
  }

  /** Nothing is waiting to be written. */
  get empty(): boolean {
    return this.#pending.length === 0
  }

  /**
   * Only appends that user code queued without waiting on them are pending (a child context's start or outcome):
   * they can wait a few rounds of microtasks (actor.ts) for what the handler writes next to join their commit.
   */
  get onlyQueued(): boolean {
    return this.#pending.length > 0 && !this.#urgent
  }

  /** An append of user code, written with the batch. */
  push(message: Append) {
    // The first one in a literal of one: `[]` then push reserves 17 slots, and most batches hold one append.
    if (this.#pending.length === 0) this.#pending = [message]
    else this.#pending.push(message)
    if (message.done !== undefined) this.#urgent = true
  }

  /** Queues events written by the actor itself (not by user code). */
  queue(events: ReadonlyArray<NewEvent>) {
    this.push({ _tag: "Append", events })
    this.#urgent = true
  }

  /** The actor went: what was not written is abandoned. */
  drop() {
    this.#pending = NONE
    this.#urgent = false
  }

  get #running(): boolean {
    return this.#host.state.status === "RUNNING"
  }

  /** Writes everything pending in one conditional append, then applies it and wakes whoever waits on it. */
  flush(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const host = this.#host
      if (this.#pending.length === 0 || host.gone) return Effect.void
      const batch = this.#pending
      this.#pending = NONE
      this.#urgent = false
      // Only appends written whole are answered; the others are abandoned, as appends after the end always are.
      const { events, written } = stampBatch(batch, host.state.seq, host.now(), !this.#running)
      if (events.length === 0) return Effect.void
      const expected = host.state.seq
      // What lets the execution run (a completion, a fire, a resume) lands with its watchdog: no crash between
      // this write and a separate alarm write can leave it runnable with its alarm an hour away.
      const last = events[events.length - 1]!
      const endsChild = host.state.parent !== undefined && isTerminalEvent(last) && last._tag !== "ExecutionContinuedAsNew"
      const alarmAt = host.alarm.carried(host.state, host.now, endsChild)
      return host.deps.store.append(host.executionId, events, expected, alarmAt === undefined ? undefined : { alarmAt }).pipe(
        Effect.matchEffect({
          // Nothing of the batch was written: the execution stays as it was, for a fresh actor to carry on.
          onFailure: (error) =>
            error._tag === "SeqConflict"
              ? Effect.andThen(
                // Not a failure: the log has moved on without this actor; its senders resend to a fresh one.
                Effect.logWarning(
                  error.actualSeq === expected
                    // The head was where expected: the store's fence refused it (another host holds the execution).
                    ? "The store refused the write: this host no longer holds the execution; the actor stops, and the host that holds it (or the next message here) carries it on"
                    : "Another writer appended to the log first; the actor stops, and the next message loads the log again",
                  Cause.fail(error)
                ),
                Effect.sync(() => host.evict())
              )
              : host.stop(`The store failed to append ${events.length} event(s) after seq ${expected}; the actor stops`, Cause.fail(error)),
          // One suspend, not a sync then a flatMap: this runs at every write (emitLines of none is Effect.void).
          onSuccess: (stored) =>
            Effect.suspend(() => {
              if (alarmAt !== undefined) host.alarm.at = alarmAt
              let lines: Array<LifecycleLine> | undefined
              /**
               * The operations this write settled (made lazily: most writes settle one or none). An array, not a Set:
               * an id twice is harmless, its second wake finds nobody waiting.
               */
              let open: Array<string> | undefined
              let ended = false
              // The events as the store wrote them: it may have filled in a field (see ExecutionStoreShape.append).
              for (let i = 0; i < stored.length; i++) { // indexed: no iterator object at every write
                const event = stored[i]!
                if (!this.#running) break
                applyEvent(host.state, event)
                if (host.deps.logs("Error")) {
                  const line = lifecycleLine(event, host.state, host.deps.logs)
                  if (line !== undefined) (lines ??= []).push(line)
                }
                if ("id" in event) {
                  const op = host.state.operations.get(event.id)!
                  host.alarm.track(op)
                  if (op.status !== "STARTED") {
                    if (open === undefined) open = [event.id] // sized for one: `[]` then push reserves 17 slots
                    else open.push(event.id)
                  }
                  if (event._tag === "InvokeStarted") host.deps.onInvoke(op)
                }
                if (!this.#running) ended = true
                if (event._tag === "ExecutionStopRequested") host.stopWaiters.wake()
              }
              host.deps.onWritten(stored)
              // `shared`: an earlier append of this write was answered (write-releases.ts paces their callers).
              let shared = false
              for (let i = 0; i < written.length; i++) {
                const append = written[i]!
                const done = append.done
                if (done !== undefined) {
                  done(shared)
                  shared = true
                } else if (open !== undefined) {
                  // The actor's own events (a callback completed, a wait that fired): their waiters go on at their
                  // place in the log, before the callers of appends written after them (write-releases.ts `woke`).
                  for (const event of append.events) {
                    if ("id" in event && host.state.operations.get(event.id)?.status !== "STARTED") host.waiters.wake(event.id, host.state, shared)
                  }
                }
              }
              if (open !== undefined) for (const id of open) host.waiters.wake(id, host.state, shared)
              if (ended) host.ended()
              return lines === undefined ? Effect.void : emitLines(lines)
            })
        })
      )
    })
  }
}
