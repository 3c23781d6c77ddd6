/**
 * Small formatting helpers for the console's pages. Everything returned here is plain text: the pages interpolate
 * it with Hono's `html` template, which escapes it.
 */

/** A duration for people: "840 ms", "2.4 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export const duration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "–"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}

/** An epoch-millisecond or ISO time as "2026-11-26 14:03:07.123Z" (UTC, sortable, unambiguous). */
export const time = (at: number | string | undefined): string => {
  if (at === undefined) return "–"
  const date = new Date(at)
  return Number.isNaN(date.getTime()) ? String(at) : date.toISOString().replace("T", " ")
}

export const millis = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined
  const value = Date.parse(iso)
  return Number.isNaN(value) ? undefined : value
}

/** The longest payload shown in full; the rest is cut with a note (payloads can reach 256 KiB each). */
export const MAX_SHOWN_CHARS = 20_000

const cut = (text: string): string =>
  text.length <= MAX_SHOWN_CHARS ? text : `${text.slice(0, MAX_SHOWN_CHARS)}\n… (${text.length - MAX_SHOWN_CHARS} more characters)`

/** A value from the JSON API, pretty-printed. */
export const prettyValue = (value: unknown): string => cut(value === undefined ? "undefined" : JSON.stringify(value, null, 2) ?? String(value))

/** A payload as stored in the log (serialised text): pretty JSON when it is JSON, else the raw text. */
export const prettyPayload = (payload: string): string => {
  try {
    return prettyValue(JSON.parse(payload))
  } catch {
    return cut(payload)
  }
}

/** One line of a payload, for tables and tooltips. */
export const shortPayload = (payload: string, max = 80): string => {
  let text = payload
  try {
    text = JSON.stringify(JSON.parse(payload)) ?? payload
  } catch {
    // not JSON: the raw text
  }
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

export const STATUS_CLASSES: Readonly<Record<string, string>> = {
  QUEUED: "s-pending",
  RUNNING: "s-running",
  PAUSED: "s-pending",
  STARTED: "s-running",
  PENDING: "s-pending",
  SUCCEEDED: "s-ok",
  CONTINUED_AS_NEW: "s-ok",
  FAILED: "s-failed",
  TIMED_OUT: "s-failed",
  STOPPED: "s-stopped",
  CANCELLED: "s-stopped"
}

export const EXECUTION_STATUSES = ["QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CONTINUED_AS_NEW"] as const

/**
 * How long ago `at` was, seen at `now`, for people: "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago"
 * ("in 3 min" for a time still ahead). Shown beside the absolute time, never instead of it. The client script
 * (client-script.ts) keeps the shown ones (layout.ts `relTime`) current with the same rule.
 */
export const ago = (at: number | string | undefined, now: number): string => {
  const then = typeof at === "string" ? Date.parse(at) : at
  if (then === undefined || !Number.isFinite(then)) return ""
  const ms = now - then
  const s = Math.floor(Math.abs(ms) / 1000)
  if (s < 5) return "just now"
  const amount = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86_400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86_400)} d`
  return ms >= 0 ? `${amount} ago` : `in ${amount}`
}

