/** The derived, rebuildable row that listing shows for each execution. */
import type { ErrorObject, LogEvent } from "../log/events.ts"
import type { ExecutionStatus } from "../log/fold.ts"
import { terminalStatus } from "../log/terminal-event.ts"

export interface ExecutionSummary {
  readonly executionId: string
  readonly functionName: string
  /** The function's version label: ExecutionStarted's, or the last ExecutionRewound's (the code running it now). */
  readonly version?: string
  readonly status: ExecutionStatus
  readonly startedAt: number
  readonly endedAt?: number
  /** Why a FAILED or STOPPED execution ended (its error's type and the start of its message); describe has the rest. */
  readonly error?: SummaryError
  /** A QUEUED execution's place in its function's queue (added by the engine when it lists; never stored). */
  readonly queuePosition?: number
}

export interface SummaryError {
  readonly errorType: string
  readonly errorMessage: string
}

/** A listed error's type and message are each cut to this many characters (code points): a page of rows stays small. */
export const SUMMARY_ERROR_CHARS = 200

/** `text` cut to `chars` code points, the last of them "…", when it is longer (never inside a surrogate pair). */
export const clipText = (text: string, chars: number): string => {
  if (text.length <= chars) return text
  const all = Array.from(text)
  return all.length <= chars ? text : `${all.slice(0, chars - 1).join("")}…`
}

/** U+0000, which a PostgreSQL text column refuses (the event itself keeps it, escaped in JSON). */
const NUL = /\u0000/g

/**
 * The part of an execution's error that listing shows: its type and message, each cut with "…" past the limit, a NUL
 * character as U+FFFD (the migrations' backfills do the same).
 */
export const summaryError = (error: ErrorObject): SummaryError => ({
  errorType: clipText(error.errorType, SUMMARY_ERROR_CHARS).replace(NUL, "\uFFFD"),
  errorMessage: clipText(error.errorMessage, SUMMARY_ERROR_CHARS).replace(NUL, "\uFFFD")
})

/**
 * A stored row's error as a summary field, from its columns: only for FAILED and STOPPED (a row a host of an older
 * version rewound, not knowing the columns, keeps them while it runs again).
 */
export const errorOfRow = (status: string, errorType: string | null, errorMessage: string | null): { readonly error?: SummaryError } =>
  errorType === null || (status !== "FAILED" && status !== "STOPPED") ? {} : { error: { errorType, errorMessage: errorMessage ?? "" } }

/** Advances a summary over newly appended events (the first batch must hold ExecutionStarted). */
export const summarize = (
  previous: ExecutionSummary | undefined,
  events: ReadonlyArray<LogEvent>
): ExecutionSummary | undefined => {
  let summary = previous
  for (const event of events) {
    if (event._tag === "ExecutionStarted") {
      summary = {
        executionId: event.executionId,
        functionName: event.functionName,
        ...(event.version === undefined ? {} : { version: event.version }),
        status: event.queue === undefined ? "RUNNING" : "QUEUED",
        startedAt: event.at
      }
      continue
    }
    if (summary !== undefined && event._tag === "ExecutionDequeued") {
      summary = { ...summary, status: "RUNNING" }
      continue
    }
    if (summary !== undefined && summary.endedAt === undefined && (event._tag === "ExecutionPaused" || event._tag === "ExecutionResumed")) {
      summary = { ...summary, status: event._tag === "ExecutionPaused" ? "PAUSED" : "RUNNING" }
      continue
    }
    if (event._tag === "ExecutionRewound" && summary !== undefined) {
      // The rewind's label replaces the start's, absent or not: the label names the code that runs the execution.
      const { endedAt: _, version: _version, error: _error, ...running } = summary
      summary = { ...running, ...(event.version === undefined ? {} : { version: event.version }), status: "RUNNING" }
      continue
    }
    const status = terminalStatus(event)
    if (status !== undefined && summary !== undefined) {
      const error = event._tag === "ExecutionFailed" || event._tag === "ExecutionStopped" ? event.error : undefined
      summary = { ...summary, status, endedAt: event.at, ...(error === undefined ? {} : { error: summaryError(error) }) }
    }
  }
  return summary
}

export interface ListQuery {
  readonly functionName?: string
  readonly status?: ExecutionStatus
  /** Only executions whose version label (the start's, or the last rewind's) is this one. */
  readonly version?: string
  /** Page size, 1 to 1000 (default 100). */
  readonly limit?: number
  /** The `cursor` of the previous page. */
  readonly cursor?: string
}

export interface ListPage {
  readonly items: ReadonlyArray<ExecutionSummary>
  readonly cursor?: string
}

export const DEFAULT_PAGE = 100
export const MAX_PAGE = 1000
export const pageSize = (limit: number | undefined): number =>
  Math.max(1, Math.min(MAX_PAGE, Math.floor(limit ?? DEFAULT_PAGE)))

/** Newest first; ties broken by id so that pages never overlap or skip. */
export const compareSummaries = (a: ExecutionSummary, b: ExecutionSummary): number =>
  b.startedAt - a.startedAt || (a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0)

export const encodeCursor = (s: ExecutionSummary): string => `${s.startedAt}.${s.executionId}`
export const decodeCursor = (cursor: string): { startedAt: number; executionId: string } | undefined => {
  const dot = cursor.indexOf(".")
  const startedAt = Number(cursor.slice(0, dot))
  return dot > 0 && Number.isFinite(startedAt) ? { startedAt, executionId: cursor.slice(dot + 1) } : undefined
}
/** True when `s` comes after the cursor position in listing order. */
export const isAfterCursor = (s: ExecutionSummary, cursor: { startedAt: number; executionId: string }): boolean =>
  s.startedAt < cursor.startedAt || (s.startedAt === cursor.startedAt && s.executionId > cursor.executionId)
