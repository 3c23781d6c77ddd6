/**
 * The operation tree: child contexts, map items and parallel branches nested under their parents, each operation
 * with its status, attempts, timings and payloads (payloads come from the history).
 */
import { html } from "hono/html"
import type { OperationJson } from "../views.ts"
import { duration, millis, prettyPayload, STATUS_CLASSES, time } from "./format.ts"
import { errorBlock } from "./error-view.ts"
import type { Attempt, OperationHistory } from "./history.ts"
import { type Html, statusBadge } from "./layout.ts"
import { type Group, type GroupChoices, groupSummary } from "./op-groups.ts"
import type { TreeRow } from "./tree.ts"

export { treeRows } from "./tree.ts"

/** The most operations drawn in the tree. */
export const MAX_TREE_OPERATIONS = 300

const attemptsTable = (attempts: ReadonlyArray<Attempt>): Html =>
  // In a scroller of its own, as the page's other tables: at 420 px it widened the whole page.
  html`<div class="hscroll"><table class="attempts"><thead><tr><th>Attempt</th><th>Started</th><th>Ran</th><th>Outcome</th><th>Next attempt</th></tr></thead><tbody>${
    attempts.map((attempt) =>
      html`<tr><td>${attempt.attempt}</td><td>${time(attempt.startedAt)}</td><td>${attempt.endedAt === undefined ? "running" : duration(attempt.endedAt - attempt.startedAt)}</td>
<td>${attempt.ok === undefined ? "–" : attempt.ok ? "succeeded" : html`<span class="mono">${attempt.error?.errorType}: ${attempt.error?.errorMessage}</span>`}</td>
<td>${attempt.nextAttemptAt === undefined ? "–" : time(attempt.nextAttemptAt)}</td></tr>`
    )
  }</tbody></table></div>`

const facts = (op: OperationJson): Html => {
  const started = millis(op.startedAt)
  const ended = millis(op.endedAt)
  const rows: Array<[string, string | Html]> = [
    ["Type", `${op.type} / ${op.subType}`],
    ["Started", time(op.startedAt)],
    ["Ended", op.endedAt === undefined ? "–" : `${time(op.endedAt)} (after ${duration((ended ?? 0) - (started ?? 0))})`]
  ]
  if (op.attempt !== undefined) rows.push(["Attempts", String(op.attempt)])
  if (op.nextAttemptAt !== undefined) rows.push(["Next attempt", time(op.nextAttemptAt)])
  if (op.waitUntil !== undefined) rows.push(["Waits until", time(op.waitUntil)])
  if (op.callbackId !== undefined) rows.push(["Callback id", html`<span class="mono">${op.callbackId}</span>`])
  if (op.timeoutAt !== undefined) rows.push(["Times out", time(op.timeoutAt)])
  return html`<div class="kv">${rows.map(([key, value]) => html`<span class="muted">${key}</span><span>${value}</span>`)}</div>`
}

const body = (op: OperationJson, history: OperationHistory | undefined): Html => {
  const attempts = history?.attempts ?? []
  const showAttempts = op.type === "STEP" && (attempts.length > 1 || attempts.some((a) => a.ok === false))
  return html`${facts(op)}${
    history?.rewoundAt === undefined ? "" : html`<p class="muted rewound">Run again after the rewind at ${time(history.rewoundAt)}: the attempts before it are in the history.</p>`
  }${showAttempts ? attemptsTable(attempts) : ""}${
    history?.input === undefined ? "" : html`<div class="muted">Input</div><pre class="payload">${prettyPayload(history.input)}</pre>`
  }${history?.result === undefined ? "" : html`<div class="muted">Result</div><pre class="payload">${prettyPayload(history.result)}</pre>`}${
    op.error === undefined || op.status === "SUCCEEDED" ? "" : html`<div class="muted">Error</div>${errorBlock(op.error)}`
  }`
}

/** The grouped operations (op-groups.ts): their groups, the reader's choices, and the page's URL for a query. */
export interface Grouping {
  readonly groups: ReadonlyMap<string, Group>
  readonly choices: GroupChoices
  readonly href: (search: string) => string
}

/** `actions`: what a top-level operation offers (fork from here, rewind to here), drawn at the top of its body. */
export const operationTree = (
  rows: ReadonlyArray<TreeRow>,
  index: ReadonlyMap<string, OperationHistory>,
  grouping?: Grouping,
  actions?: (op: OperationJson) => Html
): Html => {
  if (rows.length === 0) return html`<p class="muted">No operations yet.</p>`
  const shown = rows.slice(0, MAX_TREE_OPERATIONS)
  // Nest by depth: rows are in tree order, so each row closes the <details> of deeper or equal rows before it.
  const parts: Array<Html> = []
  let depth = -1
  for (const { depth: level, name, op } of shown) {
    for (; depth >= level; depth--) parts.push(html`</div></details>`)
    depth = level
    const took = op.endedAt === undefined ? "" : ` · ${duration((millis(op.endedAt) ?? 0) - (millis(op.startedAt) ?? 0))}`
    const open = op.status !== "SUCCEEDED" || level === 0
    parts.push(html`<details class="op" data-op="${op.id}" id="op-${op.id}"${open ? html` open` : ""}><summary>${statusBadge(op.status, STATUS_CLASSES)}
<span class="name">${name}</span> <span class="muted">${op.type}/${op.subType} · ${op.id}${
      op.attempt !== undefined && op.attempt > 1 ? ` · ${op.attempt} attempts` : ""
    }${took}</span></summary><div class="opbody">${level === 0 && actions !== undefined ? actions(op) : ""}${body(op, index.get(op.id))}${
      grouping?.groups.has(op.id) === true ? groupSummary(grouping.groups.get(op.id)!, grouping.choices, grouping.href) : ""
    }`)
  }
  for (; depth >= 0; depth--) parts.push(html`</div></details>`)
  return html`<div id="operations">${parts}</div>${
    rows.length > shown.length ? html`<p class="muted">${rows.length - shown.length} more operations are not shown.</p>` : ""
  }`
}
