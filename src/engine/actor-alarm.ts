/**
 * The actor's time (engine.md, "One alarm, always current"): which operations have a timer running, the alarm the
 * store holds, and the watchdog kept while user code may run; firing the timers that are due, and keeping the
 * store's alarm at the earliest time anything is.
 */
import { Cause, Effect } from "effect"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import { desiredAlarm, dueTimers } from "./actor-events.ts"
import type { ActorParts } from "./actor-parts.ts"
import { dueAt, earliest } from "./timers.ts"

/** How long a running execution may go unwatched: if its actor dies mid-step, this alarm resumes it. */
export const WATCHDOG_MS = 30_000

export class ActorAlarm {
  /** Operations with a timer running: waits, callback timeouts, scheduled retries. */
  readonly timers = new Set<string>()
  /** The alarm as last written to the store (undefined: none, or used up by firing). */
  at: number | undefined
  #watchdogAt: number | undefined
  /**
   * An ended child whose parent has not had its outcome yet (that is the parent's write, not this one's): since
   * when it is being told. Its alarm stays within WATCHDOG_MS of that, so that a process that dies before the
   * parent's write lands leaves an alarm that tells the parent again (the Alarm message, actor-handle.ts).
   */
  tellingSince: number | undefined
  #active = true
  #activations = 0

  constructor(at: number | undefined, watchdogAt: number | undefined) {
    this.at = at
    this.#watchdogAt = watchdogAt
  }

  /** User code may be running: the watchdog is kept. */
  get active(): boolean {
    return this.#active
  }

  /** How often the execution went on (completions, fires, resumes, user code): a Suspend decided before one is stale. */
  get activations(): number {
    return this.#activations
  }

  /** The execution goes on (an outside completion, a fire, a resume, user code): the watchdog is kept again. */
  activate() {
    this.#active = true
    this.#activations++
  }

  track(op: OperationState) {
    if (dueAt(op) === undefined) this.timers.delete(op.id)
    else this.timers.add(op.id)
  }

  /** The earliest operation timer (waits, callback timeouts, retries), without the execution's own alarms. */
  nextOperationDue(state: ExecutionState): number | undefined {
    return earliest(this.timers, state)
  }

  /**
   * The actor is told it is idle: no watchdog until user code runs again. Refused (false) when the execution went
   * on after the sender saw it idle (`seen`): a completion handled meanwhile made it runnable, and dropping its
   * watchdog would leave it unwatched while it runs (the crash soak's stuck callbacks).
   */
  suspend(seen?: number): boolean {
    if (seen !== undefined && seen !== this.#activations) return false
    this.#active = false
    this.#watchdogAt = undefined
    return true
  }

  /**
   * The alarm a write must carry so that the execution it lets run is watched from that very write: the desired
   * alarm when the stored one is further than the watchdog (an execution that was idle on a callback an hour
   * away), else undefined (the stored one already is near: nothing to add to the write). A child's end carries one
   * too: its parent runs again once told, and telling it is another execution's write.
   */
  carried(state: ExecutionState, now: () => number, endsChild: boolean): number | undefined {
    if (state.status !== "RUNNING") return undefined
    if (this.at !== undefined && this.at - now() <= WATCHDOG_MS) return undefined
    if (endsChild) return now() + WATCHDOG_MS // a child's end lets its parent run: watched until the parent is told
    if (!this.#active) return undefined
    const desired = this.desired(state, true, now)
    return desired !== undefined && (this.at === undefined || desired < this.at) ? desired : undefined
  }

  /** Where the store's alarm should be now; pushes the watchdog out once less than half of it is left. */
  desired(state: ExecutionState, running: boolean, now: () => number): number | undefined {
    if (running && this.#active) {
      const at = now()
      if (this.#watchdogAt === undefined || this.#watchdogAt - at < WATCHDOG_MS / 2) this.#watchdogAt = at + WATCHDOG_MS
    }
    const at = desiredAlarm(state, this.timers, running && this.#active ? this.#watchdogAt : undefined)
    return !running && at !== undefined && this.tellingSince !== undefined ? Math.min(at, this.tellingSince + WATCHDOG_MS) : at
  }
}

/** What firing timers and keeping the alarm read and ask of the actor. */
export type TimersHost = Pick<ActorParts, "executionId" | "state" | "deps" | "gone" | "alarm" | "waiters" | "now" | "queue" | "evict" | "stop">

/** Completes every timer that is due: waits succeed, callbacks time out, retries become runnable. */
export const fireDue = (actor: TimersHost): Effect.Effect<void> =>
  Effect.suspend(() => {
    const now = actor.now()
    if (actor.state.status === "RUNNING") {
      const { events, retries } = dueTimers(actor.state, actor.alarm.timers, now)
      if (events.length > 0) actor.queue(events)
      for (const id of retries) {
        // A retry is due: its step runs the next attempt, which writes its own events.
        actor.alarm.timers.delete(id)
        actor.waiters.wake(id, actor.state)
      }
      return Effect.void
    }
    if (actor.state.endedAt !== undefined && now >= actor.state.endedAt + actor.state.retentionMs) {
      return deleteNow(actor).pipe(
        Effect.catch((error) =>
          Effect.logWarning("The store failed to delete an execution past its retention; its next alarm tries again", Cause.fail(error))
        )
      )
    }
    return Effect.void
  })

/**
 * Deletes the ended execution: its log, its alarm and its listing row (every store's `delete`), then the actor goes.
 * Retention's alarm comes here, and so does an operator's delete (the Delete message), so both leave the same;
 * `deleted` runs between the two (the Delete message's answer: once the actor is gone it would be "send it again").
 */
export const deleteNow = (actor: Pick<TimersHost, "executionId" | "deps" | "evict">, deleted: Effect.Effect<void> = Effect.void): Effect.Effect<void, StoreFailure> =>
  actor.deps.store.delete(actor.executionId).pipe(Effect.andThen(deleted), Effect.andThen(Effect.sync(() => actor.evict())))

/** Keeps the store's single alarm at the earliest time anything is due. */
export const syncAlarm = (actor: TimersHost): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (actor.gone) return Effect.void
    const desired = actor.alarm.desired(actor.state, actor.state.status === "RUNNING", actor.now)
    if (desired === actor.alarm.at) return Effect.void
    actor.alarm.at = desired
    const write = desired === undefined
      ? actor.deps.store.deleteAlarm(actor.executionId)
      : actor.deps.store.setAlarm(actor.executionId, desired)
    return write.pipe(
      Effect.catch((error) => actor.stop(`The store failed to ${desired === undefined ? "delete" : "set"} the alarm; the actor stops`, Cause.fail(error)))
    )
  })
