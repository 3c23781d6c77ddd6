/**
 * The listing index: derived from the logs and rebuildable. A KV-backed store keeps it beside the logs
 * (in memory here; index objects on Cloudflare).
 */
import { Effect } from "effect"
import {
  compareSummaries,
  decodeCursor,
  encodeCursor,
  type ExecutionSummary,
  isAfterCursor,
  type ListPage,
  type ListQuery,
  pageSize
} from "./execution-summary.ts"
import type { StoreFailure } from "./store-errors.ts"

export interface ExecutionIndex {
  upsert(summary: ExecutionSummary): Effect.Effect<void, StoreFailure>
  get(executionId: string): Effect.Effect<ExecutionSummary | undefined, StoreFailure>
  remove(executionId: string): Effect.Effect<void, StoreFailure>
  list(query: ListQuery): Effect.Effect<ListPage, StoreFailure>
}

/** Pages through summaries already sorted by compareSummaries. */
export const pageOf = (sorted: ReadonlyArray<ExecutionSummary>, query: ListQuery): ListPage => {
  const size = pageSize(query.limit)
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
  const items: Array<ExecutionSummary> = []
  for (const s of sorted) {
    if (query.functionName !== undefined && s.functionName !== query.functionName) continue
    if (query.status !== undefined && s.status !== query.status) continue
    if (query.version !== undefined && s.version !== query.version) continue
    if (after !== undefined && !isAfterCursor(s, after)) continue
    if (items.length === size) return { items, cursor: encodeCursor(items[items.length - 1]!) }
    items.push(s)
  }
  return { items }
}

export const makeMemoryIndex = (): ExecutionIndex => {
  const rows = new Map<string, ExecutionSummary>()
  return {
    upsert: (summary) => Effect.sync(() => void rows.set(summary.executionId, summary)),
    get: (executionId) => Effect.sync(() => rows.get(executionId)),
    remove: (executionId) => Effect.sync(() => void rows.delete(executionId)),
    list: (query) => Effect.sync(() => pageOf([...rows.values()].sort(compareSummaries), query))
  }
}
