/**
 * `reprise/node`: serve durable functions from one process, on a SQLite file, over the HTTP API.
 *
 * Node owns the listening socket (@hono/node-server), the signals, the SQLite store and the alarm timer
 * (the host's timer-wake-ups.ts); the runtime-neutral host (src/host) does the rest: the keys (the callback-signing secret is
 * kept in the database), resuming what was running when the last process died, alarm delivery, idle eviction (so a
 * hundred thousand waiting executions cost only their rows) and the shutdown order. SIGTERM/SIGINT: stop accepting
 * requests, end event streams, give other open requests SHUTDOWN_GRACE_MS, then close the host (stop the timer, let
 * deliveries and in-flight writes finish, close the database).
 */
import { getRequestListener } from "@hono/node-server"
import { answerClientErrors, guardedListener, requestErrorAnswer } from "./client-error.ts"
import { Effect, type Layer } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import type { DurableFunction, FetchTransport, Schedule } from "reprise"
import type { EngineShape } from "reprise/engine"
import type { StartAdmission } from "reprise/http"
import type { EngineProbe } from "reprise/testing"
import type { ExecutionObserverShape } from "reprise/engine"
import { hostErrorLog, type HostLogOptions, type HostPorts, pendingFetch, resolvePort, resolveRequestTimeouts, resolveShutdownGrace, serverUrl, SHUTDOWN_GRACE_MS, startHost } from "reprise/host"
import { sqlitePorts } from "./sqlite-ports.ts"
import { sqliteSettings } from "./sqlite-settings.ts"
import { openSqliteStore, type SqliteStore } from "./sqlite-store.ts"
import { drainUnreadBody } from "./unread-body.ts"
import { logProcessFaults } from "./process-faults.ts"
import { refuseWhileCliLoads } from "./cli-loading.ts"

/** The server's options whatever its store (reprise/postgres serves with these on its own ports). */
export interface ServeHostOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /** Cron starts of the functions (`schedule(name, { function, cron, … })`), kept in the store (its ScheduleStore). */
  readonly schedules?: ReadonlyArray<Schedule>
  /** Default: $PORT, else 8787. 0 picks a free port. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly hostname?: string
  /**
   * Names the server is reached by besides `localhost`, IP literals and `hostname` (the Host check against DNS
   * rebinding; also $REPRISE_ALLOWED_HOSTS, comma-separated). `["*"]` allows any.
   */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Bearer key for the management routes (default: $REPRISE_API_KEY; none means local development, no auth). */
  readonly apiKey?: string
  /** The callback-signing secret (default: $REPRISE_SECRET, else generated once and kept in the database). */
  readonly secret?: string
  /** How often suspended actors are dropped from memory (default every 5 s). */
  readonly evictEveryMs?: number
  /** A suspended execution whose next timer is due within this many ms stays in memory (default 10 s). */
  readonly keepWarmMs?: number
  /** Past this many actors in memory, warm ones are dropped too, those due last first (default 10,000). */
  readonly maxActorsInMemory?: number
  /**
   * The server's log of executions' lives (default: pretty on a terminal, else JSON lines, on stderr; level info;
   * $REPRISE_LOG_FORMAT and $REPRISE_LOG_LEVEL override the defaults).
   */
  readonly logging?: HostLogOptions
  /** Development aids in the API and console, such as firing a pending wait now (default: $REPRISE_DEV_TOOLS is "1"). */
  readonly devTools?: boolean
  /** Told of every write: traces and metrics with reprise/otel's `otelObserver()` (docs/observability.md). */
  readonly observer?: ExecutionObserverShape
  /**
   * Start requests served at once (default 512; a `?wait` start holds its place until it answers) and waiting in
   * arrival order (default 2,048); past them a start gets 503 with Retry-After and creates nothing.
   */
  readonly admission?: StartAdmission
  /**
   * The server owns the process (default true): SIGTERM and SIGINT shut it down gracefully, and a promise rejected
   * with nothing to handle it (a step body's floating promise), or an exception a durable function's code threw where
   * nothing caught it (in a timer its step body set), is logged at error level instead of ending it.
   */
  readonly handleSignals?: boolean
  /**
   * How long a shutdown waits for requests in flight and for the step bodies running (no new one begins) before it
   * closes them (default: $REPRISE_SHUTDOWN_GRACE_MS, else 5,000 ms). A body still running then runs again at the
   * next start: set it above your longest step, below your platform's own grace.
   */
  readonly shutdownGraceMs?: number
  /**
   * How long a client may take to send a request's headers (default: $REPRISE_HEADERS_TIMEOUT_MS, else 10,000 ms, or
   * `requestTimeoutMs` when that is less); past it the answer is 408 and the connection closes. The callback routes
   * need no key, so a client sending slowly must not hold a connection for Node's own 60 s.
   */
  readonly headersTimeoutMs?: number
  /**
   * How long a client may take to send a whole request, body included (default: $REPRISE_REQUEST_TIMEOUT_MS, else
   * 30,000 ms; Node's own is 300 s); past it, 408. It does not bound the answer: a start's `?wait` may take longer.
   * Both are whole ms from 1 to an hour, the headers' no longer than this.
   */
  readonly requestTimeoutMs?: number
  /** How `ctx.fetch` sends requests (default: Node's global fetch). */
  readonly fetch?: FetchTransport
  /**
   * The largest payload an execution stores: its input, a step's result, its own result (default 256 KiB, AWS's
   * per-checkpoint limit; AWS returns a handler's result up to 6 MB).
   */
  readonly maxPayloadBytes?: number
  /** The largest request body the HTTP API accepts (default 1 MiB, or twice `maxPayloadBytes` when that is more). */
  readonly maxBodyBytes?: number
}

export interface ServeOptions extends ServeHostOptions {
  /** The SQLite file (default: $REPRISE_DB, else ./reprise.db). */
  readonly dbPath?: string
  /**
   * NORMAL (default; else $REPRISE_SYNCHRONOUS): a commit survives the process being killed. FULL: every commit is
   * fsynced and survives a power loss too; group commit shares one fsync among the appends of a turn.
   */
  readonly synchronous?: "NORMAL" | "FULL"
  /**
   * "normal" (default; else $REPRISE_SQLITE_LOCKING): other processes may open the file while the server runs (the
   * sqlite3 shell, a backup). "exclusive": the server holds the file until it closes, no other process can open it,
   * and each commit skips SQLite's shared-memory locks (W1 took 0.80x the time per step; docs/engine.md).
   */
  readonly locking?: "normal" | "exclusive"
}

export interface HostServer {
  readonly url: string
  readonly port: number
  readonly authenticated: boolean
  /** Runs something on the server's engine (typed failures are thrown as themselves). */
  engine<A, E>(use: (engine: EngineShape) => Effect.Effect<A, E, EngineProbe>): Promise<A>
  close(): Promise<void>
}

export interface Server extends HostServer {
  readonly store: SqliteStore
}

export const serve = async (options: ServeOptions): Promise<Server> => {
  refuseWhileCliLoads() // before the file is opened
  resolvePort(options.port, (name) => process.env[name]) // a bad $PORT is refused before the file is opened
  resolveShutdownGrace(options.shutdownGraceMs, (name) => process.env[name]) // and a bad grace
  resolveRequestTimeouts(options, (name) => process.env[name]) // and bad timeouts
  const dbPath = options.dbPath ?? process.env["REPRISE_DB"] ?? "./reprise.db"
  const store = await Effect.runPromise(openSqliteStore({ path: dbPath, ...sqliteSettings(options, (name) => process.env[name]), serves: true }))
  try {
    return { ...(await serveHost(options, sqlitePorts(store))), store }
  } catch (error) {
    store.close() // a port in use: the host never started, so nothing else closes it
    throw error
  }
}

/** The stream routes (…/events, …/emissions, /v1/events), or any request that asks for a stream. */
const isEventStream = (request: IncomingMessage): boolean => {
  const path = (request.url ?? "").split("?")[0]!
  return /\/(?:events|emissions)$/.test(path) || (request.headers.accept ?? "").includes("text/event-stream")
}

/** Requests still open at shutdown (other than event streams, ended at once) get SHUTDOWN_GRACE_MS to finish by default. */
export { SHUTDOWN_GRACE_MS }
/** How long the event streams ended at shutdown get to send their last chunk before their connections are cut. */
const STREAM_END_MS = 250

/** The same server on the host's ports of any store; closing the server releases the ports (closing the store). */
export const serveHost = async <E>(options: ServeHostOptions, ports: Layer.Layer<HostPorts, E>): Promise<HostServer> => {
  refuseWhileCliLoads()
  const env = (name: string) => process.env[name]
  const graceMs = resolveShutdownGrace(options.shutdownGraceMs, env)
  const { headersTimeoutMs, requestTimeoutMs } = resolveRequestTimeouts(options, env)
  const hostname = options.hostname ?? "127.0.0.1"
  // The port is bound before the host starts: a server started by mistake on a port in use (a second process on the
  // same file, say) fails before its host could resume executions or fire alarms, so it runs no step at all.
  // Requests that arrive while the host starts wait for it.
  const logging = { terminal: process.stderr.isTTY === true, ...options.logging }
  const pending = pendingFetch<[Request, { readonly incoming: unknown }]>()
  // As @hono/node-server's createAdaptorServer makes it, with an errorHandler (it takes none): what the adaptor
  // refuses before a Request exists is problem+json too.
  // Node's own check of the Host header answers a bare 400; the adaptor's makes it a problem.
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default: a 300 ms headers timeout still
  // let a stalled client stay 30 s), so it is checked at least every second. keepAliveTimeout stays Node's 5 s.
  const timeouts = { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs) }
  const http = createServer({ requireHostHeader: false, ...timeouts }, guardedListener(getRequestListener(pending.fetch, { errorHandler: requestErrorAnswer })))
  answerClientErrors(http) // headers over the limit, unparsable requests: problem+json too
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject)
    http.listen(resolvePort(options.port, env), hostname, () => resolve())
  })
  const port = (http.address() as AddressInfo).port
  const closeHttp = () =>
    new Promise<void>((resolve) => {
      http.close(() => resolve()) // stop accepting; finish open requests
      http.closeAllConnections()
    })

  const host = await startHost(
    {
      functions: options.functions,
      schedules: options.schedules,
      secret: options.secret,
      apiKey: options.apiKey,
      env,
      evictEveryMs: options.evictEveryMs,
      devTools: options.devTools,
      keepWarmMs: options.keepWarmMs,
      maxActorsInMemory: options.maxActorsInMemory,
      admission: options.admission,
      allowedHosts: [hostname, ...(options.allowedHosts ?? [])],
      logging,
      observer: options.observer,
      fetch: options.fetch,
      maxPayloadBytes: options.maxPayloadBytes,
      maxBodyBytes: options.maxBodyBytes
    },
    ports
  ).catch(async (error: unknown) => {
    pending.failed(error)
    await closeHttp()
    throw error
  })
  pending.ready(drainUnreadBody(host.app.fetch))

  // Event streams in flight (a follow, the console's live view): they last until their maxSeconds (600 at most), so
  // a shutdown ends them at once; their clients reconnect with Last-Event-ID, to the next server.
  const streams = new Map<Socket, ServerResponse>()
  http.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (!isEventStream(request)) return
    const socket = request.socket
    streams.set(socket, response)
    response.once("close", () => streams.delete(socket))
  })
  /** Until each stream's body has ended (its last chunk handed to the OS), at most STREAM_END_MS. */
  const streamsEnded = () =>
    Promise.race([
      Promise.all([...streams.values()].map((response) =>
        response.writableFinished ? undefined : new Promise((resolve) => (response.once("finish", resolve), response.once("close", resolve)))
      )),
      new Promise((resolve) => setTimeout(resolve, STREAM_END_MS).unref())
    ])

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      try {
        await shutDown()
      } finally {
        stopLoggingFaults() // also when the shutdown failed: no listener of a closed server stays in the process
      }
    })())
  const shutDown = async () => {
    process.off("SIGTERM", onSignal)
    process.off("SIGINT", onSignal)
    host.endStreams() // the app's streams end their bodies
    // No new step attempt begins; those running get the same grace as requests to end and be recorded.
    const drained = host.drain(graceMs)
    const closed = new Promise<void>((resolve) => http.close(() => resolve())) // stop accepting; idle connections close
    // Their bodies end first (destroyed at once, a chunked body lost its last chunk: curl exits 18, "partial file").
    await streamsEnded()
    // Not redundant with endStreams: without it the stream's connection still held close() (serve.test.ts fails).
    for (const socket of streams.keys()) socket.destroy()
    // Other requests get a grace to finish (a start's ?wait holds one up to 60 s); then their connections close.
    const grace = setTimeout(() => http.closeAllConnections(), graceMs)
    // close() drops the connections idle when it is called; one whose answer comes after (a ?wait the shutdown
    // ended) stays open for keep-alive and held the close ~3 s. Drop those as they go idle.
    const idle = setInterval(() => http.closeIdleConnections(), 50)
    await closed
    clearTimeout(grace)
    clearInterval(idle)
    await drained
    await host.close() // waits for in-flight appends, then closes the store (SQLite's are synchronous transactions)
  }
  const log = hostErrorLog(logging, env)
  // A shutdown that failed (the store's close, say) still ends the process, saying why: its rejection would
  // otherwise be one more logged rejection, and the process would linger with its listener closed.
  const onSignal = () =>
    void close().then(() => process.exit(0), (error: unknown) => {
      log.report("the shutdown failed", error)
      process.exit(1)
    })
  let stopLoggingFaults = () => {}
  if (options.handleSignals ?? true) {
    process.on("SIGTERM", onSignal)
    process.on("SIGINT", onSignal)
    stopLoggingFaults = logProcessFaults({
      rejection: (reason) => log.report("a promise was rejected and nothing handled it", reason),
      exception: (error, where) => log.report(`execution ${where.executionId} threw an exception nothing caught`, error, { ...where })
    })
  }

  return { url: serverUrl(hostname, port), port, authenticated: host.apiKey !== undefined, engine: host.engine, close }
}
