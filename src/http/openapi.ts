/**
 * The OpenAPI 3.1 description of the HTTP API, served at /v1/openapi.json. Request bodies, query parameters and the
 * Idempotency-Key header are generated from the very Schemas that validate them (request-schemas.ts), so the
 * description cannot drift from what the routes accept; a test checks its paths against the app's routes.
 */
import { Schema } from "effect"
import {
  CallbackFailureBody,
  CallbackSuccessBody,
  EmptyBody,
  ForkBody,
  RewindBody,
  EventsQuery,
  ExecutionName,
  ExecutionQuery,
  HistoryQuery,
  LifecycleQuery,
  ListQuery,
  OperationsQuery,
  StartBody,
  StartQuery,
  StopBody
} from "./request-schemas.ts"

type Json = Record<string, unknown>

const jsonSchema = (schema: Schema.Constraint, onExcessProperty: "ignore" | "error" = "error"): Json =>
  Schema.toJsonSchemaDocument(schema, { onExcessProperty, generateDescriptions: true }).schema as Json

const queryParameters = (query: Schema.Struct<Schema.Struct.Fields>): Array<Json> =>
  Object.entries(query.fields).map(([name, field]) => ({
    name,
    in: "query",
    required: false, // every query parameter of this API is optional
    schema: jsonSchema(field)
  }))

const pathParameter = (name: string, description: string): Json => ({ name, in: "path", required: true, schema: { type: "string" }, description })

const body = (schema: Schema.Constraint, description: string, required = false): Json => ({
  required,
  description,
  content: { "application/json": { schema: jsonSchema(schema) } }
})

const PROBLEM = {
  description: "An error, as application/problem+json (RFC 9457) with a stable `type`",
  content: {
    "application/problem+json": {
      schema: {
        type: "object",
        required: ["type", "title", "status", "detail"],
        properties: { type: { type: "string" }, title: { type: "string" }, status: { type: "integer" }, detail: { type: "string" }, instance: { type: "string" } }
      }
    }
  }
}

const ok = (description: string): Json => ({ description, content: { "application/json": { schema: { type: "object" } } } })
const noContent = { description: "Done" }
const errors = (...statuses: ReadonlyArray<number>): Json => Object.fromEntries(statuses.map((status) => [String(status), PROBLEM]))

/** What the name pattern alone does not say (the schema's filters are not JSON Schema). */
const RESERVED_NAMES = "A name holding ':invoke:', or ending in ':' and an ISO time (2026-01-05T01:00:00Z), is refused (400): the engine names invoked children and schedule ticks so."
const executionId = pathParameter("id", "The execution id")
const callbackId = pathParameter("callbackId", "The callback id the function handed out (a capability: no API key needed)")
const scheduleName = pathParameter("name", "The schedule name")
/** The schedule actions take no body, but as every POST they need Content-Type: application/json (415 otherwise). */
const SCHEDULE_BODY = body(EmptyBody, "Nothing, or {} (with Content-Type: application/json, as every POST)")
const bearer = [{ bearer: [] }]

/** Every route of the API: method, OpenAPI path, operation. The test compares these with the app's own routes. */
export const API_OPERATIONS: ReadonlyArray<{ readonly method: string; readonly path: string; readonly operation: Json }> = [
  { method: "get", path: "/healthz", operation: { operationId: "health", summary: "Liveness", security: [], responses: { "200": ok("{ status: \"ok\" }") } } },
  { method: "get", path: "/v1/openapi.json", operation: { operationId: "openapi", summary: "This description", security: [], responses: { "200": ok("The OpenAPI document") } } },
  { method: "get", path: "/v1/functions", operation: { operationId: "listFunctions", summary: "The functions that can be started", responses: { "200": ok("{ functions: [{ name, description? }] }"), ...errors(401) } } },
  {
    method: "post",
    path: "/v1/functions/{name}/executions",
    operation: {
      operationId: "startExecution",
      summary: "Start an execution (idempotent with executionName or Idempotency-Key); with ?wait, wait for its end",
      parameters: [
        pathParameter("name", "The function's name"),
        ...queryParameters(StartQuery),
        { name: "Idempotency-Key", in: "header", required: false, schema: jsonSchema(ExecutionName), description: `Scoped to the function: the execution id when free, else <key>~<function> (a bare token or an RFC 8941 string). ${RESERVED_NAMES}` }
      ],
      requestBody: body(StartBody, `The input (any JSON value) and an optional execution name. ${RESERVED_NAMES}`),
      responses: { "200": ok("The execution, which already existed"), "201": ok("The execution, created"), "202": ok("Still running after ?wait"), ...errors(400, 401, 404, 409, 413, 415, 429, 503) }
    }
  },
  {
    method: "get",
    path: "/v1/events",
    operation: {
      operationId: "streamLifecycle",
      summary: "Every execution's lifecycle changes (started, paused, resumed, ended) as they happen, as Server-Sent Events; live, no cursor",
      parameters: queryParameters(LifecycleQuery),
      responses: {
        "200": { description: "text/event-stream: `event` lifecycle, `data` { executionId, functionName, status, event, at, seq? } (no seq where the changes come from polling the listing: Workers, Lambda)", content: { "text/event-stream": { schema: { type: "string" } } } },
        ...errors(400, 401)
      }
    }
  },
  { method: "get", path: "/v1/executions", operation: { operationId: "listExecutions", summary: "Executions, newest first", parameters: queryParameters(ListQuery), responses: { "200": ok("{ executions, nextCursor? }"), ...errors(400, 401) } } },
  {
    method: "get",
    path: "/v1/executions/{id}",
    operation: {
      operationId: "getExecution",
      summary: "One execution: status, input, result or error, and its operations' counts by status and type; ?operations=true adds the operations",
      parameters: [executionId, ...queryParameters(ExecutionQuery)],
      responses: { "200": ok("{ executionId, functionName, version?, status, input?, result?, error?, startedAt, endedAt?, operationCounts, operations? }"), ...errors(400, 401, 404) }
    }
  },
  {
    method: "get",
    path: "/v1/executions/{id}/operations",
    operation: {
      operationId: "getOperations",
      summary: "The execution's operations (without payloads), in pages, in the order they began",
      parameters: [executionId, ...queryParameters(OperationsQuery)],
      responses: { "200": ok("{ executionId, operations, nextCursor? }"), ...errors(400, 401, 404) }
    }
  },
  {
    method: "get",
    path: "/v1/executions/{id}/history",
    operation: { operationId: "getHistory", summary: "The execution's events, in pages", parameters: [executionId, ...queryParameters(HistoryQuery)], responses: { "200": ok("{ executionId, events, nextCursor? }"), ...errors(400, 401, 404) } }
  },
  {
    method: "get",
    path: "/v1/executions/{id}/events",
    operation: {
      operationId: "streamEvents",
      summary: "The execution's events after a cursor, then each new one as it is written, as Server-Sent Events (resumable with Last-Event-ID)",
      parameters: [
        executionId,
        ...queryParameters(EventsQuery),
        { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string", pattern: "^\\d{1,15}$" }, description: "The seq of the last event received (wins over cursor)" }
      ],
      responses: {
        "200": { description: "text/event-stream: `id` the seq, `event` the event's tag, `data` the event as JSON", content: { "text/event-stream": { schema: { type: "string" } } } },
        "204": { description: "The execution has ended and nothing is left after the cursor: stop reconnecting" },
        ...errors(400, 401, 404)
      }
    }
  },
  {
    method: "get",
    path: "/v1/executions/{id}/emissions",
    operation: {
      operationId: "streamEmissions",
      summary: "What ctx.emit recorded after a cursor, then each new emission as it is written, as Server-Sent Events (resumable with Last-Event-ID)",
      parameters: [
        executionId,
        ...queryParameters(EventsQuery),
        { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string", pattern: "^\\d{1,15}$" }, description: "The seq of the last emission received (wins over cursor)" }
      ],
      responses: {
        "200": { description: "text/event-stream: `id` the seq, `event` emission, `data` { seq, at, operationId, topic, value }", content: { "text/event-stream": { schema: { type: "string" } } } },
        "204": { description: "The execution has ended and no emission is left after the cursor: stop reconnecting" },
        ...errors(400, 401, 404)
      }
    }
  },
  {
    method: "post",
    path: "/v1/executions/{id}/timers/{operationId}/fire",
    operation: {
      operationId: "fireTimer",
      summary: "Development only (reprise dev, or REPRISE_DEV_TOOLS=1): a pending wait succeeds now",
      parameters: [executionId, pathParameter("operationId", "The WAIT operation's id")],
      requestBody: body(EmptyBody, "Nothing, or {}"),
      responses: { "200": ok("The execution"), ...errors(400, 401, 403, 404, 409, 415) }
    }
  },
  {
    method: "post",
    path: "/v1/executions/{id}/stop",
    operation: { operationId: "stopExecution", summary: "Stop a running execution", parameters: [executionId], requestBody: body(StopBody, "The error recorded (optional); children: false leaves the executions it invoked running (default: they are stopped too)"), responses: { "200": ok("The stopped execution"), ...errors(400, 401, 404, 409, 413, 415) } }
  },
  {
    method: "delete",
    path: "/v1/executions/{id}",
    operation: {
      operationId: "deleteExecution",
      summary: "Delete an ended execution now (its history, alarm and listing row), as its retention would; stop a running one first. No body",
      parameters: [executionId],
      responses: { "204": noContent, ...errors(401, 404, 409, 501) }
    }
  },
  {
    method: "post",
    path: "/v1/executions/{id}/pause",
    operation: { operationId: "pauseExecution", summary: "Pause a running execution: nothing new starts until resume", parameters: [executionId], requestBody: body(EmptyBody, "Nothing, or {}"), responses: { "200": ok("The paused execution"), ...errors(400, 401, 404, 409, 415) } }
  },
  {
    method: "post",
    path: "/v1/executions/{id}/resume",
    operation: { operationId: "resumeExecution", summary: "Resume a paused execution", parameters: [executionId], requestBody: body(EmptyBody, "Nothing, or {}"), responses: { "200": ok("The resumed execution"), ...errors(400, 401, 404, 409, 415) } }
  },
  {
    method: "post",
    path: "/v1/executions/{id}/fork",
    operation: { operationId: "forkExecution", summary: "Start a new execution from a copy of this one's log before a top-level operation", parameters: [executionId], requestBody: body(ForkBody, "fromOperation: the top-level operation to run again from; input: the fork's input (default: the source's)", true), responses: { "201": ok("The new execution"), ...errors(400, 401, 404, 413, 415) } }
  },
  {
    method: "post",
    path: "/v1/executions/{id}/rewind",
    operation: { operationId: "rewindExecution", summary: "Run a failed, timed-out or stopped execution again from a top-level operation", parameters: [executionId], requestBody: body(RewindBody, "fromOperation: the top-level operation to run again from", true), responses: { "200": ok("The execution, running again"), ...errors(400, 401, 404, 409, 415) } }
  },
  {
    method: "post",
    path: "/v1/callbacks/{callbackId}/succeed",
    operation: {
      operationId: "succeedCallback",
      summary: "Complete a callback",
      security: [],
      parameters: [callbackId],
      requestBody: body(CallbackSuccessBody, "`result`: any JSON value; a string is the raw string the function receives, any other value reaches it as its JSON text"),
      responses: { "204": noContent, ...errors(400, 404, 409, 413, 415) }
    }
  },
  {
    method: "post",
    path: "/v1/callbacks/{callbackId}/fail",
    operation: { operationId: "failCallback", summary: "Fail a callback", security: [], parameters: [callbackId], requestBody: body(CallbackFailureBody, "The error the function receives"), responses: { "204": noContent, ...errors(400, 404, 409, 413, 415) } }
  },
  {
    method: "post",
    path: "/v1/callbacks/{callbackId}/heartbeat",
    operation: { operationId: "heartbeatCallback", summary: "Keep a callback with a heartbeat timeout alive", security: [], parameters: [callbackId], requestBody: body(EmptyBody, "Nothing, or {}"), responses: { "204": noContent, ...errors(400, 404, 409, 415) } }
  },
  // Schedules (src/http/schedule-routes.ts, docs/schedules.md).
  { method: "get", path: "/v1/schedules", operation: { operationId: "listSchedules", summary: "The schedules, with their next tick, last execution and skipped ticks", responses: { "200": ok("{ schedules }"), ...errors(401) } } },
  { method: "get", path: "/v1/schedules/{name}", operation: { operationId: "getSchedule", summary: "One schedule", parameters: [scheduleName], responses: { "200": ok("The schedule"), ...errors(401, 404) } } },
  { method: "post", path: "/v1/schedules/{name}/pause", operation: { operationId: "pauseSchedule", summary: "Pause a schedule: its ticks start nothing until resumed", parameters: [scheduleName], requestBody: SCHEDULE_BODY, responses: { "200": ok("The schedule"), ...errors(400, 401, 404, 415) } } },
  { method: "post", path: "/v1/schedules/{name}/resume", operation: { operationId: "resumeSchedule", summary: "Resume a schedule from its next tick", parameters: [scheduleName], requestBody: SCHEDULE_BODY, responses: { "200": ok("The schedule"), ...errors(400, 401, 404, 415) } } },
  {
    method: "post",
    path: "/v1/schedules/{name}/trigger",
    operation: {
      operationId: "triggerSchedule",
      summary: "Start the schedule's function now, under its overlap policy",
      parameters: [scheduleName],
      requestBody: SCHEDULE_BODY,
      responses: { "201": ok("{ executionId, outcome: started }"), "200": ok("{ executionId, outcome: buffered | skipped }"), ...errors(400, 401, 404, 415) }
    }
  }
]

/** Routes answered without the store: no store failure or corrupt log can reach them. */
const WITHOUT_STORE = new Set(["health", "openapi", "listFunctions"])

/**
 * What every route can answer besides its own: 403 for a Host the server does not serve (and, on a write, a request a
 * browser marks cross-site); on a POST 413 for a body over the server's limit (1 MiB by default); on a route that
 * reads or writes executions, 503 (`store-failure`, `execution-busy`: try again, Retry-After) and 500
 * (`log-corrupted`, an internal error).
 */
const withCommonErrors = (method: string, operation: Json): Json => {
  const responses = operation.responses as Json
  return {
    ...operation,
    responses: {
      ...responses,
      ...errors(403),
      ...(method === "post" ? errors(413) : {}),
      ...(WITHOUT_STORE.has(operation.operationId as string) ? {} : errors(500, 503))
    }
  }
}

let document: Json | undefined

/** The OpenAPI document (built once). */
export const openApiDocument = (): Json => {
  if (document !== undefined) return document
  const paths: Record<string, Record<string, Json>> = {}
  for (const { method, path, operation } of API_OPERATIONS) (paths[path] ??= {})[method] = withCommonErrors(method, operation)
  document = {
    openapi: "3.1.0",
    info: { title: "Reprise", version: "1", description: "Durable functions: start, inspect and steer executions; complete callbacks." },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "The server's API key (REPRISE_API_KEY), when it has one" } } },
    security: bearer,
    paths
  }
  return document
}
