/**
 * The actor's bookkeeping of time (engine.md, "One alarm, always current"): which operations have a timer
 * running, the alarm the store holds, and the watchdog kept while user code may run. The actor writes the alarm;
 * this decides where it should be.
 */
import type { ExecutionState, OperationState } from "../log/fold.ts"
import { desiredAlarm } from "./actor-events.ts"
import { dueAt, earliest } from "./timers.ts"

/** How long a running execution may go unwatched: if its actor dies mid-step, this alarm resumes it. */
export const WATCHDOG_MS = 30_000

export class ActorAlarm {
  /** Operations with a timer running: waits, callback timeouts, scheduled retries. */
  readonly timers = new Set<string>()
  /** The alarm as last written to the store (undefined: none, or used up by firing). */
  at: number | undefined
  #watchdogAt: number | undefined
  /** User code may be running: the watchdog is kept. */
  active = true

  constructor(at: number | undefined, watchdogAt: number | undefined) {
    this.at = at
    this.#watchdogAt = watchdogAt
  }

  track(op: OperationState) {
    if (dueAt(op) === undefined) this.timers.delete(op.id)
    else this.timers.add(op.id)
  }

  /** The earliest operation timer (waits, callback timeouts, retries), without the execution's own alarms. */
  nextOperationDue(state: ExecutionState): number | undefined {
    return earliest(this.timers, state)
  }

  /** The actor is told it is idle: no watchdog until user code runs again. */
  suspend() {
    this.active = false
    this.#watchdogAt = undefined
  }

  /** Where the store's alarm should be now; pushes the watchdog out once less than half of it is left. */
  desired(state: ExecutionState, running: boolean, now: () => number): number | undefined {
    if (running && this.active) {
      const at = now()
      if (this.#watchdogAt === undefined || this.#watchdogAt - at < WATCHDOG_MS / 2) this.#watchdogAt = at + WATCHDOG_MS
    }
    return desiredAlarm(state, this.timers, running && this.active ? this.#watchdogAt : undefined)
  }
}
