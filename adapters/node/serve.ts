/**
 * `reprise/node`: serve durable functions from one process, on a SQLite file, over the HTTP API.
 *
 * Boot: open (and migrate) the database, keep or create the callback-signing secret in it, resume what was
 * running when the last process died (its watchdog alarm is at most WATCHDOG_MS away), then arm one timer at
 * the earliest alarm. Suspended executions are dropped from memory, so a hundred thousand waiting executions cost
 * only their rows. SIGTERM/SIGINT: stop accepting requests, stop the timer, let in-flight writes finish, close.
 */
import { createAdaptorServer } from "@hono/node-server"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { randomBytes } from "node:crypto"
import type { AddressInfo } from "node:net"
import { WATCHDOG_MS } from "../../src/engine/index.ts"
import { Engine, type EngineShape } from "../../src/engine/engine.ts"
import type { EngineProbe } from "../../src/engine/engine-probe.ts"
import type { ExecutionClient } from "../../src/engine/execution-client.ts"
import type { DurableFunction } from "../../src/engine/registry.ts"
import { createApp } from "../../src/http/index.ts"
import { signedCallbackIds } from "../../src/http/signed-callback-ids.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeAlarmScheduler, withAlarmScheduler } from "./alarm-scheduler.ts"
import { openSqliteStore, type SqliteStore } from "./sqlite-store.ts"

export interface ServeOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /** The SQLite file (default: $REPRISE_DB, else ./reprise.db). */
  readonly dbPath?: string
  /** Default: $PORT, else 8787. 0 picks a free port. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly hostname?: string
  /** Bearer key for the management routes (default: $REPRISE_API_KEY; none means local development, no auth). */
  readonly apiKey?: string
  /** The callback-signing secret (default: $REPRISE_SECRET, else generated once and kept in the database). */
  readonly secret?: string
  readonly synchronous?: "NORMAL" | "FULL"
  /** How often suspended actors are dropped from memory (default every 5 s). */
  readonly evictEveryMs?: number
  /** Handle SIGTERM and SIGINT with a graceful shutdown (default true). */
  readonly handleSignals?: boolean
}

export interface Server {
  readonly url: string
  readonly port: number
  readonly authenticated: boolean
  readonly store: SqliteStore
  /** Runs something on the server's engine (typed failures are thrown as themselves). */
  engine<A, E>(use: (engine: EngineShape) => Effect.Effect<A, E, EngineProbe>): Promise<A>
  close(): Promise<void>
}

const SECRET_KEY = "callback-secret"

export const serve = async (options: ServeOptions): Promise<Server> => {
  const env = process.env
  const dbPath = options.dbPath ?? env.REPRISE_DB ?? "./reprise.db"
  const store = await Effect.runPromise(openSqliteStore({ path: dbPath, ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }) }))
  const secret = options.secret ?? env.REPRISE_SECRET ?? keptSecret(store)
  const apiKey = options.apiKey ?? (env.REPRISE_API_KEY === "" ? undefined : env.REPRISE_API_KEY)

  let runtime: ManagedRuntime.ManagedRuntime<Engine | ExecutionClient | EngineProbe, never> | undefined
  const run = async <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E, EngineProbe>): Promise<A> => {
    if (runtime === undefined) throw new Error("The server is closed")
    const exit = await runtime.runPromiseExit(Engine.use(use))
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }
  const scheduler = makeAlarmScheduler({ source: store, deliver: (id) => run((e) => e.alarm(id)) })
  const engineLayer = Engine.layer({ functions: options.functions, callbackIds: signedCallbackIds(secret) })
  runtime = ManagedRuntime.make(engineLayer.pipe(Layer.provide(Layer.succeed(ExecutionStore, withAlarmScheduler(store, scheduler)))))

  // Whatever was running when the last process died has its watchdog alarm within WATCHDOG_MS: resume it now.
  const resumable = store.dueAlarms(Date.now() + WATCHDOG_MS + 1000, 100_000)
  await Promise.all(resumable.map(({ executionId }) => run((e) => e.alarm(executionId)).catch((error) => console.error(`reprise: resuming ${executionId}:`, error))))
  scheduler.start()

  const evictTimer = setInterval(() => void run((e) => e.evictIdle()).catch(() => undefined), options.evictEveryMs ?? 5000)
  evictTimer.unref()

  const app = createApp({ runtime, ...(apiKey === undefined ? {} : { apiKey }) })
  const http = createAdaptorServer({ fetch: app.fetch })
  const hostname = options.hostname ?? "127.0.0.1"
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject)
    http.listen(options.port ?? Number(env.PORT ?? 8787), hostname, () => resolve())
  })
  const port = (http.address() as AddressInfo).port

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      process.off("SIGTERM", onSignal)
      process.off("SIGINT", onSignal)
      await new Promise<void>((resolve) => http.close(() => resolve())) // stop accepting; finish open requests
      ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
      clearInterval(evictTimer)
      await scheduler.stop()
      const rt = runtime
      runtime = undefined
      await rt?.dispose() // appends are synchronous SQLite transactions: none is left half-written
      store.close()
    })())
  const onSignal = () => void close().then(() => process.exit(0))
  if (options.handleSignals ?? true) {
    process.on("SIGTERM", onSignal)
    process.on("SIGINT", onSignal)
  }

  return { url: `http://${hostname}:${port}`, port, authenticated: apiKey !== undefined, store, engine: run, close }
}

/** The secret kept in the database, created on first use, so that callback ids stay valid across restarts. */
const keptSecret = (store: SqliteStore): string => {
  const existing = store.getMeta(SECRET_KEY)
  if (existing !== undefined) return existing
  const created = randomBytes(32).toString("base64url")
  store.setMeta(SECRET_KEY, created)
  return created
}
