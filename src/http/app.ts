/**
 * The Hono app of docs/design.md §10, served by every adapter. It runs engine effects through the runner it is
 * given (a runtime that provides the ExecutionClient), so it holds no state of its own and works on any runtime with `fetch`.
 */
import { Hono } from "hono"
import { HTTPException } from "hono/http-exception"
import { methodNotAllowed } from "hono/method-not-allowed"
import { type AllowedHosts, allowedHosts } from "./allowed-hosts.ts"
import { bearerAuth } from "./bearer-auth.ts"
import { bodyLimit } from "./body-limit.ts"
import { registerCallbackRoutes } from "./callback-routes.ts"
import { type ClientAddress, socketAddress } from "./client-address.ts"
import { CONSOLE_FORM_PATHS } from "./console/form-token.ts"
import { registerConsole } from "./console/index.ts"
import { crossSite } from "./cross-site.ts"
import { defaultErrorReporter, type EngineRunner, type ErrorReporter, makeResponder, redactingReporter } from "./engine-runner.ts"
import { registerEventStreamRoutes } from "./event-stream-routes.ts"
import { registerExecutionRoutes } from "./execution-routes.ts"
import { registerLifecycleStreamRoutes } from "./lifecycle-stream-routes.ts"
import { executionIdPath } from "./execution-id-path.ts"
import { cancelHeadBodies } from "./head-requests.ts"
import { openApiDocument } from "./openapi.ts"
import { registerScheduleRoutes } from "./schedule-routes.ts"
import { problemResponse } from "./problem.ts"
import { DEFAULT_MAX_BODY_BYTES, tooLarge } from "./read-body.ts"
import { requireJson } from "./require-json.ts"
import { type StartAdmission, startAdmission } from "./start-admission.ts"

export interface AppOptions {
  /** Runs the engine's effects: a runtime providing ExecutionClient, or anything with the same `runPromiseExit`. */
  readonly runtime: EngineRunner
  /**
   * When set, every /v1 route except the callback routes needs `Authorization: Bearer <apiKey>`.
   * Unset: no auth (local development; the adapter should say so when it starts).
   */
  readonly apiKey?: string | undefined
  /** The largest request body accepted, in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number
  /** Receives every server-side failure (500s) for logging; default: a JSON line on stderr (engine-runner.ts). */
  readonly onError?: ErrorReporter
  /**
   * The names the server is reached by, checked against the Host header against DNS rebinding (allowed-hosts.ts):
   * `localhost` and IP literals always pass; add the bound hostname and any public name. "any" skips the check,
   * for platforms that route by host themselves (Workers, Lambda). Default: none beyond those always allowed.
   */
  readonly allowedHosts?: AllowedHosts | "any"
  /** The client's address, for the console's login throttle (default: the Node socket's, see client-address.ts). */
  readonly clientAddress?: ClientAddress
  /**
   * Mixed into the key that signs console sessions (with the API key): change it to log every console session out
   * without changing the API key. Changing the API key does too. Default: none, which leaves a session cookie a way to
   * test guesses of the API key offline; the servers pass a random secret of theirs (src/host/host-secrets.ts).
   */
  readonly consoleSessionSecret?: string | undefined
  /**
   * Development aids: `POST /v1/executions/:id/timers/:operationId/fire` (a pending wait succeeds now) and its
   * console button. Off by default (a 403 problem); `reprise dev` turns them on, as does $REPRISE_DEV_TOOLS=1 on a host.
   */
  readonly devTools?: boolean | undefined
  /**
   * True where the platform sends a response only once it is complete (Lambda behind hono/aws-lambda's `handle`):
   * an event stream would arrive all at once at its end, so each stream response is a long poll (it ends once it
   * has sent what there was, or after 20 s; clients reconnect with Last-Event-ID) and the console's live updates
   * poll instead. Default false.
   */
  readonly bufferedResponses?: boolean | undefined
  /** How many starts are served at once and how many may wait; past that a start gets 503 (start-admission.ts). */
  readonly admission?: StartAdmission | undefined
  /**
   * Aborted when the server begins to shut down: open event streams end at once (their clients reconnect with
   * Last-Event-ID), so that a shutdown that waits for open requests is not held until their `maxSeconds`.
   */
  readonly closing?: AbortSignal | undefined
}

/**
 * Callback routes are capabilities (see callback-routes.ts), so they pass without the API key; so does the API's
 * description, which holds nothing but what the routes accept.
 */
const isOpenRoute = (path: string) => path.startsWith("/v1/callbacks/") || path === OPENAPI_PATH

const OPENAPI_PATH = "/v1/openapi.json"

/** A GET of a function's start route most likely wanted its executions: say where they are listed. */
const listingHint = (method: string, path: string): string => {
  const name = method === "GET" ? /^\/v1\/functions\/([^/]+)\/executions\/?$/.exec(path)?.[1] : undefined
  return name === undefined ? "" : ` (POST starts an execution); its executions are listed by GET /v1/executions?function=${name}`
}

export const createApp = (options: AppOptions): Hono => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new TypeError("maxBodyBytes must be a positive integer")
  const onError = redactingReporter(options.onError ?? defaultErrorReporter)
  const respond = makeResponder(options.runtime, onError)
  const app = new Hono()

  app.use(cancelHeadBodies()) // outermost: it sees the body every other answer to a HEAD would leave running
  // First the Host (DNS rebinding), then where a write comes from: both before anything else is looked at.
  if (options.allowedHosts !== "any") app.use(allowedHosts(options.allowedHosts ?? []))
  app.use(crossSite())
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      problemResponse("method-not-allowed", `${c.req.method} is not allowed here; use ${methods.join(", ")}${listingHint(c.req.method, c.req.path)}`, c.req.path, {
        allow: methods.join(", ")
      })
  }))
  if (options.apiKey !== undefined) app.use("/v1/*", bearerAuth({ apiKey: options.apiKey, exempt: isOpenRoute }))
  app.use(requireJson({ exempt: (path) => CONSOLE_FORM_PATHS.has(path) }))
  // After auth, so that a request without a key is a 401 whatever its size. It checks Content-Length first and
  // counts a body without one as it streams in (body-limit.ts), so the routes read bodies already known to fit.
  app.use(bodyLimit({ maxSize: maxBodyBytes, onError: (c) => tooLarge(maxBodyBytes, c.req.path) }))

  app.use("/v1/functions/:name/executions", startAdmission(options.admission))
  app.use("/v1/executions/:id", executionIdPath())
  app.use("/v1/executions/:id/*", executionIdPath())
  app.get("/healthz", (c) => c.json({ status: "ok" }))
  app.get("/", (c) => c.redirect("/console", 302)) // a browser pointed at the server lands in the console
  app.get(OPENAPI_PATH, (c) => c.json(openApiDocument()))
  registerExecutionRoutes(app, { respond, devTools: options.devTools === true, closing: options.closing })
  registerEventStreamRoutes(app, { respond }, options.bufferedResponses === true, options.closing)
  registerLifecycleStreamRoutes(app, { respond }, options.bufferedResponses === true, options.closing)
  registerCallbackRoutes(app, { respond })
  registerScheduleRoutes(app, { respond })
  registerConsole(app, {
    apiKey: options.apiKey,
    clientAddress: options.clientAddress ?? socketAddress,
    sessionSecret: options.consoleSessionSecret,
    devTools: options.devTools === true,
    streams: options.bufferedResponses !== true
  }) // the web console at /console (src/http/console)

  app.notFound((c) => problemResponse("not-found", `No route ${c.req.method} ${c.req.path}`, c.req.path))
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse() // bearerAuth's 401s, already problem+json
    onError(error, c.req.raw)
    return problemResponse("internal-error", "An unexpected error occurred; it has been logged", c.req.path)
  })
  return app
}
