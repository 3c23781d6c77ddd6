/**
 * `GET /v1/executions/:id/events`: an execution's history as Server-Sent Events, from a cursor, then each event as
 * it is written (ExecutionClient.watch). Every event is sent once, with its seq as the SSE `id`, so a client that
 * reconnects with `Last-Event-ID` (EventSource does so by itself) goes on where it stopped. Bounded: the stream
 * closes after the execution's terminal event, and after at most `maxSeconds` (the server's cap by default); a
 * reconnect to an execution that has ended with nothing after the cursor is answered 204, which tells EventSource
 * to stop reconnecting.
 *
 * Where the platform buffers responses (AppOptions.bufferedResponses) each response is a long poll instead: it ends
 * once it has sent what there was (or after 20 s with nothing), and the client reconnects with `Last-Event-ID`.
 *
 * `GET /v1/executions/:id/emissions`: the same stream cut down to what `ctx.emit` recorded (src/context/emit.ts),
 * each frame `event: emission` with `{ seq, at, operationId, topic, value }`. Its `id` is the event's seq too, so
 * `Last-Event-ID` resumes from any point, and an emission is sent once however often the execution replayed.
 */
import { Effect } from "effect"
import type { Hono } from "hono"
import { emissionOf } from "../context/emit.ts"
import { ExecutionClient } from "../engine/index.ts"
import type { LogEvent } from "../log/events.ts"
import type { RouteDeps } from "./execution-routes.ts"
import { readQuery } from "./read-body.ts"
import { EventsQuery } from "./request-schemas.ts"
import { lastEventId, sseFrame, streamSeconds, watchResponse } from "./sse.ts"

/** A frame's name: the event's tag, or on Lambda, whose history is the service's own events, their `EventType`. */
const eventName = (event: LogEvent): string => {
  const named = event as { readonly _tag?: unknown; readonly EventType?: unknown }
  return typeof named._tag === "string" ? named._tag : typeof named.EventType === "string" ? named.EventType : "event"
}

const eventFrame = (event: LogEvent): string => sseFrame(event.seq, eventName(event), event)

const emissionFrame = (event: LogEvent): string | undefined => {
  const emission = emissionOf(event)
  return emission === undefined ? undefined : sseFrame(emission.seq, "emission", emission)
}

export const registerEventStreamRoutes = (app: Hono, { respond }: RouteDeps, buffered = false, closing?: AbortSignal): void => {
  const route = (path: string, toFrame: (event: LogEvent) => string | undefined) =>
    app.get(path, (c) =>
      respond(
        c.req.raw,
        Effect.gen(function*() {
          const query = yield* readQuery(c.req.url, EventsQuery)
          const after = (yield* lastEventId(c.req.header("last-event-id"))) ?? query.cursor ?? 0
          const client = yield* ExecutionClient
          return yield* watchResponse(client, c.req.param("id")!, after, { seconds: streamSeconds(query.maxSeconds), buffered, closing }, toFrame)
        })
      ))
  route("/v1/executions/:id/events", eventFrame)
  route("/v1/executions/:id/emissions", emissionFrame)
}
