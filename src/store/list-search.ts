/**
 * Searching the listing by start time, end time and input text, over any store's own listing (newest first, the package's
 * cursors), so that no store needs a new query:
 * - a time range is a position: `startedBefore` becomes a cursor, and the pages stop at `startedAfter`;
 * - input text is matched on the input each listed execution runs with: its first event's (one short read per row,
 *   `readLogPage`), or a debounced start's last replacement; at most `MAX_SCANNED` rows per call: a page may then
 *   hold fewer matches than its limit, with a cursor to go on;
 * - an end-time range is matched the same way, on each row's `endedAt` (the listing is in start order, so it is no
 *   position; a row still running never matches), within the same `MAX_SCANNED` rows per call;
 * - several statuses are one listing per status from the same position, merged in listing order (exact pages: every
 *   store's listing by one status is already in that order).
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionStatus } from "../log/fold.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import { readLogPage } from "./log-page.ts"
import {
  decodeCursor,
  encodeCursor,
  type ExecutionSummary,
  type ListPage,
  compareSummaries,
  type ListQuery,
  pageSize
} from "./execution-summary.ts"

export interface SearchQuery extends ListQuery {
  /** Only executions started at or after this time (epoch milliseconds). */
  readonly startedAfter?: number
  /** Only executions started before this time (epoch milliseconds). */
  readonly startedBefore?: number
  /** Only executions that ended at or after this time (epoch milliseconds); one still running never matches. */
  readonly endedAfter?: number
  /** Only executions that ended before this time (epoch milliseconds); one still running never matches. */
  readonly endedBefore?: number
  /** Only executions whose input (its JSON text) contains this text, ignoring case. */
  readonly inputContains?: string
  /** Only executions in any of these statuses (instead of `status`, for more than one). */
  readonly statuses?: ReadonlyArray<ExecutionStatus>
}

/** The most rows one input or end-time search reads before it answers (with a cursor when more remain). */
export const MAX_SCANNED = 1000

type Position = { readonly startedAt: number; readonly executionId: string }

/** The position further along the listing (older, or as old with a larger id). */
const further = (a: Position | undefined, b: Position | undefined): Position | undefined =>
  a === undefined ? b : b === undefined ? a : a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.executionId > b.executionId) ? a : b

const cursorOf = (position: Position | undefined): string | undefined =>
  position === undefined ? undefined : `${position.startedAt}.${position.executionId}`

/** Whether the query asks for more than a store's listing does. */
export const isSearch = (query: SearchQuery): boolean =>
  query.startedAfter !== undefined || query.startedBefore !== undefined || query.inputContains !== undefined ||
  query.endedAfter !== undefined || query.endedBefore !== undefined || query.statuses !== undefined

/** Whether a row ended within [endedAfter, endedBefore) (either bound optional). */
const endedWithin = (summary: ExecutionSummary, endedAfter: number | undefined, endedBefore: number | undefined): boolean =>
  summary.endedAt !== undefined && (endedAfter === undefined || summary.endedAt >= endedAfter) &&
  (endedBefore === undefined || summary.endedAt < endedBefore)

/**
 * The listing of executions in any of `statuses`: one page of each status from the query's position, merged. The
 * first `limit` of the merge are the page; the next starts after its last (every row not taken lies after it).
 */
const anyStatus = <E>(list: (query: ListQuery) => Effect.Effect<ListPage, E>, statuses: ReadonlyArray<ExecutionStatus>) =>
(query: ListQuery): Effect.Effect<ListPage, E> => {
  if (statuses.length === 1) return list({ ...query, status: statuses[0]! })
  const size = pageSize(query.limit)
  return Effect.map(
    Effect.forEach(new Set(statuses), (status) => list({ ...query, status, limit: size }), { concurrency: "unbounded" }),
    (pages) => {
      const merged = pages.flatMap((page) => page.items).sort(compareSummaries)
      const items = merged.slice(0, size)
      const more = merged.length > size || pages.some((page) => page.cursor !== undefined)
      return more && items.length > 0 ? { items, cursor: encodeCursor(items[items.length - 1]!) } : { items }
    }
  )
}

/**
 * Answers a SearchQuery with `list` (the store's listing) and `inputOf` (an execution's input payload, for
 * `inputContains`). Without a time range or input text it is `list` itself.
 */
export const searchListing = <E, E2>(
  list: (query: ListQuery) => Effect.Effect<ListPage, E>,
  inputOf: (executionId: string) => Effect.Effect<string | undefined, E2>
) =>
(query: SearchQuery): Effect.Effect<ListPage, E | E2> =>
  Effect.gen(function*() {
    const { endedAfter, endedBefore, inputContains, startedAfter, startedBefore, statuses, ...base } = query
    const listed = statuses === undefined ? list : anyStatus(list, statuses)
    const byEnd = endedAfter !== undefined || endedBefore !== undefined
    if (inputContains === undefined && startedAfter === undefined && startedBefore === undefined && !byEnd) return yield* listed(base)
    const size = pageSize(base.limit)
    // Before `startedBefore` (whole milliseconds): at or before startedBefore - 1, every id (all are non-empty).
    const upper = startedBefore === undefined ? undefined : { startedAt: Math.ceil(startedBefore) - 1, executionId: "" }
    let cursor = cursorOf(further(base.cursor === undefined ? undefined : decodeCursor(base.cursor), upper))
    const needle = inputContains?.toLowerCase()
    const items: Array<ExecutionSummary> = []
    let scanned = 0
    for (;;) {
      const page = yield* listed({ ...base, limit: size, ...(cursor === undefined ? {} : { cursor }) })
      for (const summary of page.items) {
        if (startedAfter !== undefined && summary.startedAt < startedAfter) return { items } // older from here on
        scanned++
        // The end time first: it is on the row, the input costs a read.
        const matches = (!byEnd || endedWithin(summary, endedAfter, endedBefore)) &&
          (needle === undefined || ((yield* inputOf(summary.executionId)) ?? "").toLowerCase().includes(needle))
        if (matches) items.push(summary)
        const full = items.length === size || scanned >= MAX_SCANNED
        if (full && (summary !== page.items.at(-1) || page.cursor !== undefined)) return { items, cursor: encodeCursor(summary) }
        if (full) return { items }
      }
      if (page.cursor === undefined) return { items }
      cursor = page.cursor
    }
  })

/** The input payload of a log's first events (its ExecutionStarted), for `inputOf`. */
export const startedInput = (events: ReadonlyArray<LogEvent> | undefined): string | undefined => {
  const first = events?.[0]
  return first?._tag === "ExecutionStarted" ? first.input : undefined
}

/** Events read per page past a debounced start, and pages at most, looking for the input it runs with. */
const REPLACED_PAGE = 100
const REPLACED_PAGES = 10

/**
 * The input an execution runs with, for `inputOf`: its ExecutionStarted's, or a debounced start's last
 * ExecutionInputReplaced (those follow the start while it waits in its queue; only such a start reads past its first
 * event). `readPage(after, limit)` reads the log by seq.
 */
export const runInput = <E>(readPage: (after: number, limit: number) => Effect.Effect<ReadonlyArray<LogEvent> | undefined, E>) =>
  Effect.flatMap(readPage(0, 1), (first): Effect.Effect<string | undefined, E> => {
    const started = first?.[0]
    if (started?._tag !== "ExecutionStarted" || started.queue?.debounceKey === undefined) return Effect.succeed(startedInput(first))
    return Effect.gen(function*() {
      let input = started.input
      let after = 1
      for (let page = 0; page < REPLACED_PAGES; page++) {
        const events = (yield* readPage(after, REPLACED_PAGE)) ?? []
        for (const event of events) {
          if (event._tag === "ExecutionInputReplaced") input = event.input
          else if (event._tag === "ExecutionDequeued" || isTerminalEvent(event)) return input
        }
        if (events.length < REPLACED_PAGE) return input
        after += events.length
      }
      return input
    })
  })

/** searchListing over a store: its listing, and each input read from the log (a corrupt log matches nothing). */
export const searchStore = (store: ExecutionStoreShape) =>
  searchListing(store.list, (executionId) =>
    runInput((after, limit) => readLogPage(store, executionId, after, limit)).pipe(Effect.catchTag("LogCorrupted", () => Effect.succeed(undefined))))
