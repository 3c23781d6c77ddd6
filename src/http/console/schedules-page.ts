/**
 * The schedules page: each schedule the server runs (docs/schedules.md) with its cron, its next tick, a start waiting
 * behind a running one (buffer-one), what it last started and what it skipped; and pause, resume and trigger, sent
 * through the console's proxy of the API's schedule routes (schedule-routes.ts). Schedules have no event stream, so
 * the region is fetched again every 2 s while the page is open (204 while nothing changed).
 */
import { html } from "hono/html"
import type { ScheduleJson } from "../schedule-routes.ts"
import type { ConsoleApi } from "./api-client.ts"
import { time } from "./format.ts"
import { type Html, live, liveRegion, relTime } from "./layout.ts"
import { executionHref, problemNotice, versionOf } from "./list-page.ts"

const LIVE_SRC = "/console/schedules/live"

const actionPath = (name: string, action: string) => `/console/api/v1/schedules/${encodeURIComponent(name)}/${action}`

const when = (iso: string | undefined, now: number): Html => (iso === undefined ? html`<span class="muted">-</span>` : html`${time(iso)} ${relTime(iso, now)}`)

const actions = (s: ScheduleJson): Html => {
  const hold = s.paused
    ? html`<form class="inline" data-api="${actionPath(s.name, "resume")}" data-kind="resume" data-done="Resumed"
 data-confirm="${`Resume schedule ${s.name}? Its next tick runs at its time; ticks missed while paused are not run.`}"><button type="submit">Resume</button></form>`
    : html`<form class="inline" data-api="${actionPath(s.name, "pause")}" data-kind="pause" data-done="Paused"
 data-confirm="${`Pause schedule ${s.name}? No tick starts until it is resumed; an execution already running goes on.`}"><button type="submit" class="plain">Pause</button></form>`
  return html`${hold}<form class="inline" data-api="${actionPath(s.name, "trigger")}" data-kind="trigger" data-done="Triggered"
 data-confirm="${`Start ${s.functionName} now, as a tick of ${s.name} would (its overlap policy applies)?`}"><button type="submit" class="plain">Trigger now</button></form>`
}

const row = (s: ScheduleJson, now: number): Html => {
  const skip = s.recentSkips.at(-1)
  return html`<tr data-schedule="${s.name}"><td class="mono">${s.name}${s.description === undefined ? "" : html`<div class="muted">${s.description}</div>`}</td>
<td class="mono"><a href="/console?function=${encodeURIComponent(s.functionName)}">${s.functionName}</a></td>
<td class="mono nw">${s.cron}${s.timezone === "UTC" ? "" : html` <span class="muted">(${s.timezone})</span>`}</td><td>${s.overlap}</td>
<td class="next">${s.paused ? html`<strong>paused</strong>` : when(s.nextTickAt, now)}${
    s.buffered === undefined ? "" : html`<div class="buffered">buffered: the tick of ${time(s.buffered.tickAt)}, after the running one</div>`
  }</td>
<td class="mono">${s.lastExecutionId === undefined ? html`<span class="muted">none yet</span>` : html`<a href="${executionHref(s.lastExecutionId)}">${s.lastExecutionId}</a>`}</td>
<td>${s.started}</td><td>${s.skipped}${skip === undefined ? "" : html` <span class="muted">(last: ${skip.count} ${skip.reason})</span>`}</td>
<td class="nw">${actions(s)}</td></tr>`
}

const table = (schedules: ReadonlyArray<ScheduleJson>, now: number): Html =>
  html`<div class="hscroll"><table id="schedules"><thead><tr><th>Schedule</th><th>Function</th><th>Cron</th><th>Overlap</th><th>Next tick</th>
<th>Last execution</th><th>Started</th><th>Skipped</th><th></th></tr></thead><tbody>${schedules.map((s) => row(s, now))}</tbody></table></div>`

export const schedulesPage = async (api: ConsoleApi): Promise<{ title: string; status: 200 | 500; body: Html; region?: Html; version?: string }> => {
  const head = html`<h1>Schedules</h1>`
  const schedules = await api.schedules()
  if (!schedules.ok) return { title: "Schedules", status: 500, body: html`${head}${problemNotice(schedules.problem)}` }
  if (schedules.value.length === 0) {
    return {
      title: "Schedules",
      status: 200,
      body: html`${head}<p class="muted" id="no-schedules">This server runs no schedules. Declare one with <span class="mono">schedule(name, { function, cron })</span> and pass it to the server (docs/schedules.md).</p>`
    }
  }
  const content = table(schedules.value, Date.now())
  const options = { src: LIVE_SRC, version: versionOf(JSON.stringify(schedules.value)) }
  return { title: "Schedules", status: 200, body: html`${head}${live(content, options)}`, region: liveRegion(content, options), version: options.version }
}
