/**
 * `reprise/deno`: serve durable functions on `Deno.serve`, with Deno KV as the store and its queue as the alarm clock.
 *
 * Deno owns the listening socket, the signals, the KV store and the queue listener (queue-wake-ups.ts); the
 * runtime-neutral host (src/host) does the rest: the keys (the callback-signing secret is kept in KV), resuming what
 * was running when the last process stopped, alarm delivery, idle eviction (so waiting executions cost only their
 * keys) and the shutdown order. SIGTERM/SIGINT: end open event streams, stop accepting requests, then close the host (refuse new queue
 * messages, which the queue delivers again later; let deliveries and in-flight writes finish; close KV).
 *
 * Self-hosted, `dbPath` puts the executions in a SQLite file instead (sqlite-storage.ts), with a timer for alarms.
 *
 * On Deno Deploy, KV is the managed, replicated database and several isolates may serve at once: appends stay
 * conditional on the log's head, so two isolates never both extend one log (the loser reloads). Call `serve` at the
 * top level of the entry module, so that the queue listener is registered while the module loads.
 */
import type { Effect, Layer } from "effect"
import type { DurableFunction, Schedule } from "reprise"
import type { EngineShape } from "reprise/engine"
import type { EngineProbe } from "reprise/testing"
import type { ExecutionObserverShape } from "reprise/engine"
import {
  DEFAULT_PORT,
  hostErrorLog,
  type HostOptions,
  type HostPorts,
  pendingFetch,
  resolvePort,
  resolveRequestTimeout,
  resolveShutdownGrace,
  type ScheduleStore,
  serverUrl,
  startHost
} from "reprise/host"
import { withBodyDeadline } from "reprise/http"
import { deno, envVar } from "./deno-api.ts"
import { kvPorts } from "./kv-ports.ts"
import { type DenoKvStore, openDenoKvStore } from "./kv-store.ts"
import { makeQueueWakeUps, type QueueWakeUps } from "./queue-wake-ups.ts"
import { openSqliteStorage, ownLocalKvFile, type SqliteFileStore } from "./sqlite-storage.ts"
import { logUncaughtExceptions } from "./uncaught-exceptions.ts"
import { logUnhandledRejections } from "./unhandled-rejections.ts"

/** Until `work` settles, or `ms` pass; the timer does not outlive it. */
const atMost = async (work: Promise<void>, ms: number): Promise<void> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

/**
 * The host's options served as reprise/node serves them (its docs in src/host/host.ts): the log (`logging`; pretty on
 * a terminal, else JSON lines), development aids (`devTools`, else $REPRISE_DEV_TOOLS), the start admission, the
 * payload and body limits, and the transport of `ctx.fetch`.
 */
type PassedHostOptions = Pick<HostOptions, "logging" | "devTools" | "admission" | "maxPayloadBytes" | "maxBodyBytes" | "fetch">

export interface ServeOptions extends PassedHostOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /** Cron starts of the functions (`schedule(name, { function, cron, … })`), their records kept in the same KV. */
  readonly schedules?: ReadonlyArray<Schedule>
  /**
   * The KV database: a file path, or a remote KV URL (default: $REPRISE_KV, else Deno's default database, which on
   * Deno Deploy is the project's managed KV).
   */
  readonly kvPath?: string
  /**
   * A SQLite file instead of Deno KV (self-hosted only: Deno Deploy has no files). reprise/node's store through Deno's
   * `node:sqlite` (`synchronous` and `locking` below), alarms on a timer; a step costs about a tenth of one on a KV
   * file. Not with `kvPath`.
   */
  readonly dbPath?: string
  /** With `dbPath`: as reprise/node's (default: $REPRISE_SYNCHRONOUS, else NORMAL; FULL also survives a power loss). */
  readonly synchronous?: "NORMAL" | "FULL"
  /** With `dbPath`: as reprise/node's (default: $REPRISE_SQLITE_LOCKING, else "normal"; "exclusive" keeps others out). */
  readonly locking?: "normal" | "exclusive"
  /** Default: $PORT, else 8787. 0 picks a free port. Ignored on Deno Deploy. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly hostname?: string
  /**
   * Names the server is reached by besides `localhost`, IP literals and `hostname` (the Host check against DNS
   * rebinding; also $REPRISE_ALLOWED_HOSTS, comma-separated). Off on Deno Deploy, which routes by host itself.
   */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Bearer key for the management routes (default: $REPRISE_API_KEY; none means local development, no auth). */
  readonly apiKey?: string
  /** The callback-signing secret (default: $REPRISE_SECRET, else generated once and kept in KV). */
  readonly secret?: string
  /**
   * How long a request's body may take to arrive in full, in ms (default: $REPRISE_REQUEST_TIMEOUT_MS, else 30,000,
   * as reprise/node's request timeout); past it the answer is 408. Deno.serve has no such deadline of its own, nor any
   * for the headers (Deno 2.9: a client that stopped halfway through them held its connection for good; put a proxy
   * in front to bound them).
   */
  readonly requestTimeoutMs?: number
  /** How often suspended actors are dropped from memory (default every 5 s). */
  readonly evictEveryMs?: number
  /** A suspended execution whose next timer is due within this many ms stays in memory (default 10 s). */
  readonly keepWarmMs?: number
  /** Past this many actors in memory, warm ones are dropped too, those due last first (default 10,000). */
  readonly maxActorsInMemory?: number
  /** How often alarms overdue by more than `sweepGraceMs` are delivered from the store (default every 30 s; 0: never). */
  readonly sweepEveryMs?: number
  /** How late an alarm must be before the periodic sweep delivers it instead of its queue message (default 5 s). */
  readonly sweepGraceMs?: number
  /**
   * At start, resume the executions whose alarm is due within the watchdog (they were running when the last process
   * stopped). Default true, except on Deno Deploy, where other isolates may be running them right now: there the
   * watchdog's queue message resumes them.
   */
  readonly resumeOnStart?: boolean
  /**
   * The server owns the process (default true): SIGTERM and SIGINT shut it down gracefully (where there are signals),
   * and a promise rejected with nothing to handle it (a step body's floating promise), or an exception nothing caught
   * thrown by a durable function's code (in a timer its step body set), is logged at error level instead of ending it.
   */
  readonly handleSignals?: boolean
  /**
   * How long a shutdown waits for requests in flight and for the step bodies running (no new one begins) before it
   * closes the host (default: $REPRISE_SHUTDOWN_GRACE_MS, else 5,000 ms), as reprise/node's.
   */
  readonly shutdownGraceMs?: number
  /** Told of every write: traces and metrics with reprise/otel's `otelObserver()` (docs/observability.md). */
  readonly observer?: ExecutionObserverShape
  /** Where failures of background work go (alarm deliveries, sweeps, eviction; default: the host's log, as JSON lines). */
  readonly onError?: (error: unknown, executionId?: string) => void
}

interface ServerBase {
  readonly url: string
  readonly port: number
  readonly authenticated: boolean
  /** Runs something on the server's engine (typed failures are thrown as themselves). */
  engine<A, E>(use: (engine: EngineShape) => Effect.Effect<A, E, EngineProbe>): Promise<A>
  close(): Promise<void>
}

/** A server on Deno KV. */
export interface Server extends ServerBase {
  readonly store: DenoKvStore
  /** The queue listener: its counters show what the messages (and the dispatcher) did. */
  readonly alarms: QueueWakeUps
}

/** A server on a SQLite file (`dbPath`). */
export interface SqliteServer extends ServerBase {
  readonly store: SqliteFileStore
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const

/** Whether the host's log goes to a terminal (then pretty, as on Node); false where Deno cannot tell (Deploy). */
const stderrIsTerminal = (): boolean => {
  try {
    return deno().stderr?.isTerminal() === true
  } catch {
    return false
  }
}

/**
 * Hono's env for each request: the peer's address, so that the console's login throttle counts per client as on Node
 * (without it every client shared one count, and five wrong keys from anyone locked the operator out for a minute).
 */
interface RequestEnv {
  readonly remoteAddress: string | undefined
}

/** The store and its ports, and what the server exposes of them. */
interface Storage {
  readonly ports: Layer.Layer<HostPorts | ScheduleStore>
  readonly exposed: Pick<Server, "store" | "alarms"> | Pick<SqliteServer, "store">
  /** Settles once the store's own background work (KV's queue listener) has ended, after the host closed. */
  readonly ended: () => Promise<void>
  /** Closes the store, when no host was started to do it. */
  readonly close: () => void
}

const kvStorage = async (options: ServeOptions): Promise<Storage> => {
  const path = options.kvPath ?? envVar("REPRISE_KV")
  const owner = await ownLocalKvFile(path) // refused here when another server holds the file
  let store: DenoKvStore
  try {
    store = await openDenoKvStore(path)
  } catch (error) {
    owner?.release()
    throw error
  }
  let listening: Promise<void> | undefined
  const alarms = makeQueueWakeUps({
    store,
    listen: (handler) => void (listening = store.kv.listenQueue(handler)),
    ...(options.sweepEveryMs === undefined ? {} : { sweepEveryMs: options.sweepEveryMs }),
    ...(options.sweepGraceMs === undefined ? {} : { sweepGraceMs: options.sweepGraceMs })
  })
  return {
    ports: kvPorts(store, alarms),
    exposed: { store, alarms },
    ended: async () => {
      await listening
      owner?.release()
    },
    close: () => {
      store.close()
      owner?.release()
    }
  }
}

const sqliteStorage = async (dbPath: string, options: ServeOptions): Promise<Storage> => {
  const { store, ports } = await openSqliteStorage(dbPath, options, envVar)
  return { ports, exposed: { store }, ended: () => Promise.resolve(), close: () => store.close() }
}

export function serve(options: ServeOptions & { readonly dbPath: string; readonly kvPath?: undefined }): Promise<SqliteServer>
export function serve(options: ServeOptions & { readonly dbPath?: undefined }): Promise<Server>
export function serve(options: ServeOptions): Promise<Server | SqliteServer>
export async function serve(options: ServeOptions): Promise<Server | SqliteServer> {
  const Deno = deno()
  if (options.dbPath !== undefined && options.kvPath !== undefined) {
    throw new Error("serve: kvPath (Deno KV) and dbPath (a SQLite file) name two stores; give one of them")
  }
  if (options.dbPath === undefined && (options.synchronous !== undefined || options.locking !== undefined)) {
    throw new Error("serve: synchronous and locking are settings of a SQLite file: they go with dbPath")
  }
  // A bad $PORT is refused before a store is opened; on Deno Deploy the port is ignored, so $PORT is not read.
  const port = envVar("DENO_DEPLOYMENT_ID") === undefined ? resolvePort(options.port, envVar) : options.port ?? DEFAULT_PORT
  const graceMs = resolveShutdownGrace(options.shutdownGraceMs, envVar)
  const requestTimeoutMs = resolveRequestTimeout(options.requestTimeoutMs, envVar)
  const storage = options.dbPath === undefined ? await kvStorage(options) : await sqliteStorage(options.dbPath, options)

  // The port is bound before the host starts (as reprise/node does): a server started on a port in use fails before
  // its host could resume executions or fire alarms. Requests that arrive while the host starts wait for it.
  const hostname = options.hostname ?? "127.0.0.1"
  const pending = pendingFetch<[Request, RequestEnv]>()
  // Aborted when the server starts to close: Deno.serve then drops the bodies still arriving, answered 503, not 400.
  const closingSignal = new AbortController()
  let http: ReturnType<typeof Deno.serve>
  try {
    http = Deno.serve({
      port,
      hostname,
      onListen: () => undefined // the caller says what it serves
      // A handler of declared parameters: given `pending.fetch` itself (declared `...args`), Deno.serve handed it
      // no request (every answer failed on `request.method`).
    }, (request, info) => {
      const timed = withBodyDeadline(request, requestTimeoutMs, closingSignal.signal)
      // Answered without reading the body (a 401, a 404): let its deadline go now rather than in 30 s.
      return Promise.resolve(pending.fetch(timed, { remoteAddress: info.remoteAddr.hostname }))
        .finally(() => void timed.body?.cancel().catch(() => undefined))
    })
  } catch (error) {
    storage.close() // no host started, so nothing else closes the store
    throw error
  }

  const logging = { terminal: stderrIsTerminal(), ...options.logging }
  const log = hostErrorLog(logging, envVar)
  const signals = options.handleSignals ?? true
  // Before the host starts: the step bodies it resumes set their timers at once, and only a timer set once this runs
  // is told apart (uncaught-exceptions.ts).
  const stopLoggingExceptions = signals
    ? logUncaughtExceptions((error, where) => log.report(`execution ${where.executionId} threw an exception nothing caught`, error, { ...where }))
    : () => {}
  const host = await startHost({
    functions: options.functions,
    schedules: options.schedules,
    secret: options.secret,
    apiKey: options.apiKey,
    env: envVar,
    evictEveryMs: options.evictEveryMs,
    keepWarmMs: options.keepWarmMs,
    maxActorsInMemory: options.maxActorsInMemory,
    resumeOnStart: options.resumeOnStart ?? envVar("DENO_DEPLOYMENT_ID") === undefined,
    allowedHosts: envVar("DENO_DEPLOYMENT_ID") === undefined ? [options.hostname ?? "127.0.0.1", ...(options.allowedHosts ?? [])] : "any",
    clientAddress: (c) => (c.env as RequestEnv | undefined)?.remoteAddress,
    onError: options.onError, // default: the host's log
    observer: options.observer,
    logging,
    devTools: options.devTools,
    admission: options.admission,
    maxPayloadBytes: options.maxPayloadBytes,
    maxBodyBytes: options.maxBodyBytes,
    fetch: options.fetch
  }, storage.ports).catch(async (error: unknown) => {
    stopLoggingExceptions()
    pending.failed(error)
    await http.shutdown()
    await storage.ended().catch(() => undefined) // the host closed KV, which ends the listener
    throw error
  })
  pending.ready((request, env) => host.app.fetch(request, env))

  // A shutdown that failed still ends the process, saying why (it lingered, its listeners gone, as on Node).
  const onSignal = () =>
    void close().then(() => Deno.exit(0), (error: unknown) => {
      log.report("the shutdown failed", error)
      Deno.exit(1)
    })
  const listenSignals = (on: boolean) => {
    for (const signal of SIGNALS) {
      try {
        if (on) Deno.addSignalListener(signal, onSignal)
        else Deno.removeSignalListener(signal, onSignal)
      } catch { /* no signals here (Deno Deploy) */ }
    }
  }
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      if (signals) listenSignals(false)
      host.endStreams() // open event streams end now: shutdown() waits for open requests
      // No new step attempt begins; those running get the same grace as requests to end and be recorded.
      const drained = host.drain(graceMs)
      closingSignal.abort()
      // Stop accepting; finish open requests. Deno.serve also waits, without a deadline, for each connection to end: one
      // whose client stalled in its body (answered 503 once shutdown began) held the close, and the process, until the
      // client left. After Node's grace the host closes anyway (a request still in the engine is answered 503); the
      // signal handler's exit then ends such a connection. (Aborting Deno.serve's signal once shutdown() has begun
      // throws an uncaught BadResource in Deno 2.9.)
      await atMost(http.shutdown(), graceMs)
      await drained
      try {
        await host.close()
        await storage.ended()
      } finally {
        stopLoggingRejections()
        stopLoggingExceptions()
      }
    })())
  const stopLoggingRejections = signals
    ? logUnhandledRejections((error) => log.report("a promise was rejected and nothing handled it", error))
    : () => {}
  if (signals) listenSignals(true)

  return { url: serverUrl(hostname, http.addr.port), port: http.addr.port, authenticated: host.apiKey !== undefined, ...storage.exposed, engine: host.engine, close }
}
