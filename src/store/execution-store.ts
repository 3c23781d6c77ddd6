/**
 * The ExecutionStore port: where an execution's log and its one alarm live (docs/design.md §5).
 * Every implementation passes the conformance kit in ./conformance.ts; ./index.ts exports the parts to build one.
 */
import { Context, type Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { ExecutionSummary, ListPage, ListQuery } from "./execution-summary.ts"
import type { SeqConflict, StoreFailure } from "./store-errors.ts"

export interface StoredLog {
  readonly events: ReadonlyArray<LogEvent>
  readonly seq: number
}

/** What an append may carry besides its events, written in the same atomic operation. */
export interface AppendOptions {
  /**
   * The execution's alarm, set only if the append is written: a start and its watchdog land together, so that no
   * crash can leave a running execution with nothing to resume it. A store whose runtime owns the wake-ups
   * (Lambda's service) ignores it.
   */
  readonly alarmAt?: number
}

export interface ExecutionStoreShape {
  /** The whole decoded log, or undefined when the execution does not exist. */
  load(executionId: string): Effect.Effect<StoredLog | undefined, LogCorrupted | StoreFailure>
  /**
   * Appends events atomically if the log is at `expectedSeq` (0 creates the execution), under the rules of
   * `checkAppend` (./append-checks.ts). Succeeds with the events as written, which the writer applies to its state:
   * the given ones, or copies of them where the backend filled in a field of its own (Lambda's service issues the
   * callback ids). A store never modifies the events it is given. With `options.alarmAt`, the alarm is set in the
   * same atomic write (and not at all if the append is refused).
   */
  append(
    executionId: string,
    events: ReadonlyArray<LogEvent>,
    expectedSeq: number,
    options?: AppendOptions
  ): Effect.Effect<ReadonlyArray<LogEvent>, SeqConflict | LogCorrupted | StoreFailure>
  /**
   * Optional: the events with seq > `afterSeq`, at most `limit` of them, read and decoded without the rest of the
   * log (undefined: no such execution). Stores without it are read through `readLogPage` (./log-page.ts), which
   * falls back to `load`.
   */
  readonly readPage?: (
    executionId: string,
    afterSeq: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<LogEvent> | undefined, LogCorrupted | StoreFailure>
  /** Sets the execution's single alarm, replacing any earlier one. */
  setAlarm(executionId: string, at: number): Effect.Effect<void, StoreFailure>
  getAlarm(executionId: string): Effect.Effect<number | undefined, StoreFailure>
  deleteAlarm(executionId: string): Effect.Effect<void, StoreFailure>
  /** The listing index, newest first. */
  list(query: ListQuery): Effect.Effect<ListPage, StoreFailure>
  summary(executionId: string): Effect.Effect<ExecutionSummary | undefined, StoreFailure>
  /** Removes the log, the alarm and the index entry. */
  delete(executionId: string): Effect.Effect<void, StoreFailure>
}

export class ExecutionStore extends Context.Service<ExecutionStore, ExecutionStoreShape>()("reprise/store/ExecutionStore") {}
