/**
 * The management routes: functions, start (idempotent, optionally waiting for the end), describe (lean by default),
 * operations and history in pages, list (and search), pause, resume, stop, delete, fork and rewind, and the development aid
 * that fires a pending wait now. Every body and query is decoded with its Schema before the engine is asked anything.
 */
import { Duration, Effect, Option } from "effect"
import type { Hono } from "hono"
import { ExecutionClient, type ExecutionClientShape, isLiveStatus, type StartRequest, startWithKey } from "../engine/index.ts"
import type { ErrorObject } from "../log/events.ts"
import type { ExecutionStatus } from "../log/fold.ts"
import { abortedBy } from "./aborted-by.ts"
import { HttpProblem } from "./problem.ts"
import { decodeWith, readJsonBody, readQuery, wrapperHint } from "./read-body.ts"
import {
  EmptyBody,
  ExecutionName,
  ExecutionQuery,
  ForkBody,
  HistoryQuery,
  ListQuery,
  OperationsQuery,
  RewindBody,
  StartBody,
  jsonText,
  StartQuery,
  statusesOf,
  StopBody
} from "./request-schemas.ts"
import { executionJson, operationJson, summaryJson } from "./views.ts"

export interface RouteDeps {
  readonly respond: (request: Request, effect: Effect.Effect<Response, unknown, ExecutionClient>) => Promise<Response>
  /** Whether the development aids answer (AppOptions.devTools). */
  readonly devTools?: boolean
  /** Aborted when the server starts to shut down (AppOptions.closing): a start's `?wait` answers then. */
  readonly closing?: AbortSignal | undefined
}

export const DEFAULT_HISTORY_PAGE = 100

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json" } })

const executionPath = (executionId: string) => `/v1/executions/${encodeURIComponent(executionId)}`

/** A list's `status`: one is the store's own filter, several a merge of its listings (store/list-search.ts). */
const statusFilter = (status: string | undefined): { status?: ExecutionStatus; statuses?: ReadonlyArray<ExecutionStatus> } => {
  const statuses = status === undefined ? [] : statusesOf(status)
  return statuses.length === 0 ? {} : statuses.length === 1 ? { status: statuses[0]! } : { statuses }
}

const decodeKey = decodeWith(ExecutionName, "Idempotency-Key header")

/**
 * The `Idempotency-Key` header, as a bare token or as an RFC 8941 string (`"…"`, the IETF draft's form).
 * It must follow the execution name rule, because it becomes the execution id.
 */
const idempotencyKey = (header: string | undefined) =>
  Effect.gen(function*() {
    if (header === undefined) return undefined
    const key = /^"(.*)"$/.exec(header.trim())?.[1] ?? header.trim()
    return yield* decodeKey(key)
  })


/**
 * A start, then the execution's view after waiting up to `waitMs` for its end (`?wait`), over the plain client calls.
 * The wait ends early on a shutdown (`closing`: the client gets the execution as it stands, 202, not a cut
 * connection) or when the client has gone (the request's signal): its start-admission place is then freed at once,
 * not held for the rest of `?wait`. The signal is read only for a wait (Deno.serve warns when a request's is read).
 */
const startThenDescribe = (
  engine: ExecutionClientShape,
  request: StartRequest,
  key: string | undefined,
  waitMs: number,
  http: Request,
  closing?: AbortSignal
) =>
  Effect.gen(function*() {
    const started = yield* (key === undefined ? engine.start(request) : startWithKey(engine, request, key))
    let view = yield* engine.describe(started.executionId)
    if (waitMs > 0 && isLiveStatus(view.status)) {
      const waited = engine.awaitEnd(started.executionId).pipe(Effect.timeoutOption(Duration.millis(waitMs)))
      const giveUp = closing === undefined ? http.signal : AbortSignal.any([closing, http.signal])
      const ended = yield* Effect.raceFirst(waited, Effect.as(abortedBy(giveUp), Option.none()))
      view = Option.isSome(ended) ? ended.value : yield* engine.describe(started.executionId)
    }
    return { started, view }
  })

export const registerExecutionRoutes = (app: Hono, { closing, devTools, respond }: RouteDeps): void => {
  app.get("/v1/functions", (c) =>
    respond(
      c.req.raw,
      ExecutionClient.use((engine) =>
        Effect.succeed(json({
          functions: engine.functions
        }))
      )
    ))

  app.post("/v1/functions/:name/executions", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, StartQuery)
        const key = yield* idempotencyKey(c.req.header("idempotency-key"))
        const body = yield* readJsonBody(c.req.raw, StartBody, wrapperHint("input", "The execution's input", Object.keys(StartBody.fields)))
        if (key !== undefined && body.executionName !== undefined && key !== body.executionName) {
          return yield* new HttpProblem({ kind: "invalid-request", detail: "The Idempotency-Key header and executionName differ; give one, or the same value" })
        }
        const name = body.executionName ?? key
        const engine = yield* ExecutionClient
        const request = {
          functionName: c.req.param("name"),
          ...("input" in body ? { inputPayload: yield* jsonText(body.input, "input") } : {}),
          // W3C trace context: the execution's spans join the caller's trace (an invalid header is ignored, as the spec says).
          ...(c.req.header("traceparent") === undefined ? {} : { traceparent: c.req.header("traceparent")! }),
          ...(body.priority === undefined ? {} : { priority: body.priority })
        }
        // A key is scoped to its function (keyed-start.ts): another function's execution under it is no conflict.
        const waitMs = query.wait === undefined ? 0 : query.wait * 1000
        const { started, view } = yield* (engine.startAndDescribe === undefined
          ? startThenDescribe(engine, request, name, waitMs, c.req.raw, closing)
          : name === undefined
          ? engine.startAndDescribe(request, waitMs)
          : startWithKey(engine, request, name, (keyed) => engine.startAndDescribe!(keyed, waitMs)))
        const status = query.wait !== undefined && isLiveStatus(view.status) ? 202 : started.created ? 201 : 200
        return json(executionJson(view, query.operations === "true"), status, {
          location: executionPath(started.executionId),
          ...(started.created ? {} : { "idempotent-replayed": "true" })
        })
      })
    ))

  app.get("/v1/executions", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, ListQuery)
        const engine = yield* ExecutionClient
        const page = yield* engine.list({
          ...(query.function === undefined ? {} : { functionName: query.function }),
          ...statusFilter(query.status),
          ...(query.version === undefined ? {} : { version: query.version }),
          ...(query.startedAfter === undefined ? {} : { startedAfter: query.startedAfter }),
          ...(query.startedBefore === undefined ? {} : { startedBefore: query.startedBefore }),
          ...(query.endedAfter === undefined ? {} : { endedAfter: query.endedAfter }),
          ...(query.endedBefore === undefined ? {} : { endedBefore: query.endedBefore }),
          ...(query.input === undefined ? {} : { inputContains: query.input }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor })
        })
        return json({ executions: page.items.map(summaryJson), ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) })
      })
    ))

  // The summary and operation counts; the operations only when asked for (they can be thousands).
  app.get("/v1/executions/:id", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, ExecutionQuery)
        const engine = yield* ExecutionClient
        return json(executionJson(yield* engine.describe(c.req.param("id")), query.operations === "true"))
      })
    ))

  // The operations in pages, in the order they began (the plain answer has only their counts).
  app.get("/v1/executions/:id/operations", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, OperationsQuery)
        const view = yield* (yield* ExecutionClient).describe(c.req.param("id"))
        const from = query.cursor ?? 0
        const to = from + (query.limit ?? DEFAULT_HISTORY_PAGE)
        const operations = view.operations.slice(from, to).map((op) => operationJson(op, view.endedAt))
        return json({ executionId: view.executionId, operations, ...(to < view.operations.length ? { nextCursor: String(to) } : {}) })
      })
    ))

  app.get("/v1/executions/:id/history", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, HistoryQuery)
        const engine = yield* ExecutionClient
        const executionId = c.req.param("id")
        const after = query.cursor ?? 0
        const limit = query.limit ?? DEFAULT_HISTORY_PAGE
        // One event beyond the page says whether another follows; filtered again for a client that pages less.
        const events = (yield* engine.history(executionId, { after, limit: limit + 1 })).filter((event) => event.seq > after)
        const page = events.slice(0, limit)
        const last = page.at(-1)
        const more = last !== undefined && events.length > limit
        return json({ executionId, events: page, ...(more ? { nextCursor: String(last.seq) } : {}) })
      })
    ))

  // Pause and resume take no body (or `{}`) and answer with the execution as it is then.
  for (const action of ["pause", "resume"] as const) {
    app.post(`/v1/executions/:id/${action}`, (c) =>
      respond(
        c.req.raw,
        Effect.gen(function*() {
          yield* readJsonBody(c.req.raw, EmptyBody)
          const engine = yield* ExecutionClient
          const executionId = c.req.param("id")
          yield* (action === "pause" ? engine.pause(executionId) : engine.resume(executionId))
          return json(executionJson(yield* engine.describe(executionId)))
        })
      ))
  }

  // Development only: a pending wait succeeds now; the answer is the execution as it is then.
  app.post("/v1/executions/:id/timers/:operationId/fire", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const engine = yield* ExecutionClient
        // Said first where no setting could help (the Worker's and Lambda's clients cannot fire a timer).
        if (engine.fireTimer === undefined) return yield* new HttpProblem({ kind: "dev-only", detail: "This runtime cannot fire a timer early" })
        if (devTools !== true) {
          return yield* new HttpProblem({ kind: "dev-only", detail: "Firing a timer early is a development aid: use reprise dev, or start the server with REPRISE_DEV_TOOLS=1" })
        }
        yield* readJsonBody(c.req.raw, EmptyBody)
        const executionId = c.req.param("id")
        yield* engine.fireTimer(executionId, c.req.param("operationId"))
        return json(executionJson(yield* engine.describe(executionId)))
      })
    ))

  app.post("/v1/executions/:id/stop", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const body = yield* readJsonBody(c.req.raw, StopBody)
        const error: ErrorObject | undefined = body.error === undefined ? undefined : {
          errorType: body.error.errorType ?? "Stopped",
          errorMessage: body.error.errorMessage,
          ...(body.error.errorData === undefined ? {} : { errorData: body.error.errorData })
        }
        const engine = yield* ExecutionClient
        const executionId = c.req.param("id")
        yield* engine.stop(executionId, error, body.children === undefined ? undefined : { children: body.children })
        return json(executionJson(yield* engine.describe(executionId)))
      })
    ))

  // An ended execution deleted now, as its retention would (through its actor); 204, as a callback's completion.
  app.delete("/v1/executions/:id", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const engine = yield* ExecutionClient
        if (engine.delete === undefined) {
          return yield* new HttpProblem({
            kind: "not-implemented",
            detail: "This runtime cannot delete an execution: its history is kept by a service that has no delete (on AWS Lambda, until the execution's retention period ends)"
          })
        }
        yield* engine.delete(c.req.param("id"))
        return new Response(null, { status: 204 })
      })
    ))

  // Fork answers 201 with the new execution; rewind with the execution as it is once it runs again.
  app.post("/v1/executions/:id/fork", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const body = yield* readJsonBody(c.req.raw, ForkBody)
        const engine = yield* ExecutionClient
        const forked = yield* engine.fork(c.req.param("id"), { fromOperation: body.fromOperation, ...("input" in body ? { inputPayload: yield* jsonText(body.input, "input") } : {}) })
        return json(executionJson(yield* engine.describe(forked.executionId)), 201, { location: executionPath(forked.executionId) })
      })
    ))

  app.post("/v1/executions/:id/rewind", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const body = yield* readJsonBody(c.req.raw, RewindBody)
        const engine = yield* ExecutionClient
        const executionId = c.req.param("id")
        yield* engine.rewind(executionId, { fromOperation: body.fromOperation })
        return json(executionJson(yield* engine.describe(executionId)))
      })
    ))
}
