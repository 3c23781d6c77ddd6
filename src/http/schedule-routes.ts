/**
 * The schedule routes: `GET /v1/schedules`, `GET /v1/schedules/:name`, `POST /v1/schedules/:name/pause|resume|trigger`,
 * over the ScheduleClient the runtime provides beside the ExecutionClient. A runtime without one (Cloudflare's
 * Worker, Lambda's control plane) serves no schedules: the list is empty and a name is not found.
 */
import { Effect, Option } from "effect"
import type { Context, Hono } from "hono"
import { ScheduleClient, type ScheduleClientShape, ScheduleNotFound, type ScheduleView } from "../schedule/schedule-client.ts"
import type { RouteDeps } from "./execution-routes.ts"
import { readJsonBody } from "./read-body.ts"
import { EmptyBody } from "./request-schemas.ts"

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

export const scheduleJson = (view: ScheduleView) => ({
  name: view.name,
  functionName: view.functionName,
  cron: view.cron,
  timezone: view.timezone,
  overlap: view.overlap,
  catchUpSeconds: view.catchUpSeconds,
  ...(view.description === undefined ? {} : { description: view.description }),
  paused: view.paused,
  ...(view.nextTickAt === undefined ? {} : { nextTickAt: iso(view.nextTickAt) }),
  ...(view.lastTickAt === undefined ? {} : { lastTickAt: iso(view.lastTickAt) }),
  ...(view.lastExecutionId === undefined ? {} : { lastExecutionId: view.lastExecutionId }),
  ...(view.buffered === undefined ? {} : { buffered: { tickAt: iso(view.buffered.tickAt), executionId: view.buffered.executionId } }),
  started: view.started,
  skipped: view.skipped,
  recentSkips: view.recentSkips.map((run) => ({ ...run, firstTickAt: iso(run.firstTickAt), lastTickAt: iso(run.lastTickAt) }))
})

export type ScheduleJson = ReturnType<typeof scheduleJson>

/** The runtime's ScheduleClient, or a ScheduleNotFound for `name` where it has none. */
const withSchedules = <A, E>(
  name: string,
  use: (schedules: ScheduleClientShape) => Effect.Effect<A, E>
): Effect.Effect<A, E | ScheduleNotFound> =>
  Effect.flatMap(Effect.serviceOption(ScheduleClient), (client): Effect.Effect<A, E | ScheduleNotFound> =>
    Option.isSome(client) ? use(client.value) : Effect.fail(new ScheduleNotFound({ name })))

export const registerScheduleRoutes = (app: Hono, { respond }: RouteDeps): void => {
  app.get("/v1/schedules", (c) =>
    respond(
      c.req.raw,
      Effect.flatMap(Effect.serviceOption(ScheduleClient), (client) =>
        Option.isNone(client)
          ? Effect.succeed(json({ schedules: [] }))
          : Effect.map(client.value.list(), (views) => json({ schedules: views.map(scheduleJson) })))
    ))

  app.get("/v1/schedules/:name", (c) =>
    respond(c.req.raw, withSchedules(c.req.param("name"), (s) => Effect.map(s.get(c.req.param("name")), (view) => json(scheduleJson(view))))))

  // Pause, resume and trigger take no body (or `{}`), as the executions' pause and resume do.
  const action = <E>(c: Context, act: (s: ScheduleClientShape, name: string) => Effect.Effect<Response, E>) =>
    respond(c.req.raw, Effect.andThen(readJsonBody(c.req.raw, EmptyBody), withSchedules(c.req.param("name")!, (s) => act(s, c.req.param("name")!))))

  app.post("/v1/schedules/:name/pause", (c) => action(c, (s, name) => Effect.map(s.pause(name), (view) => json(scheduleJson(view)))))
  app.post("/v1/schedules/:name/resume", (c) => action(c, (s, name) => Effect.map(s.resume(name), (view) => json(scheduleJson(view)))))
  app.post("/v1/schedules/:name/trigger", (c) =>
    action(c, (s, name) => Effect.map(s.trigger(name), (result) => json(result, result.outcome === "started" ? 201 : 200))))
}
