/**
 * The executions list: filters (function, status, an execution id, a start-time range, an end-time range, input text), newest first, cursor pagination, live refresh
 * on the first page.
 */
import type { Context } from "hono"
import { html } from "hono/html"
import { LIVE_STATUSES } from "../../engine/execution-view.ts"
import { clipText } from "../../store/execution-summary.ts"
import type { SummaryJson } from "../views.ts"
import type { ConsoleApi, Problem } from "./api-client.ts"
import { duration, EXECUTION_STATUSES, millis, STATUS_CLASSES, time } from "./format.ts"
import { type Html, live, liveRegion, relTime, statusBadge } from "./layout.ts"

export const PAGE_SIZE = 25

export interface ListQuery {
  readonly function?: string
  readonly status?: string
  readonly id?: string
  /** The time range, as the form's datetime-local fields give it (`2026-05-01T12:00`, read as UTC). */
  readonly from?: string
  readonly to?: string
  /** The end-time range, read as `from` and `to` are (an execution not ended never matches). */
  readonly endedFrom?: string
  readonly endedTo?: string
  /** Text the input contains. */
  readonly input?: string
  /** The version label executions were started under (exact). */
  readonly version?: string
  readonly cursor?: string
  /** Filters the page refuses, as the API would (a status it does not know, a time that is none): a 400, not a list of everything. */
  readonly refused?: ReadonlyArray<string>
}

const LOCAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?$/

/**
 * A datetime-local value that names a time: 2026-02-30T10:00 or 24:00 match the pattern but are none (Date.parse
 * rolls them over to another day, so the time read back must be the one written).
 */
const isLocalTime = (value: string): boolean => {
  if (!LOCAL_TIME.test(value)) return false
  const iso = isoOf(value)!
  const at = Date.parse(iso)
  return Number.isFinite(at) && new Date(at).toISOString().slice(0, 19) === iso.slice(0, 19)
}

/** A datetime-local value as the API's ISO time (the console shows times in UTC, so it reads them as UTC). */
const isoOf = (local: string | undefined): string | undefined => (local === undefined ? undefined : `${local.length === 16 ? `${local}:00` : local}Z`)

/**
 * The end of the "to" field, exclusive: the field shows minutes, so "to 10:30" takes in 10:30:59 (the minute after
 * it). A value with seconds (typed by hand) ends where it says.
 */
const endOf = (local: string): string => {
  const at = Date.parse(isoOf(local)!)
  return local.length === 16 && Number.isFinite(at) ? new Date(at + 60_000).toISOString() : isoOf(local)!
}

/** The status filter's choice of every execution not ended yet (the API takes several statuses, comma-separated). */
const NOT_ENDED = LIVE_STATUSES.join(",")

/** One status or several, comma-separated, as the API takes them (a link may carry any such list). */
const isStatusList = (value: string): boolean => value.split(",").every((part) => (EXECUTION_STATUSES as ReadonlyArray<string>).includes(part))

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

export const listQuery = (c: Context): ListQuery => {
  const status = nonEmpty(c.req.query("status"))
  const fn = nonEmpty(c.req.query("function"))
  const id = nonEmpty(c.req.query("id"))
  const cursor = nonEmpty(c.req.query("cursor"))
  const from = nonEmpty(c.req.query("from"))
  const to = nonEmpty(c.req.query("to"))
  const endedFrom = nonEmpty(c.req.query("endedFrom"))
  const endedTo = nonEmpty(c.req.query("endedTo"))
  const input = nonEmpty(c.req.query("input"))
  const version = nonEmpty(c.req.query("version"))
  const refused = [
    ...(status !== undefined && !isStatusList(status) ? [`status ${JSON.stringify(status)} (one or more of ${EXECUTION_STATUSES.join(", ")}, comma-separated)`] : []),
    ...(from !== undefined && !isLocalTime(from) ? [`from ${JSON.stringify(from)} (a time such as 2026-05-01T12:00)`] : []),
    ...(to !== undefined && !isLocalTime(to) ? [`to ${JSON.stringify(to)} (a time such as 2026-05-01T12:00)`] : []),
    // Said in the form's words (the API would name startedAfter and startedBefore); "to" takes in its own minute.
    ...(from !== undefined && to !== undefined && isLocalTime(from) && isLocalTime(to) && Date.parse(isoOf(from)!) >= Date.parse(endOf(to))
      ? [`from ${from} later than to ${to} (nothing starts in between)`]
      : []),
    ...(endedFrom !== undefined && !isLocalTime(endedFrom) ? [`ended from ${JSON.stringify(endedFrom)} (a time such as 2026-05-01T12:00)`] : []),
    ...(endedTo !== undefined && !isLocalTime(endedTo) ? [`ended to ${JSON.stringify(endedTo)} (a time such as 2026-05-01T12:00)`] : []),
    ...(endedFrom !== undefined && endedTo !== undefined && isLocalTime(endedFrom) && isLocalTime(endedTo) &&
        Date.parse(isoOf(endedFrom)!) >= Date.parse(endOf(endedTo))
      ? [`ended from ${endedFrom} later than to ${endedTo} (nothing ends in between)`]
      : [])
  ]
  return {
    ...(refused.length === 0 ? {} : { refused }),
    ...(from !== undefined && isLocalTime(from) ? { from } : {}),
    ...(to !== undefined && isLocalTime(to) ? { to } : {}),
    ...(endedFrom !== undefined && isLocalTime(endedFrom) ? { endedFrom } : {}),
    ...(endedTo !== undefined && isLocalTime(endedTo) ? { endedTo } : {}),
    ...(input === undefined ? {} : { input: input.slice(0, 200) }),
    ...(version === undefined ? {} : { version: version.slice(0, 200) }),
    ...(fn === undefined ? {} : { function: fn }),
    ...(status !== undefined && isStatusList(status) ? { status } : {}),
    ...(id === undefined ? {} : { id }),
    ...(cursor === undefined ? {} : { cursor })
  }
}

export const executionHref = (executionId: string): string => `/console/executions/${encodeURIComponent(executionId)}`

const listHref = (query: ListQuery): string => {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value)
  const search = params.toString()
  return search === "" ? "/console" : `/console?${search}`
}

export const problemNotice = (problem: Problem): Html =>
  html`<div class="notice error"><strong>${problem.title}</strong> (${problem.status})${problem.detail === "" ? "" : html`: ${problem.detail}`}</div>`

/** How much of an error's message a row shows (its title has what the listing keeps; the execution page, all). */
const LISTED_MESSAGE_CHARS = 80

/** Why a failed or stopped execution ended, under its status. */
const listedError = (error: NonNullable<SummaryJson["error"]>): Html => {
  const message = clipText(error.errorMessage, LISTED_MESSAGE_CHARS)
  return html`<div class="muted listed-error" title="${error.errorType}: ${error.errorMessage}"><span class="mono">${error.errorType}</span>: ${message}</div>`
}

const row = (execution: SummaryJson, now: number): Html => {
  const started = millis(execution.startedAt) ?? now
  const ended = millis(execution.endedAt)
  return html`<tr data-execution-id="${execution.executionId}">
<td class="mono"><a href="${executionHref(execution.executionId)}">${execution.executionId}</a></td>
<td>${execution.functionName}${execution.version === undefined ? "" : html` <span class="muted version">${execution.version}</span>`}</td><td>${statusBadge(execution.status, STATUS_CLASSES)}${
    execution.queuePosition === undefined ? "" : html` <span class="muted queue-position">#${String(execution.queuePosition)} in line</span>`
  }${execution.error === undefined ? "" : listedError(execution.error)}</td>
<td>${time(execution.startedAt)} ${relTime(execution.startedAt, now)}</td>
<td class="c-ended">${execution.endedAt === undefined ? "–" : html`${time(execution.endedAt)} ${relTime(execution.endedAt, now)}`}</td>
<td>${duration((ended ?? now) - started)}${ended === undefined ? html` <span class="muted">so far</span>` : ""}</td></tr>`
}

/**
 * `more`: the answer has a next page. An input search reads at most 1,000 executions per page, so a page can match
 * none while older executions remain to search: "No executions match." beside "Older »" read as a contradiction.
 */
const table = (executions: ReadonlyArray<SummaryJson>, now: number, more: boolean): Html =>
  executions.length === 0
    ? html`<p class="muted" id="empty">${more ? "No execution on this page matches; the search goes on in older executions (Older »)." : "No executions match."}</p>`
    : html`<div class="hscroll"><table id="executions"><thead><tr><th>Execution</th><th>Function</th><th>Status</th><th>Started (UTC)</th><th class="c-ended">Ended</th><th>Duration</th></tr></thead>
<tbody>${executions.map((execution) => row(execution, now))}</tbody></table></div>`

const filters = (query: ListQuery, functions: ReadonlyArray<{ readonly name: string }>): Html =>
  html`<form class="filters" method="get" action="/console" id="filters">
<label>Function<select name="function"><option value="">all</option>${
    functions.map((fn) => html`<option value="${fn.name}"${query.function === fn.name ? html` selected` : ""}>${fn.name}</option>`)
  }${
    // A function no longer served (its executions stay listed): shown as chosen, not as "all".
    query.function === undefined || functions.some((fn) => fn.name === query.function)
      ? ""
      : html`<option value="${query.function}" selected>${query.function} (not served)</option>`
  }</select></label>
<label>Status<select name="status"><option value="">all</option><option value="${NOT_ENDED}"${query.status === NOT_ENDED ? html` selected` : ""}>not ended</option>${
    EXECUTION_STATUSES.map((status) => html`<option${query.status === status ? html` selected` : ""}>${status}</option>`)
  }${
    // Another list, from a link: shown as chosen, not as "all".
    query.status === undefined || query.status === NOT_ENDED || !query.status.includes(",") ? "" : html`<option selected>${query.status}</option>`
  }</select></label>
<label>Execution id<input name="id" size="24" placeholder="exact id" value="${query.id ?? ""}"></label>
<label>Started from (UTC)<input type="datetime-local" name="from" value="${query.from ?? ""}"></label>
<label>to (UTC)<input type="datetime-local" name="to" value="${query.to ?? ""}"></label>
<label>Ended from (UTC)<input type="datetime-local" name="endedFrom" value="${query.endedFrom ?? ""}"></label>
<label>to (UTC)<input type="datetime-local" name="endedTo" value="${query.endedTo ?? ""}"></label>
<label>Input contains<input name="input" size="16" placeholder="text" value="${query.input ?? ""}"></label>
<label>Version<input name="version" size="12" placeholder="label" value="${query.version ?? ""}"></label>
<button type="submit">Show</button> <a href="/console">Clear</a></form>`

export const listPage = async (api: ConsoleApi, query: ListQuery, streams = false): Promise<{ title: string; body: Html; status: 200 | 400 | 404 | 500; region?: Html; version?: string }> => {
  const now = Date.now()
  const functions = await api.functions()
  const head = html`<h1>Executions</h1>${filters(query, functions.ok ? functions.value : [])}`
  if (query.refused !== undefined) {
    return { title: "Executions", status: 400, body: html`${head}${problemNotice({ status: 400, title: "Bad Request", detail: `Not a filter the list takes: ${query.refused.join("; ")}.` })}` }
  }

  if (query.id !== undefined) {
    const found = await api.summary(query.id)
    if (!found.ok) {
      return {
        title: "Executions",
        status: found.problem.status === 404 ? 404 : 500,
        body: html`${head}${found.problem.status === 404 ? html`<p class="notice" id="empty">No execution has the id <span class="mono">${query.id}</span>.</p>` : problemNotice(found.problem)}`
      }
    }
    // The other filters still apply: a row they exclude shown under them read as a contradiction.
    const startedAt = millis(found.value.startedAt) ?? 0
    const endedAt = millis(found.value.endedAt)
    const excludedBy = [
      ...(query.function !== undefined && found.value.functionName !== query.function ? [`function ${query.function}`] : []),
      ...(query.status !== undefined && !query.status.split(",").includes(found.value.status) ? [`status ${query.status}`] : []),
      ...(query.version !== undefined && found.value.version !== query.version ? [`version ${query.version}`] : []),
      ...(query.from !== undefined && startedAt < Date.parse(isoOf(query.from)!) ? [`started from ${query.from}`] : []),
      ...(query.to !== undefined && startedAt >= Date.parse(endOf(query.to)) ? [`started to ${query.to}`] : []),
      ...(query.endedFrom !== undefined && (endedAt === undefined || endedAt < Date.parse(isoOf(query.endedFrom)!)) ? [`ended from ${query.endedFrom}`] : []),
      ...(query.endedTo !== undefined && (endedAt === undefined || endedAt >= Date.parse(endOf(query.endedTo))) ? [`ended to ${query.endedTo}`] : [])
    ]
    // The input search is the listing's: a lone execution's summary does not carry its input.
    if (excludedBy.length > 0) {
      return {
        title: "Executions",
        status: 200,
        body: html`${head}<p class="notice" id="empty">No executions match: <a class="mono" href="${executionHref(query.id)}">${query.id}</a> is ${found.value.functionName}, ${found.value.status}, not ${excludedBy.join(" or ")}.</p>`
      }
    }
    const inputIgnored = query.input === undefined ? "" : html`<p class="muted" id="input-ignored">The input search does not apply to an id.</p>`
    return { title: "Executions", status: 200, body: html`${head}${table([found.value], now, false)}${inputIgnored}` }
  }

  const page = await api.list({
    ...(query.function === undefined ? {} : { function: query.function }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.from === undefined ? {} : { startedAfter: isoOf(query.from)! }),
    ...(query.to === undefined ? {} : { startedBefore: endOf(query.to) }),
    ...(query.endedFrom === undefined ? {} : { endedAfter: isoOf(query.endedFrom)! }),
    ...(query.endedTo === undefined ? {} : { endedBefore: endOf(query.endedTo) }),
    ...(query.input === undefined ? {} : { input: query.input }),
    ...(query.version === undefined ? {} : { version: query.version }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    limit: PAGE_SIZE
  })
  if (!page.ok) return { title: "Executions", status: page.problem.status === 400 ? 400 : 500, body: html`${head}${problemNotice(page.problem)}` }
  const { cursor: _cursor, ...firstPage } = query
  const pager = html`<div class="pager">${query.cursor === undefined ? "" : html`<a href="${listHref(firstPage)}">« Newest</a>`}${
    page.value.nextCursor === undefined ? "" : html`<a id="older" href="${listHref({ ...query, cursor: page.value.nextCursor })}">Older »</a>`
  }</div>`
  const { id: _id, ...narrowed } = query
  const filtered = Object.keys(narrowed).length > 0
  const content = page.value.executions.length === 0 && !filtered
    ? howToStart(functions.ok ? functions.value : [])
    : html`${table(page.value.executions, now, page.value.nextCursor !== undefined)}${pager}`
  const options = { src: listLiveSrc(query), version: versionOf(JSON.stringify(page.value)), ...(streams ? { stream: listStream(query) } : {}) }
  return {
    title: "Executions",
    status: 200,
    // Later pages hold still: new executions would shift them under the reader.
    body: html`${head}${query.cursor === undefined ? live(content, options) : content}`,
    region: liveRegion(content, options),
    version: options.version
  }
}

/** Where the list's live region refreshes from: the same query. */
const listLiveSrc = (query: ListQuery): string => listHref(query).replace(/^\/console/, "/console/live")

/**
 * The lifecycle stream the list follows: its function's, every status (a change out of the filtered status moves a
 * row out too); a change that leaves the list as it was costs a 204.
 */
const listStream = (query: ListQuery): string =>
  query.function === undefined ? "/console/api/v1/events" : `/console/api/v1/events?function=${encodeURIComponent(query.function)}`

/** A short token for what the list shows (FNV-1a of its JSON): equal tokens, nothing to redraw. */
export const versionOf = (text: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(36)
}

/** The empty state: how to start a first execution. */
const howToStart = (functions: ReadonlyArray<{ readonly name: string }>): Html => {
  const name = functions[0]?.name ?? "<function>"
  return html`<div class="card" id="empty"><p><strong>No executions yet.</strong> Start one from the command line:</p>
<pre class="mono">reprise start ${name} --input '{}' --wait</pre>
<p>or over HTTP:</p><pre class="mono">curl -X POST "$REPRISE_URL/v1/functions/${encodeURIComponent(name)}/executions" -H 'content-type: application/json' -d '{"input":{}}'</pre>
${functions.length === 0 ? html`<p class="muted">This server registers no durable functions.</p>` : html`<p class="muted">Functions here: ${functions.map((fn) => fn.name).join(", ")}.</p>`}</div>`
}
