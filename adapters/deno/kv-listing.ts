/**
 * The executions listing on Deno KV, with the order and cursors of the package's own listing (reprise/store): newest first,
 * ties by id, a cursor only when another page follows. Each execution has four index keys (all, by function, by
 * status, by function and status), each ending in `-startedAt, executionId`, so that KV's key order is the listing
 * order and every filter is one range read; an execution started with a version label has a fifth key (by version),
 * read as one range and filtered further by function and status when those are asked too. They are written in the same atomic operation as the events that
 * change the summary (a start, an end).
 */
import {
  decodeCursor,
  encodeCursor,
  type ErrorObject,
  type ExecutionStatus,
  type ExecutionSummary,
  isAfterCursor,
  type ListPage,
  type ListQuery,
  pageSize,
  summaryError
} from "reprise/store"
import type { AtomicOperation, Kv, KvKey } from "./deno-api.ts"
import { listPrefix } from "./kv-keys.ts"

/** Newest first: KV orders numbers ascending. `0 - t` rather than `-t`, so that t = 0 gives +0. */
const order = (startedAt: number) => 0 - startedAt

const filterPrefix = (functionName: string | undefined, status: ExecutionStatus | undefined): KvKey => {
  if (functionName !== undefined && status !== undefined) return [...listPrefix, "fn-status", functionName, status]
  if (functionName !== undefined) return [...listPrefix, "fn", functionName]
  if (status !== undefined) return [...listPrefix, "status", status]
  return [...listPrefix, "all"]
}

const versionPrefix = (version: string): KvKey => [...listPrefix, "version", version]

/** The index keys of one summary. */
export const indexKeys = (s: ExecutionSummary): ReadonlyArray<KvKey> => {
  const tail = [order(s.startedAt), s.executionId]
  return [
    [...filterPrefix(undefined, undefined), ...tail],
    [...filterPrefix(s.functionName, undefined), ...tail],
    [...filterPrefix(undefined, s.status), ...tail],
    [...filterPrefix(s.functionName, s.status), ...tail],
    ...(s.version === undefined ? [] : [[...versionPrefix(s.version), ...tail]])
  ]
}

/** Adds to `op` the index changes from `before` (undefined: a new execution) to `after` (undefined: deleted). */
export const writeIndex = (op: AtomicOperation, before: ExecutionSummary | undefined, after: ExecutionSummary | undefined): number => {
  let mutations = 0
  if (before !== undefined) {
    for (const key of indexKeys(before)) {
      op.delete(key)
      mutations++
    }
  }
  if (after !== undefined) {
    // Only what listing shows, as a plain object (the summary may carry more).
    const row: ExecutionSummary = {
      executionId: after.executionId,
      functionName: after.functionName,
      ...(after.version === undefined ? {} : { version: after.version }),
      status: after.status,
      startedAt: after.startedAt,
      ...(after.endedAt === undefined ? {} : { endedAt: after.endedAt }),
      ...(after.error === undefined ? {} : { error: { errorType: after.error.errorType, errorMessage: after.error.errorMessage } })
    }
    for (const key of indexKeys(after)) {
      op.set(key, row)
      mutations++
    }
  }
  return mutations
}

export const listExecutions = async (kv: Kv, query: ListQuery): Promise<ListPage> => {
  const size = pageSize(query.limit)
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
  const prefix = query.version === undefined ? filterPrefix(query.functionName, query.status) : versionPrefix(query.version)
  // With a version and another filter, rows of the version range are skipped: no read limit then.
  const skips = query.version !== undefined && (query.functionName !== undefined || query.status !== undefined)
  const selector = after === undefined ? { prefix } : { prefix, start: [...prefix, order(after.startedAt), after.executionId] }
  const items: Array<ExecutionSummary> = []
  // One more row than the page tells whether another follows; one more again for the cursor's own row.
  const limit = skips ? {} : { limit: size + 2 }
  for await (const entry of kv.list<ExecutionSummary>(selector, { ...limit, batchSize: Math.min(1000, size + 2) })) {
    const summary = entry.value
    if (after !== undefined && !isAfterCursor(summary, after)) continue
    if (query.functionName !== undefined && summary.functionName !== query.functionName) continue
    if (query.status !== undefined && summary.status !== query.status) continue
    if (items.length === size) return { items, cursor: encodeCursor(items[items.length - 1]!) }
    items.push(summary)
  }
  return { items }
}

/**
 * A row written by a release before rows kept why an execution ended (78efb3a, say) has no error: a FAILED one
 * takes it from its log's last event (the raw end event, read by `lastEvent`), as SQLite's and PostgreSQL's
 * migrations filled their old rows. A FAILED row of this release always has one (ExecutionFailed's error is
 * required), so only old rows are read; such a row is never written again (a rewind writes a new one). A STOPPED row
 * is left as it is: one stopped without an error has none in any release, and reading every such log on each
 * listing would cost what this saves. A log that cannot be read leaves the row as it is too.
 */
export const withEndErrors = async (page: ListPage, lastEvent: (executionId: string) => Promise<unknown>): Promise<ListPage> => {
  const items = await Promise.all(page.items.map(async (row) => {
    if (row.error !== undefined || row.status !== "FAILED") return row
    const error = ((await lastEvent(row.executionId)) as { readonly error?: Partial<ErrorObject> } | undefined)?.error
    if (typeof error?.errorType !== "string" || typeof error.errorMessage !== "string") return row
    return { ...row, error: summaryError({ errorType: error.errorType, errorMessage: error.errorMessage }) }
  }))
  return { ...page, items }
}
