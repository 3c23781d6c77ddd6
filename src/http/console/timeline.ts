/**
 * The timeline: one row per operation, on one time axis from the execution's start to its end (or now), with a
 * bar for each thing the operation did: each attempt ran (green, red when it failed), waited for a retry (amber),
 * waited for a timer, a callback or an invoked execution (blue), or held child operations (grey). A retry storm is
 * a row of red and amber; a long wait a long blue bar.
 */
import { html } from "hono/html"
import type { OperationJson } from "../views.ts"
import { duration, millis, STATUS_CLASSES } from "./format.ts"
import type { OperationHistory } from "./history.ts"
import { type Html, statusBadge } from "./layout.ts"
import type { TreeRow } from "./tree.ts"

type Kind = "run" | "fail" | "retry" | "wait" | "ctx" | "mark"

interface Segment {
  readonly from: number
  readonly to: number
  readonly kind: Kind
  readonly label: string
}

export type { TreeRow } from "./tree.ts"

/** The most rows drawn (a map over thousands of items would otherwise make a page nobody can read). */
export const MAX_TIMELINE_ROWS = 200

const WAITING_TYPES = new Set(["WAIT", "CALLBACK", "CHAINED_INVOKE"])

export const segmentsOf = (op: OperationJson, history: OperationHistory | undefined, end: number): Array<Segment> => {
  const startedAt = history?.startedAt ?? millis(op.startedAt) ?? end
  const endedAt = history?.endedAt ?? millis(op.endedAt)
  if (op.type === "STEP" && history !== undefined && history.attempts.length > 0) {
    const segments: Array<Segment> = []
    history.attempts.forEach((attempt, i) => {
      const ran = (attempt.endedAt ?? end) - attempt.startedAt
      segments.push({
        from: attempt.startedAt,
        to: attempt.endedAt ?? end,
        kind: attempt.ok === false ? "fail" : "run",
        label: attempt.endedAt === undefined
          ? `attempt ${attempt.attempt}: running for ${duration(ran)}`
          : `attempt ${attempt.attempt}: ran ${duration(ran)}${attempt.error === undefined ? "" : `, failed: ${attempt.error.errorType}: ${attempt.error.errorMessage}`}`
      })
      if (attempt.nextAttemptAt !== undefined && attempt.endedAt !== undefined) {
        const next = history.attempts[i + 1]?.startedAt ?? Math.min(end, attempt.nextAttemptAt)
        segments.push({
          from: attempt.endedAt,
          to: next,
          kind: attempt.ok === false ? "retry" : "wait",
          label: `${attempt.ok === false ? "waiting to retry" : "waiting to poll again"}: ${duration(attempt.nextAttemptAt - attempt.endedAt)}`
        })
      }
    })
    return segments
  }
  const kind: Kind = WAITING_TYPES.has(op.type) ? "wait" : op.type === "CONTEXT" ? "ctx" : "run"
  const what = op.type === "WAIT" ? "timer" : op.type === "CALLBACK" ? "callback" : op.type === "CHAINED_INVOKE" ? "invoked execution" : op.subType
  const label = `${kind === "wait" ? `waited for the ${what}` : what} ${duration((endedAt ?? end) - startedAt)}${endedAt === undefined ? " so far" : ""}${
    history?.until === undefined ? "" : ` (until ${new Date(history.until).toISOString()})`
  }`
  const segments: Array<Segment> = [{ from: startedAt, to: endedAt ?? end, kind, label }]
  for (const at of history?.heartbeats ?? []) segments.push({ from: at, to: at, kind: "mark", label: "heartbeat" })
  return segments
}

const WIDTH = 1000
/** The narrowest bar of each kind, in 1/1000 of the axis: a 2 ms failed attempt must still be seen. */
const MIN_WIDTH: Record<Kind, number> = { run: 4, fail: 5, retry: 2, wait: 2, ctx: 2, mark: 1.5 }
const LAYER: Record<Kind, number> = { ctx: 0, wait: 1, retry: 1, run: 2, fail: 3, mark: 4 }

const bar = (segments: ReadonlyArray<Segment>, start: number, span: number): Html => {
  const x = (at: number) => Math.max(0, Math.min(WIDTH, ((at - start) / span) * WIDTH))
  // Waits first, so that the attempts (however short) are drawn on top of them.
  const ordered = [...segments].sort((a, b) => LAYER[a.kind] - LAYER[b.kind])
  return html`<svg viewBox="0 0 ${WIDTH} 14" preserveAspectRatio="none" role="img">${
    ordered.map((segment) => {
      const width = Math.max(MIN_WIDTH[segment.kind], x(segment.to) - x(segment.from))
      const from = Math.min(x(segment.from), WIDTH - width) // a short bar at the very end stays in view
      const y = segment.kind === "ctx" ? 5 : segment.kind === "mark" ? 0 : 2
      const height = segment.kind === "ctx" ? 4 : segment.kind === "mark" ? 14 : 10
      return html`<rect class="${segment.kind}" x="${from.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${height}"><title>${segment.label}</title></rect>`
    })
  }</svg>`
}

const LEGEND = html`<p class="legend muted">
<span class="run"></span>ran <span class="fail"></span>attempt failed <span class="retry"></span>waiting to retry
<span class="wait"></span>waiting (timer, callback, invoke, poll) <span class="ctx"></span>child context</p>`

export const timeline = (
  rows: ReadonlyArray<TreeRow>,
  index: ReadonlyMap<string, OperationHistory>,
  start: number,
  end: number
): Html => {
  if (rows.length === 0) return html`<p class="muted">No operations yet.</p>`
  const span = Math.max(1, end - start)
  const shown = rows.slice(0, MAX_TIMELINE_ROWS)
  return html`${LEGEND}<table class="tl" id="timeline"><thead><tr><th>Operation</th><th>Status</th><th>Began</th><th>Took</th>
<th><span class="muted">0</span> <span class="muted">→ ${duration(span)}</span></th></tr></thead><tbody>${
    shown.map(({ depth, name, op }) => {
      const history = index.get(op.id)
      const segments = segmentsOf(op, history, end)
      const first = Math.min(...segments.map((s) => s.from))
      const last = Math.max(...segments.map((s) => s.to))
      return html`<tr data-op-id="${op.id}"><td class="d${Math.min(depth, 9)}">${name} <span class="muted">${op.id}</span></td>
<td>${statusBadge(op.status, STATUS_CLASSES)}</td><td>+${duration(first - start)}</td><td>${duration(last - first)}</td><td class="bar">${bar(segments, start, span)}</td></tr>`
    })
  }</tbody></table>${rows.length > shown.length ? html`<p class="muted">${rows.length - shown.length} more operations are not drawn.</p>` : ""}`
}
