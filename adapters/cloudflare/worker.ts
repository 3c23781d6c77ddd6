/**
 * `createWorker({ functions, schedules? })`: the Worker's `fetch` (the Hono app of reprise/http over the forwarding
 * client) and the Durable Object classes to export from the Worker's entry module:
 *
 *   const worker = createWorker({ functions, schedules })
 *   export const { ExecutionObject, IndexObject, ScheduleObject, FlowObject } = worker
 *   export default { fetch: worker.fetch, scheduled: worker.scheduled }
 *
 * With schedules, the Worker needs the SCHEDULES binding (class ScheduleObject) and, as a backstop, a cron trigger
 * calling `scheduled` (see docs/schedules.md). With flow control (`concurrency`, `rateLimit`, `priority`,
 * `debounce`), it needs the FLOW_CONTROL binding (class FlowObject; docs/flow-control.md).
 */
import { Layer, ManagedRuntime, Scheduler } from "effect"
import { Hono } from "hono"
import { type DurableFunction, FlowConfigError, type Schedule } from "reprise"
import { ExecutionClient, type ExecutionObserverShape } from "reprise/engine"
import { bearerAuth, bodyLimitFor, createApp, crossSite, type ErrorReporter, problemResponse, requireJson } from "reprise/http"
import { apiKeyError, apiKeyOf, callbackIdsOf, envReader, type RepriseEnv } from "./env.ts"
import { makeExecutionObject } from "./execution-object.ts"
import { makeIndexClient } from "./index-client.ts"
import { IndexObject } from "./index-object.ts"
import { REINDEX_OPERATION, reindex } from "./reindex.ts"
import { makeWorkerClient } from "./worker-client.ts"
import { type HostLogOptions, ScheduleClient } from "reprise/host"
import { ensureSchedules, makeScheduleClient } from "./schedule-client.ts"
import { makeScheduleObject } from "./schedule-object.ts"
import { makeFlowObject } from "./flow-object.ts"
import { objectLog } from "./object-log.ts"

export interface CreateWorkerOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /** Cron starts of the functions: one ScheduleObject each (binding SCHEDULES). */
  readonly schedules?: ReadonlyArray<Schedule>
  /** The largest payload an execution stores (default 256 KiB). */
  readonly maxPayloadBytes?: number
  /** The largest request body the HTTP API accepts (default 1 MiB, or twice `maxPayloadBytes` when that is more). */
  readonly maxBodyBytes?: number
  /** How many index objects the listing is spread over (default 4). Changing it needs a reindex. */
  readonly indexShards?: number
  readonly onError?: ErrorReporter
  /**
   * Each execution's life logged by its Durable Object, as JSON lines (Workers Logs keeps them); the level is this,
   * else the REPRISE_LOG_LEVEL var, else info ("none" is silent).
   */
  readonly logging?: HostLogOptions
  /** Told of every write in each Durable Object: traces and metrics (reprise/otel's `otelObserver`). */
  readonly observer?: ExecutionObserverShape
}

/** Request-owned timers can be discarded on Workers: run the Worker's fibers on microtasks. */
const workerScheduler = new Scheduler.MixedScheduler("sync")

export const createWorker = (options: CreateWorkerOptions) => {
  // Each execution is its own Durable Object: the limits of a function are counted by its FlowObject (binding
  // FLOW_CONTROL), which every start of it goes through (docs/flow-control.md).
  const limited = options.functions.filter((fn) => fn.flow !== undefined).map((fn) => fn.name)
  const FlowObject = makeFlowObject(options.functions, options.logging)
  const ExecutionObject = makeExecutionObject(options)
  const schedules = options.schedules ?? []
  const ScheduleObject = makeScheduleObject({ functions: options.functions, schedules, indexShards: options.indexShards, logging: options.logging })
  const apps = new WeakMap<object, Hono>()
  /** Per env, the first request makes sure every schedule's object is armed (once it succeeded, never again). */
  const ensured = new WeakMap<object, Promise<void>>()
  const ensure = (env: RepriseEnv): Promise<void> => {
    if (schedules.length === 0) return Promise.resolve()
    let done = ensured.get(env)
    if (done === undefined) {
      done = ensureSchedules(env, schedules).catch((error: unknown) => {
        // Tried again on the next request, unless the binding is missing: that does not change within an isolate,
        // so it is said once.
        if (env.SCHEDULES !== undefined) ensured.delete(env)
        objectLog(options.logging, envReader(env)).report("arming the schedules failed", error)
      })
      ensured.set(env, done)
    }
    return done
  }

  const appFor = (env: RepriseEnv): Hono => {
    const known = apps.get(env)
    if (known !== undefined) return known
    const index = makeIndexClient(env.EXECUTION_INDEX, options.indexShards)
    const client = makeWorkerClient(env, { functions: options.functions, callbackIds: callbackIdsOf(env), index, maxPayloadBytes: options.maxPayloadBytes })
    const runtime = ManagedRuntime.make(
      Layer.mergeAll(
        Layer.succeed(ExecutionClient, client),
        Layer.succeed(Scheduler.Scheduler, workerScheduler),
        schedules.length === 0 ? Layer.empty : Layer.succeed(ScheduleClient, makeScheduleClient(env, schedules))
      )
    )
    const apiKey = apiKeyOf(env)
    const api = createApp({
      runtime,
      apiKey,
      // Cloudflare routes a request to this Worker by its host (routes, custom domains, workers.dev), so a Host no
      // one configured never reaches it: DNS rebinding cannot point a browser at it. No Host check here.
      allowedHosts: "any",
      clientAddress: (c) => c.req.header("cf-connecting-ip"), // set by Cloudflare's edge, not by the client
      maxBodyBytes: options.maxBodyBytes ?? bodyLimitFor(options.maxPayloadBytes),
      // As on Node and Deno (src/host/host-secrets.ts): with the callback secret in, a session cookie cannot be used
      // to test guesses of the API key offline.
      consoleSessionSecret: `${env.REPRISE_CONSOLE_SECRET ?? ""}\u0000${env.REPRISE_CALLBACK_SECRET ?? ""}`,
      ...(options.onError === undefined ? {} : { onError: options.onError })
    })
    // Beside the API: POST /v1/admin/reindex[?fromShards=N] rebuilds the listing index (see reindex.ts).
    const app = new Hono()
    // Another method is 405 with Allow, as on the API's routes (before auth there too), not "no route".
    app.on(["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"], "/v1/admin/reindex", (c) =>
      problemResponse("method-not-allowed", `${c.req.method} is not allowed here; use POST`, c.req.path, { allow: "POST" }))
    app.use("/v1/admin/*", crossSite()) // the API's rules for writes (src/http/app.ts), on this route too
    if (apiKey !== undefined) app.use("/v1/admin/*", bearerAuth({ apiKey }))
    app.use("/v1/admin/*", requireJson())
    app.post("/v1/admin/reindex", async (c) => {
      // Decimal digits only: Number() would also take "0x10", "1e1" or " 2 ".
      const raw = c.req.query("fromShards")
      const from = raw === undefined ? index.shards : /^[0-9]{1,4}$/.test(raw) ? Number(raw) : Number.NaN
      if (!Number.isSafeInteger(from) || from < 1 || from > 1024) {
        return problemResponse("invalid-request", "fromShards must be a whole number from 1 to 1024", c.req.path)
      }
      return c.json(await reindex(env, index, from))
    })
    // The API's document, with the route above (the API app does not know it).
    app.get("/v1/openapi.json", async (c) => {
      const answer = await api.fetch(c.req.raw)
      if (answer.status !== 200) return answer
      const document = await answer.json() as { paths: Record<string, unknown> }
      return c.json({ ...document, paths: { ...document.paths, "/v1/admin/reindex": { post: REINDEX_OPERATION } } })
    })
    app.all("*", (c) => api.fetch(c.req.raw))
    apps.set(env, app)
    return app
  }

  return {
    fetch: async (request: Request, env: RepriseEnv): Promise<Response> => {
      if (limited.length > 0 && env.FLOW_CONTROL === undefined) {
        // Refused rather than run without the limits: every request, so that the deployment's mistake is seen at once.
        const error = new FlowConfigError(`Flow control of ${limited.join(", ")} needs the FLOW_CONTROL Durable Object binding (class FlowObject) in wrangler.toml`)
        objectLog(options.logging, envReader(env)).report("a request was refused", error)
        return problemResponse("internal-error", error.message, new URL(request.url).pathname)
      }
      const keyError = apiKeyError(env)
      if (keyError !== undefined) {
        objectLog(options.logging, envReader(env)).report("a request was refused", keyError)
        return problemResponse("internal-error", keyError.message, new URL(request.url).pathname)
      }
      await ensure(env)
      return appFor(env).fetch(request)
    },
    /** The cron trigger's handler: re-arms every schedule's object (a backstop; the objects' alarms do the ticks). */
    scheduled: (_controller: unknown, env: RepriseEnv): Promise<void> => ensureSchedules(env, schedules),
    ExecutionObject,
    IndexObject,
    ScheduleObject,
    FlowObject
  }
}
