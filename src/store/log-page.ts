/**
 * A page of an execution's log: the store's own paged read where it has one (SQLite, the KV store), else the whole
 * log loaded and sliced, so that every store can serve history pages.
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import type { StoreFailure } from "./store-errors.ts"

/** The events with seq > `afterSeq`, at most `limit` (undefined: no such execution). */
export const readLogPage = (
  store: ExecutionStoreShape,
  executionId: string,
  afterSeq: number,
  limit: number
): Effect.Effect<ReadonlyArray<LogEvent> | undefined, LogCorrupted | StoreFailure> => {
  const after = Math.max(0, Math.floor(afterSeq))
  const size = Math.max(0, Math.floor(limit))
  if (store.readPage !== undefined) return store.readPage(executionId, after, size)
  return Effect.map(store.load(executionId), (log) => log?.events.slice(after, after + size))
}
