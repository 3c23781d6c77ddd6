/**
 * The management routes: functions, start (idempotent, optionally waiting for the end), describe, history,
 * list and stop. Every body and query is decoded with its Schema before the engine is asked anything.
 */
import { Duration, Effect, Option } from "effect"
import type { Hono } from "hono"
import { ExecutionClient, type ExecutionView, startWithKey } from "../engine/index.ts"
import type { ErrorObject } from "../log/events.ts"
import { HttpProblem } from "./problem.ts"
import { decodeWith, readJsonBody, readQuery } from "./read-body.ts"
import { EmptyBody, ExecutionName, HistoryQuery, ListQuery, StartBody, StartQuery, StopBody } from "./request-schemas.ts"
import { executionJson, summaryJson } from "./views.ts"

export interface RouteDeps {
  readonly respond: (request: Request, effect: Effect.Effect<Response, unknown, ExecutionClient>) => Promise<Response>
}

export const DEFAULT_HISTORY_PAGE = 100

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, "content-type": "application/json" } })

const executionPath = (executionId: string) => `/v1/executions/${encodeURIComponent(executionId)}`

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

const isRunning = (view: ExecutionView) => view.status === "RUNNING"

export const registerExecutionRoutes = (app: Hono, { respond }: RouteDeps): void => {
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
        const body = yield* readJsonBody(c.req.raw, StartBody)
        if (key !== undefined && body.executionName !== undefined && key !== body.executionName) {
          return yield* new HttpProblem({ kind: "invalid-request", detail: "The Idempotency-Key header and executionName differ; give one, or the same value" })
        }
        const name = body.executionName ?? key
        const engine = yield* ExecutionClient
        const request = { functionName: c.req.param("name"), ...("input" in body ? { input: body.input } : {}) }
        // A key is scoped to its function (keyed-start.ts): another function's execution under it is no conflict.
        const started = yield* (name === undefined ? engine.start(request) : startWithKey(engine, request, name))
        let view = yield* engine.describe(started.executionId)
        if (query.wait !== undefined && query.wait > 0 && isRunning(view)) {
          const ended = yield* engine.awaitEnd(started.executionId).pipe(Effect.timeoutOption(Duration.millis(query.wait * 1000)))
          view = Option.isSome(ended) ? ended.value : yield* engine.describe(started.executionId)
        }
        const status = query.wait !== undefined && isRunning(view) ? 202 : started.created ? 201 : 200
        return json(executionJson(view), status, {
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
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.version === undefined ? {} : { version: query.version }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor })
        })
        return json({ executions: page.items.map(summaryJson), ...(page.cursor === undefined ? {} : { nextCursor: page.cursor }) })
      })
    ))

  app.get("/v1/executions/:id", (c) =>
    respond(c.req.raw, ExecutionClient.use((engine) => Effect.map(engine.describe(c.req.param("id")), (view) => json(executionJson(view))))))

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
}
