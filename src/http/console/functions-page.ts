/**
 * The functions page: every registered function with its description, its most recent executions and a form to
 * start one (start-form.ts).
 */
import { html } from "hono/html"
import type { ConsoleApi } from "./api-client.ts"
import { STATUS_CLASSES, time } from "./format.ts"
import { type Html, relTime, statusBadge } from "./layout.ts"
import { executionHref, problemNotice } from "./list-page.ts"
import { startForm } from "./start-form.ts"

/** How many recent executions each function shows. */
export const RECENT_EXECUTIONS = 5

interface FunctionInfo {
  readonly name: string
  readonly description?: string
}

const card = async (api: ConsoleApi, fn: FunctionInfo, now: number): Promise<Html> => {
  const recent = await api.list({ function: fn.name, limit: RECENT_EXECUTIONS })
  const all = `/console?function=${encodeURIComponent(fn.name)}`
  return html`<section class="card fn" data-function="${fn.name}"><h2 class="mono">${fn.name}</h2>
${fn.description === undefined ? html`<p class="muted">No description.</p>` : html`<p class="description">${fn.description}</p>`}
<h3>Recent executions</h3>${
    !recent.ok
      ? problemNotice(recent.problem)
      : recent.value.executions.length === 0
      ? html`<p class="muted recent-empty">None yet.</p>`
      : html`<table class="recent"><tbody>${
        recent.value.executions.map((e) =>
          html`<tr data-execution-id="${e.executionId}"><td class="mono"><a href="${executionHref(e.executionId)}">${e.executionId}</a></td>
<td>${statusBadge(e.status, STATUS_CLASSES)}</td><td>${time(e.startedAt)} ${relTime(e.startedAt, now)}</td></tr>`
        )
      }</tbody></table><p><a href="${all}">All executions of ${fn.name} »</a></p>`
  }
<h3>Start an execution</h3>${startForm(fn.name, { button: `Start ${fn.name}` })}</section>`
}

export const functionsPage = async (api: ConsoleApi): Promise<{ title: string; status: 200 | 500; body: Html }> => {
  const head = html`<h1>Functions</h1>`
  const functions = await api.functions()
  if (!functions.ok) return { title: "Functions", status: 500, body: html`${head}${problemNotice(functions.problem)}` }
  if (functions.value.length === 0) {
    return { title: "Functions", status: 200, body: html`${head}<p class="muted" id="no-functions">This server registers no durable functions.</p>` }
  }
  const now = Date.now()
  const cards = await Promise.all(functions.value.map((fn) => card(api, fn, now)))
  return { title: "Functions", status: 200, body: html`${head}<div id="functions">${cards}</div>` }
}
