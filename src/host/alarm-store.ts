/**
 * The AlarmStore port: what the alarm dispatcher reads and moves in the store, beside the ExecutionStore. SQLite
 * (adapters/node) and Deno KV (adapters/deno) implement it over their time-ordered alarm index.
 */
import { Context, type Effect } from "effect"
import type { StoreFailure } from "../store/store-errors.ts"

export interface AlarmEntry {
  readonly executionId: string
  /** When the alarm is due, in ms since the epoch. */
  readonly at: number
}

/** A page of running executions without an alarm; `next` is the cursor of the following page, if there is one. */
export interface UnwatchedPage {
  readonly executionIds: ReadonlyArray<string>
  readonly next?: string
}

export interface AlarmStoreShape {
  /** The execution's alarm (undefined: none). */
  alarmAt(executionId: string): Effect.Effect<number | undefined, StoreFailure>
  /** Alarms due at or before `horizon`, earliest first, at most `limit`. */
  dueAlarms(horizon: number, limit: number): Effect.Effect<ReadonlyArray<AlarmEntry>, StoreFailure>
  /** Moves the alarm to `to` only if it is still at `from`; true when it was moved. */
  moveAlarm(executionId: string, from: number, to: number): Effect.Effect<boolean, StoreFailure>
  /**
   * Running executions that have no alarm, a page at a time (`after`: the previous page's `next`). Nothing should
   * be in this state (a start writes its watchdog with it), but a store written by an older version, or by hand,
   * may hold some: the host resumes them at start. Optional: a store that cannot answer cheaply leaves it out.
   */
  readonly runningWithoutAlarm?: (after: string | undefined, limit: number) => Effect.Effect<UnwatchedPage, StoreFailure>
}

export class AlarmStore extends Context.Service<AlarmStore, AlarmStoreShape>()("reprise/host/AlarmStore") {}
