/**
 * One execution: status, input, result or error; the actions (complete a pending callback, stop the execution, delete
 * an ended one);
 * the timeline, the operation tree and the readable history.
 */
import { html } from "hono/html"
import { isLiveStatus } from "../../engine/execution-view.ts"
import type { ExecutionWithOperationsJson as ExecutionJson, OperationJson } from "../views.ts"
import type { ConsoleApi } from "./api-client.ts"
import { duration, millis, prettyValue, STATUS_CLASSES, time } from "./format.ts"
import { errorBlock } from "./error-view.ts"
import { historyTable, indexHistory } from "./history.ts"
import { type Html, live, liveRegion, statusBadge } from "./layout.ts"
import { problemNotice } from "./list-page.ts"
import { groupChoicesOf, groupRows, groupSearch } from "./op-groups.ts"
import { operationTree, treeRows } from "./operations.ts"
import { startForm } from "./start-form.ts"
import { timeline } from "./timeline.ts"
import { callbackName, waitingOn } from "./waiting-on.ts"

const apiPath = (path: string) => `/console/api${path}`
const callbackApi = (callbackId: string, action: string) => apiPath(`/v1/callbacks/${encodeURIComponent(callbackId)}/${action}`)

const summary = (execution: ExecutionJson, now: number): Html => {
  const started = millis(execution.startedAt) ?? now
  const ended = millis(execution.endedAt)
  return html`<div class="card kv" id="summary">
<span class="muted">Status</span><span id="status">${statusBadge(execution.status, STATUS_CLASSES)}${
    execution.queuePosition === undefined ? "" : html` <span class="muted" id="queue-position">#${String(execution.queuePosition)} in its function's queue</span>`
  }</span>
<span class="muted">Function</span><span><a href="/console?function=${encodeURIComponent(execution.functionName)}">${execution.functionName}</a></span>${
    execution.version === undefined ? "" : html`
<span class="muted">Version</span><span class="mono" id="version">${execution.version}</span>`
  }
<span class="muted">Started</span><span>${time(execution.startedAt)}</span>
<span class="muted">Ended</span><span>${execution.endedAt === undefined ? "–" : time(execution.endedAt)}</span>
<span class="muted">Duration</span><span>${duration((ended ?? now) - started)}${ended === undefined ? " so far" : ""}</span>${links(execution)}</div>`
}

const executionLink = (executionId: string): Html =>
  html`<a class="mono" href="/console/executions/${encodeURIComponent(executionId)}">${executionId}</a>`

/** Where the execution comes from and goes to: its fork source, the runs before and after it, its rewinds. */
const links = (execution: ExecutionJson): Html =>
  html`${
    execution.forkedFrom === undefined ? "" : html`
<span class="muted">Forked from</span><span id="forked-from">${executionLink(execution.forkedFrom.executionId)} before operation ${execution.forkedFrom.operationId}</span>`
  }${execution.continuedFrom === undefined ? "" : html`
<span class="muted">Continues</span><span id="continued-from">${executionLink(execution.continuedFrom)}</span>`}${
    execution.continuedAs === undefined ? "" : html`
<span class="muted">Continued as</span><span id="continued-as">${executionLink(execution.continuedAs)}</span>`
  }${execution.rewinds === undefined ? "" : html`
<span class="muted">Rewound</span><span id="rewinds">${execution.rewinds === 1 ? "once" : `${execution.rewinds} times`}</span>`}`

const payloads = (execution: ExecutionJson): Html =>
  html`<div class="grid"><div><h2>Input</h2><pre class="payload" id="input">${"input" in execution ? prettyValue(execution.input) : "(none)"}</pre></div>${
    execution.error !== undefined
      ? html`<div><h2>Error</h2>${errorBlock(execution.error, "error")}</div>`
      : isLiveStatus(execution.status)
      ? html`<div><h2>Result</h2><p class="muted">Not yet: the execution is ${execution.status === "QUEUED" ? "queued" : execution.status === "PAUSED" ? "paused" : "running"}.</p></div>`
      : html`<div><h2>Result</h2><pre class="payload" id="result">${"result" in execution ? prettyValue(execution.result) : "(none)"}</pre></div>`
  }</div>`

/**
 * A ready curl line that completes the callback with a JSON result (the callback routes need no API key: the
 * signed callback id is the capability), for a terminal or a script.
 */
export const curlLine = (origin: string, callbackId: string): string =>
  `curl -X POST '${origin}/v1/callbacks/${encodeURIComponent(callbackId)}/succeed' -H 'content-type: application/json' -d '{"result": {"ok": true}}'`

const pendingCallbacks = (execution: ExecutionJson, origin: string): Html => {
  // A paused execution's callbacks may be completed too (the completion is kept until it is resumed).
  const pending = execution.status === "RUNNING" || execution.status === "PAUSED"
    ? execution.operations.filter((op) => op.type === "CALLBACK" && op.status === "STARTED" && op.callbackId !== undefined)
    : []
  if (pending.length === 0) return html`<h2>Pending callbacks</h2><p class="muted" id="no-callbacks">None.</p>`
  return html`<h2>Pending callbacks</h2>${
    pending.map((op) => {
      const id = op.callbackId!
      const name = callbackName(op, execution.operations)
      return html`<div class="card callback" data-callback="${name}">
<div><strong>${name}</strong> <span class="muted">operation ${op.id}, waiting since ${time(op.startedAt)}${
        op.timeoutAt === undefined ? "" : `, times out at ${time(op.timeoutAt)}`
      }</span></div>
<div class="muted">Callback id <span class="mono callback-id">${id}</span></div>
<div class="curl"><pre class="mono curl-line" id="curl-${op.id}">${curlLine(origin, id)}</pre><button type="button" class="plain copy" data-copy="curl-${op.id}">Copy</button></div>
<form data-api="${callbackApi(id, "succeed")}" data-kind="succeed" data-done="Callback completed"
 data-confirm="${`Complete callback "${name}" with this result? The execution resumes with it; this cannot be undone.`}">
<textarea name="result" placeholder='{"ok": true}' aria-label="Result (JSON)"></textarea><button type="submit" class="succeed">Complete with result</button></form>
<form data-api="${callbackApi(id, "fail")}" data-kind="fail" data-done="Callback failed"
 data-confirm="${`Fail callback "${name}"? The execution receives the error; this cannot be undone.`}">
<input name="errorType" placeholder="Error type (optional)" aria-label="Error type"><input name="errorMessage" size="40" placeholder="Error message" aria-label="Error message">
<button type="submit" class="danger fail">Fail callback</button></form>
<form data-api="${callbackApi(id, "heartbeat")}" data-kind="heartbeat" data-done="Heartbeat sent"><button type="submit" class="plain heartbeat">Send heartbeat</button></form>
</div>`
    })
  }`
}

/** Pause or resume (confirmed), and stop, for an execution that has not ended. */
const actions = (execution: ExecutionJson): Html => {
  if (execution.status !== "RUNNING" && execution.status !== "PAUSED" && execution.status !== "QUEUED") return html``
  const path = (action: string) => apiPath(`/v1/executions/${encodeURIComponent(execution.executionId)}/${action}`)
  const hold = execution.status === "QUEUED" ? html`` : execution.status === "RUNNING"
    ? html`<form class="filters" id="pause" data-api="${path("pause")}" data-kind="pause" data-done="Execution paused"
 data-confirm="Pause this execution? A step already running finishes; nothing new starts and no timer fires until it is resumed.">
<button type="submit" class="plain">Pause</button></form>`
    : html`<form class="filters" id="resume" data-api="${path("resume")}" data-kind="resume" data-done="Execution resumed"
 data-confirm="Resume this execution? What was held starts, and timers that fell due meanwhile fire at once.">
<button type="submit" class="succeed">Resume</button></form>`
  return html`${hold}<form class="filters" id="stop" data-api="${path("stop")}" data-kind="stop"
 data-done="Execution stopped" data-confirm="Stop this execution? It ends as STOPPED; only a rewind runs it again.">
<input name="reason" size="40" placeholder="Reason (optional)" aria-label="Reason"><button type="submit" class="danger">Stop execution</button></form>`
}

/**
 * Delete, for an ended execution: its history, input and result go now, as its retention would erase them. The form
 * posts to the console's proxy (as every action, with its header and JSON), which sends the API's DELETE.
 */
const deleteAction = (execution: ExecutionJson): Html => {
  if (isLiveStatus(execution.status)) return html``
  return html`<form class="filters" id="delete" data-api="${apiPath(`/v1/executions/${encodeURIComponent(execution.executionId)}/delete`)}" data-kind="delete"
 data-done="Execution deleted" data-confirm="Delete this execution now? Its history, input and result are erased for good, with the executions it invoked, as its retention would erase them; this cannot be undone.">
<button type="submit" class="danger">Delete execution</button></form>`
}

/** Fork and rewind run an execution again from a top-level operation (docs/design.md §3). */
const REWINDABLE = new Set(["FAILED", "TIMED_OUT", "STOPPED"])
const operationActions = (execution: ExecutionJson) => (op: OperationJson): Html => {
  const path = (action: string) => apiPath(`/v1/executions/${encodeURIComponent(execution.executionId)}/${action}`)
  const fork = html`<form class="op-action" data-api="${path("fork")}" data-kind="fork" data-done="Forked"
 data-confirm="${`Fork this execution from operation ${op.id}? A new execution keeps the operations before it and runs the rest again; this one is left as it is.`}">
<input type="hidden" name="fromOperation" value="${op.id}"><button type="submit" class="plain fork">Fork from here</button></form>`
  if (!REWINDABLE.has(execution.status)) return fork
  return html`${fork}<form class="op-action" data-api="${path("rewind")}" data-kind="rewind" data-done="Rewound: running again"
 data-confirm="${`Rewind this ${execution.status} execution to operation ${op.id}? It forgets that operation and every later one and runs them again, under the same id.`}">
<input type="hidden" name="fromOperation" value="${op.id}"><button type="submit" class="danger rewind">Rewind to here</button></form>`
}

/**
 * An ended execution that recorded no operation (its handler threw before its first durable call, or it was stopped
 * while queued) has no operation to rewind to: the API takes a rewind from "1" for it, run again from its start.
 */
const rewindFromStart = (execution: ExecutionJson): Html => {
  if (!REWINDABLE.has(execution.status) || execution.operationCounts.total !== 0) return html``
  return html`<form class="filters" id="rewind-start" data-api="${apiPath(`/v1/executions/${encodeURIComponent(execution.executionId)}/rewind`)}"
 data-kind="rewind" data-done="Rewound: running again"
 data-confirm="${`Rewind this ${execution.status} execution? It recorded no operation: it runs again from its start, under the same id.`}">
<input type="hidden" name="fromOperation" value="1"><button type="submit" class="danger rewind">Rewind: run again from the start</button></form>`
}

/**
 * Rerun: a new execution of the same function, with this one's input (editable) in the start editor. Outside the
 * live region, so a refresh never resets what is being edited.
 */
const rerun = (execution: ExecutionJson): Html =>
  html`<details class="card" id="rerun"><summary>Rerun <span class="muted">(a new execution of ${execution.functionName}, with this input or an edited one)</span></summary>${
    startForm(execution.functionName, {
      id: "rerun-form",
      input: "input" in execution ? (JSON.stringify(execution.input, null, 2) ?? "") : "",
      button: "Rerun",
      confirm: `Start a new execution of ${execution.functionName} with this input? This one is left as it is.`
    })
  }</details>`

export interface ExecutionPage {
  readonly title: string
  readonly status: 200 | 404 | 500
  readonly body: Html
  /** The live region alone (undefined when the execution could not be read). */
  readonly region?: Html
}

const withSearch = (path: string, search: string) => (search === "" ? path : `${path}?${search}`)

/** Where the execution page's live region refreshes from (with the page's group choices). */
export const executionLiveSrc = (executionId: string, search = "") =>
  withSearch(`/console/executions/${encodeURIComponent(executionId)}/live`, search)

export interface ExecutionPageOptions {
  readonly origin: string
  /** The page's query: each group's page and status filter (op-groups.ts). */
  readonly params?: URLSearchParams
  readonly devTools?: boolean
  /** Live updates from the execution's event stream (else the page polls). */
  readonly streams?: boolean
}

export const executionPage = async (api: ConsoleApi, executionId: string, options: ExecutionPageOptions): Promise<ExecutionPage> => {
  const { devTools = false, origin } = options
  const [found, history] = await Promise.all([api.execution(executionId), api.history(executionId)])
  const head = html`<p><a href="/console">« Executions</a></p><h1>Execution <span class="mono">${executionId}</span></h1>`
  if (!found.ok) return { title: "Execution", status: found.problem.status === 404 ? 404 : 500, body: html`${head}${problemNotice(found.problem)}` }
  const execution = found.value
  const now = Date.now()
  const events = history.ok ? history.value.events : []
  const index = indexHistory(events)
  const choices = groupChoicesOf(options.params ?? new URLSearchParams())
  const { groups, rows } = groupRows(treeRows(execution.operations), choices)
  const search = groupSearch(choices)
  const href = (query: string) => withSearch(`/console/executions/${encodeURIComponent(executionId)}`, query) + "#operations"
  const start = millis(execution.startedAt) ?? now
  const end = millis(execution.endedAt) ?? now
  const content = html`${summary(execution, now)}${waitingOn(execution, index, now, devTools)}${actions(execution)}${deleteAction(execution)}${rewindFromStart(execution)}${pendingCallbacks(execution, origin)}${payloads(execution)}
<h2>Timeline</h2><div class="hscroll">${timeline(rows, index, start, end)}</div>
<h2>Operations</h2>${operationTree(rows, index, { groups, choices, href }, operationActions(execution))}
<h2>History</h2><div class="hscroll">${history.ok ? historyTable(events, history.value.truncated) : problemNotice(history.problem)}</div>`
  // The version is the last event read: the region changes only when the log grows.
  const lastSeq = history.ok ? history.value.lastSeq : 0
  const liveOptions = {
    src: executionLiveSrc(executionId, search),
    version: String(lastSeq),
    ...(options.streams === true ? { stream: `/console/api/v1/executions/${encodeURIComponent(executionId)}/events`, cursor: lastSeq } : {}),
    ended: execution.status !== "RUNNING" && execution.status !== "PAUSED" && execution.status !== "QUEUED"
  }
  return {
    title: `${execution.functionName} ${executionId}`,
    status: 200,
    body: html`${head}${rerun(execution)}${live(content, liveOptions)}`,
    region: liveRegion(content, liveOptions)
  }
}
