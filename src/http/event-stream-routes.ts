/**
 * `GET /v1/executions/:id/events`: an execution's history as Server-Sent Events, from a cursor, then each event as
 * it is written (ExecutionClient.watch). Every event is sent once, with its seq as the SSE `id`, so a client that
 * reconnects with `Last-Event-ID` (EventSource does so by itself) goes on where it stopped. Bounded: the stream
 * closes after the execution's terminal event, and after at most `maxSeconds` (the server's cap by default); a
 * reconnect to an execution that has ended with nothing after the cursor is answered 204, which tells EventSource
 * to stop reconnecting.
 */
import { Duration, Effect, Schedule, Stream } from "effect"
import type { Hono } from "hono"
import { ExecutionClient } from "../engine/index.ts"
import type { LogEvent } from "../log/events.ts"
import { mapCause } from "./error-mapping.ts"
import type { RouteDeps } from "./execution-routes.ts"
import { problemType } from "./problem.ts"
import { readQuery } from "./read-body.ts"
import { EventsQuery } from "./request-schemas.ts"

/** The longest a stream stays open (a reconnect with Last-Event-ID goes on from there). */
export const MAX_EVENT_STREAM_SECONDS = 600
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE = Duration.seconds(15)

const frame = (event: LogEvent): string => `id: ${event.seq}\nevent: ${event._tag}\ndata: ${JSON.stringify(event)}\n\n`

/** `Last-Event-ID` when it is a seq; anything else is ignored (as the SSE spec lets a server do). */
const lastEventId = (header: string | undefined): number | undefined =>
  header !== undefined && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined

export const registerEventStreamRoutes = (app: Hono, { respond }: RouteDeps): void => {
  app.get("/v1/executions/:id/events", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, EventsQuery)
        const executionId = c.req.param("id")
        const after = lastEventId(c.req.header("last-event-id")) ?? query.cursor ?? 0
        const seconds = Math.min(query.maxSeconds ?? MAX_EVENT_STREAM_SECONDS, MAX_EVENT_STREAM_SECONDS)
        const client = yield* ExecutionClient
        // Unknown executions are a 404 before anything streams; an ended one with nothing new is a 204.
        const view = yield* client.describe(executionId)
        if (view.status !== "RUNNING") {
          const events = yield* client.history(executionId)
          if (!events.some((event) => event.seq > after)) return new Response(null, { status: 204 })
        }
        const events = client.watch(executionId, after).pipe(
          Stream.map(frame),
          // A failure after the stream began is its last event: the problem's type and detail.
          Stream.catchCause((cause) => {
            const problem = mapCause(cause)
            return Stream.succeed(`event: error\ndata: ${JSON.stringify({ type: problemType(problem.kind), detail: problem.detail })}\n\n`)
          }),
          Stream.interruptWhen(Effect.sleep(Duration.seconds(seconds)))
        )
        const keepAlive = Stream.fromSchedule(Schedule.spaced(KEEP_ALIVE)).pipe(Stream.map(() => ": keep-alive\n\n"))
        const body = Stream.merge(events, keepAlive, { haltStrategy: "left" }).pipe(Stream.encodeText)
        return new Response(Stream.toReadableStream(body), {
          headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" }
        })
      })
    ))
}
