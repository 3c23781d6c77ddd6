/**
 * The console at /console: server-rendered pages over the app's own JSON API, with a small inline script for live
 * refresh and actions. It uses nothing but Hono and Web APIs, so it runs wherever the app runs.
 *
 * Auth, when the app has an API key: the pages render data server-side, so they are behind a session (see
 * session.ts), opened by typing the API key into /console/login. Without a session a page answers 401 with the
 * login form, and the action routes 401 problem+json. Without an API key (local development) the console is open,
 * like /v1.
 *
 * Bodies are held to the API's limit by the app's body limit (app.ts), which runs before these routes.
 *
 * Live updates: each page with a live region follows one of the API's Server-Sent Events streams through
 * `GET /console/api/v1/executions/:id/events` or `GET /console/api/v1/events` (the API's streams, with the API key
 * added), and fetches its region again when an event says it changed (client-script.ts).
 *
 * Actions go through `POST /console/api/v1/...`, a proxy of exactly these JSON API routes (start, stop, pause, resume,
 * fork, rewind, delete (posted to `…/:id/delete`, sent on as `DELETE /v1/executions/:id`), callback succeed/fail/heartbeat, a schedule's pause/resume/trigger, and, refused unless the app has
 * devTools, firing a pending wait now)
 * that adds the API key; bodies and answers are the API's own.
 */
import type { Context, Hono } from "hono"
import { html } from "hono/html"
import { problemResponse } from "../problem.ts"
import { makeConsoleApi } from "./api-client.ts"
import { executionPage } from "./execution-page.ts"
import { functionsPage } from "./functions-page.ts"
import { schedulesPage } from "./schedules-page.ts"
import { fragment, type Html, page, unchanged } from "./layout.ts"
import { listPage, listQuery } from "./list-page.ts"
import { FORM_FIELD, formToken, formTokenValid, postedForm } from "./form-token.ts"
import { makeLoginThrottle } from "./login-throttle.ts"
import { CONSOLE_HEADER, makeSessions, safeNext } from "./session.ts"

export interface ConsoleOptions {
  readonly apiKey?: string | undefined
  /** Whose failed logins count together (login-throttle.ts); undefined: everyone's. */
  readonly clientAddress?: ((c: Context) => string | undefined) | undefined
  /** Mixed into the session-signing key: changing it revokes every session (session.ts). */
  readonly sessionSecret?: string | undefined
  /** Development aids on the pages (AppOptions.devTools): a "Fire now" button on a pending wait. */
  readonly devTools?: boolean | undefined
  /**
   * Whether the live updates come over the API's event streams (default). False where the platform sends a response
   * only once it is complete (AppOptions.bufferedResponses): the pages then poll every 2 s instead.
   */
  readonly streams?: boolean | undefined
}

const loginForm = (c: Context, next: string, failed: boolean | string): Html =>
  html`<div class="card" id="login"><h1>Log in</h1>
<p>This server requires its API key (<span class="mono">REPRISE_API_KEY</span>). It is checked once; the session cookie lasts 12 hours.</p>
${failed === false ? "" : html`<p class="notice error" id="login-error">${failed === true ? "That key is not valid." : failed}</p>`}
<form method="post" action="/console/login"><input type="hidden" name="next" value="${next}"><input type="hidden" name="${FORM_FIELD}" value="${formToken(c).token}">
<input type="password" name="key" size="40" autocomplete="current-password" aria-label="API key" placeholder="API key" autofocus>
<button type="submit">Log in</button></form></div>`

/** The login page again, saying when to try (a 429 a browser shows as a page, not as a JSON document). */
const tooManyLogins = async (c: Context, next: string, seconds: number) => {
  const response = await page(c, {
    title: "Log in",
    auth: "login",
    status: 429,
    body: loginForm(c, next, `Too many wrong keys from this address: try again in ${seconds} s.`)
  })
  response.headers.set("retry-after", String(seconds))
  return response
}

const badFormToken = (c: Context) =>
  problemResponse("cross-site-request", "The form's token does not match its cookie: reload the console and try again", c.req.path)

const unreadableForm = (c: Context) =>
  problemResponse("invalid-request", "The body cannot be read as a form (application/x-www-form-urlencoded or multipart/form-data)", c.req.path)

const requestPath = (c: Context): string => {
  const url = new URL(c.req.url)
  return url.pathname + url.search
}

export const registerConsole = (app: Hono, options: ConsoleOptions): void => {
  const api = makeConsoleApi(app, options.apiKey)
  const sessions = options.apiKey === undefined ? undefined : makeSessions(options.apiKey, options.sessionSecret)
  const throttle = makeLoginThrottle()
  const auth = sessions === undefined ? "off" : "on"
  const streams = options.streams !== false
  const pageOptions = (c: Context) => {
    const url = new URL(c.req.url)
    return { origin: url.origin, params: url.searchParams, devTools: options.devTools === true, streams }
  }

  app.get("/console/login", async (c) =>
    sessions === undefined
      ? c.redirect("/console", 303)
      : page(c, { title: "Log in", auth: "login", body: loginForm(c, safeNext(c.req.query("next")), false) }))

  app.post("/console/login", async (c) => {
    if (sessions === undefined) return c.redirect("/console", 303)
    const form = await postedForm(c)
    if (form === undefined) return unreadableForm(c)
    const next = safeNext(form.next)
    if (!(await formTokenValid(c, form[FORM_FIELD]))) {
      // A page a browser shows (the form went stale, or came from elsewhere), with a fresh form; no key was checked.
      return page(c, { title: "Log in", auth: "login", status: 403, body: loginForm(c, next, "The form had expired: enter the key again.") })
    }
    const address = options.clientAddress?.(c) ?? "*"
    const waitMs = throttle.retryAfterMs(address)
    if (waitMs > 0) return tooManyLogins(c, next, Math.ceil(waitMs / 1000))
    if (typeof form.key !== "string" || !(await sessions.keyMatches(form.key))) {
      throttle.failed(address)
      return page(c, { title: "Log in", auth: "login", status: 401, body: loginForm(c, next, true) })
    }
    throttle.succeeded(address)
    await sessions.open(c)
    return c.redirect(next, 303)
  })

  app.post("/console/logout", async (c) => {
    const form = await postedForm(c)
    if (form === undefined) return unreadableForm(c)
    if (!(await formTokenValid(c, form[FORM_FIELD]))) return badFormToken(c)
    sessions?.close(c)
    return c.redirect(sessions === undefined ? "/console" : "/console/login", 303)
  })

  // Everything below needs a session when there is an API key.
  app.use("/console/*", async (c, next) => {
    if (sessions === undefined || (await sessions.valid(c))) return next()
    if (c.req.path.startsWith("/console/api/")) {
      return problemResponse("unauthorized", "Log in to the console first (/console/login)", c.req.path)
    }
    return page(c, { title: "Log in", auth: "login", status: 401, body: loginForm(c, safeNext(requestPath(c)), false) })
  })

  app.get("/console", async (c) => {
    const { body, status, title } = await listPage(api, listQuery(c), streams)
    return page(c, { title, body, status, auth })
  })
  app.get("/console/", (c) => c.redirect("/console", 301))
  app.get("/console/live", async (c) => {
    const { region, version } = await listPage(api, listQuery(c), streams)
    return region === undefined || version === c.req.query("since") ? unchanged() : fragment(region)
  })

  app.get("/console/functions", async (c) => {
    const { body, status, title } = await functionsPage(api)
    return page(c, { title, body, status, auth })
  })

  app.get("/console/schedules", async (c) => {
    const { body, status, title } = await schedulesPage(api)
    return page(c, { title, body, status, auth })
  })
  app.get("/console/schedules/live", async (c) => {
    const { region, version } = await schedulesPage(api)
    return region === undefined || version === c.req.query("since") ? unchanged() : fragment(region)
  })

  app.get("/console/executions/:id", async (c) => {
    const { body, status, title } = await executionPage(api, c.req.param("id"), pageOptions(c))
    return page(c, { title, body, status, auth })
  })

  app.get("/console/executions/:id/live", async (c) => {
    const id = c.req.param("id")
    const since = Number(c.req.query("since"))
    if (Number.isSafeInteger(since) && since > 0) {
      const changed = await api.changedSince(id, since)
      if (changed.ok && !changed.value) return unchanged()
    }
    const { region } = await executionPage(api, id, pageOptions(c))
    return region === undefined ? unchanged() : fragment(region)
  })

  // The live updates' streams: the API's own (event-stream-routes.ts, lifecycle-stream-routes.ts) behind the session,
  // with the API key added; EventSource sends Last-Event-ID itself when it reconnects.
  app.get("/console/api/v1/executions/:id/events", (c) => {
    const cursor = c.req.query("cursor")
    const query = cursor === undefined ? "" : `?cursor=${encodeURIComponent(cursor)}`
    return api.stream(`/v1/executions/${encodeURIComponent(c.req.param("id"))}/events${query}`, c.req.header("last-event-id"))
  })
  app.get("/console/api/v1/events", (c) => {
    const params = new URLSearchParams()
    for (const key of ["function", "status"]) {
      const value = c.req.query(key)
      if (value !== undefined) params.set(key, value)
    }
    const query = params.toString()
    return api.stream(`/v1/events${query === "" ? "" : `?${query}`}`, undefined)
  })

  const forward = async (c: Context, path: string, method: "POST" | "DELETE" = "POST") => {
    if (c.req.header(CONSOLE_HEADER) !== "1") {
      return problemResponse("invalid-request", `Console actions need the ${CONSOLE_HEADER} header`, c.req.path)
    }
    return method === "DELETE" ? api.forward(method, path, undefined, undefined) : api.forward(method, path, await c.req.text(), c.req.header("content-type"))
  }
  // Start (the functions page, rerun): the API's own start route, so the same validation, limits and engine start.
  app.post("/console/api/v1/functions/:name/executions", (c) =>
    forward(c, `/v1/functions/${encodeURIComponent(c.req.param("name"))}/executions`))
  // The API refuses it (403) unless the app has devTools.
  app.post("/console/api/v1/executions/:id/timers/:operationId/fire", (c) =>
    forward(c, `/v1/executions/${encodeURIComponent(c.req.param("id"))}/timers/${encodeURIComponent(c.req.param("operationId"))}/fire`))
  app.post("/console/api/v1/executions/:id/:action{stop|pause|resume|fork|rewind}", (c) =>
    forward(c, `/v1/executions/${encodeURIComponent(c.req.param("id"))}/${c.req.param("action")}`))
  // Delete is posted as every action (the header and JSON a cross-site page cannot send); the API's route is a DELETE.
  app.post("/console/api/v1/executions/:id/delete", (c) => forward(c, `/v1/executions/${encodeURIComponent(c.req.param("id"))}`, "DELETE"))
  app.post("/console/api/v1/schedules/:name/:action{pause|resume|trigger}", (c) =>
    forward(c, `/v1/schedules/${encodeURIComponent(c.req.param("name"))}/${c.req.param("action")}`))
  app.post("/console/api/v1/callbacks/:callbackId/:action{succeed|fail|heartbeat}", (c) =>
    forward(c, `/v1/callbacks/${encodeURIComponent(c.req.param("callbackId"))}/${c.req.param("action")}`))

  // A console page that does not exist is a page saying so, with the way back (the API's own paths keep problem+json).
  app.get("/console/*", async (c, next) => {
    if (c.req.path.startsWith("/console/api/")) return next()
    return page(c, {
      title: "Not found",
      auth,
      status: 404,
      body: html`<div class="card"><h1>Not found</h1><p class="notice error">The console has no page <span class="mono">${c.req.path}</span>.</p><p><a href="/console">Back to the executions</a></p></div>`
    })
  })
}
