/**
 * `GET /v1/events`: every execution's lifecycle changes (started, paused, resumed, succeeded, failed, timed out,
 * stopped) as Server-Sent Events, filtered by `function` and `status`: each frame `event: lifecycle` with
 * `{ executionId, functionName, status, event, at, seq }`. Live only (there is no cursor across executions): a
 * client that reconnects lists `GET /v1/executions` to catch up. Where no engine runs in the process (the Worker,
 * Lambda's HTTP API) the changes come from listing, every second, the newest executions and every one not ended
 * (lifecycle-feed.ts).
 */
import { Clock, Effect, Stream } from "effect"
import type { Hono } from "hono"
import { ExecutionClient } from "../engine/index.ts"
import { lifecycleByPolling } from "../engine/lifecycle-feed.ts"
import type { RouteDeps } from "./execution-routes.ts"
import { readQuery } from "./read-body.ts"
import { LifecycleQuery, statusesOf } from "./request-schemas.ts"
import { sseFrame, sseResponse, streamSeconds } from "./sse.ts"

export const registerLifecycleStreamRoutes = (app: Hono, { respond }: RouteDeps, buffered = false, closing?: AbortSignal): void => {
  app.get("/v1/events", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const query = yield* readQuery(c.req.url, LifecycleQuery)
        const client = yield* ExecutionClient
        const filter = {
          functionName: query.function,
          statuses: query.status === undefined ? undefined : statusesOf(query.status)
        }
        const since = yield* Clock.currentTimeMillis
        const changes = client.watchLifecycle?.(filter) ?? lifecycleByPolling(
          (query) => client.list(query),
          (executionId) =>
            client.describe(executionId).pipe(
              Effect.map((view) => ({ status: view.status, ...(view.endedAt === undefined ? {} : { endedAt: view.endedAt }) })),
              // Deleted meanwhile (retention), or unreadable: no change to tell.
              Effect.catchTags({ ExecutionNotFound: () => Effect.succeed(undefined), LogCorrupted: () => Effect.succeed(undefined) })
            ),
          {
            // Its first events: queued at its start, and no ExecutionDequeued among them (debounce replacements aside).
            neverRan: (executionId) =>
              client.history(executionId, { after: 0, limit: 20 }).pipe(
                Effect.map((events) => events[0]?._tag === "ExecutionStarted" && events[0].queue !== undefined && !events.some((e) => e._tag === "ExecutionDequeued")),
                Effect.catchTags({ ExecutionNotFound: () => Effect.succeed(false), LogCorrupted: () => Effect.succeed(false) })
              )
          }
        )(filter, since)
        return sseResponse(changes.pipe(Stream.map((change) => sseFrame(undefined, "lifecycle", change))), { seconds: streamSeconds(query.maxSeconds), buffered, closing })
      })
    ))
}
