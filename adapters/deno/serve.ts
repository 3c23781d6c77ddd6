/**
 * `reprise/deno`: serve durable functions on `Deno.serve`, with Deno KV as the store and its queue as the alarm clock.
 *
 * Boot: open KV, keep or create the callback-signing secret in it, listen to the queue, resume what was running
 * when the last process stopped (its watchdog alarm is at most WATCHDOG_MS away), and serve the Hono app of
 * src/http. Suspended executions are dropped from memory (engine.evictIdle), so waiting executions cost only their
 * keys. A periodic sweep delivers alarms whose queue message was lost (a crash while it was being handled).
 * SIGTERM/SIGINT: stop accepting requests, refuse new queue messages (the queue delivers them again later), let
 * deliveries and in-flight writes finish, close KV.
 *
 * On Deno Deploy, KV is the managed, replicated database and several isolates may serve at once: appends stay
 * conditional on the log's head, so two isolates never both extend one log (the loser reloads). Call `serve` at the
 * top level of the entry module, so that the queue listener is registered while the module loads.
 */
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { WATCHDOG_MS } from "../../src/engine/index.ts"
import { Engine, type EngineShape } from "../../src/engine/engine.ts"
import type { EngineProbe } from "../../src/engine/engine-probe.ts"
import type { ExecutionClient } from "../../src/engine/execution-client.ts"
import type { DurableFunction } from "../../src/engine/registry.ts"
import { createApp } from "../../src/http/app.ts"
import { signedCallbackIds } from "../../src/http/signed-callback-ids.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { type AlarmQueue, makeAlarmQueue } from "./alarm-queue.ts"
import { deno, envVar } from "./deno-api.ts"
import { type DenoKvStore, openDenoKvStore } from "./kv-store.ts"

export interface ServeOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /**
   * The KV database: a file path, or a remote KV URL (default: $REPRISE_KV, else Deno's default database, which on
   * Deno Deploy is the project's managed KV).
   */
  readonly kvPath?: string
  /** Default: $PORT, else 8787. 0 picks a free port. Ignored on Deno Deploy. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly hostname?: string
  /** Bearer key for the management routes (default: $REPRISE_API_KEY; none means local development, no auth). */
  readonly apiKey?: string
  /** The callback-signing secret (default: $REPRISE_SECRET, else generated once and kept in KV). */
  readonly secret?: string
  /** How often suspended actors are dropped from memory (default every 5 s). */
  readonly evictEveryMs?: number
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
  /** Handle SIGTERM and SIGINT with a graceful shutdown (default true; ignored where signals are unavailable). */
  readonly handleSignals?: boolean
  /** Where failures of background work go (alarm deliveries, sweeps, eviction; default console.error). */
  readonly onError?: (error: unknown, executionId?: string) => void
}

export interface Server {
  readonly url: string
  readonly port: number
  readonly authenticated: boolean
  readonly store: DenoKvStore
  /** The queue listener: its counters show what the messages did. */
  readonly alarms: AlarmQueue
  /** Runs something on the server's engine (typed failures are thrown as themselves). */
  engine<A, E>(use: (engine: EngineShape) => Effect.Effect<A, E, EngineProbe>): Promise<A>
  close(): Promise<void>
}

export const serve = async (options: ServeOptions): Promise<Server> => {
  const Deno = deno()
  const onError = options.onError ?? ((error: unknown, id?: string) => console.error(`reprise${id === undefined ? "" : ` (execution ${id})`}:`, error))
  const store = await openDenoKvStore(options.kvPath ?? envVar("REPRISE_KV"))
  const onDeploy = envVar("DENO_DEPLOYMENT_ID") !== undefined
  let runtime: ManagedRuntime.ManagedRuntime<Engine | ExecutionClient | EngineProbe, never> | undefined
  let alarms: AlarmQueue | undefined
  let listening: Promise<void> | undefined
  const timers: Array<number> = []
  try {
    const secret = options.secret ?? envVar("REPRISE_SECRET") ?? await store.keptSecret()
    const apiKeyEnv = envVar("REPRISE_API_KEY")
    const apiKey = options.apiKey ?? (apiKeyEnv === "" ? undefined : apiKeyEnv)

    const run = async <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E, EngineProbe>): Promise<A> => {
      if (runtime === undefined) throw new Error("The server is closed")
      const exit = await runtime.runPromiseExit(Engine.use(use))
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    }
    const engineLayer = Engine.layer({ functions: options.functions, callbackIds: signedCallbackIds(secret) })
    runtime = ManagedRuntime.make(engineLayer.pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
    const queue = alarms = makeAlarmQueue({ store, deliver: (id) => run((e) => e.alarm(id)), onError })
    listening = store.kv.listenQueue(queue.handle)

    // Whatever was running when the last process stopped has its watchdog alarm within WATCHDOG_MS: resume it now.
    if (options.resumeOnStart ?? !onDeploy) await queue.sweep(Date.now() + WATCHDOG_MS + 1000)

    const every = (ms: number, work: () => Promise<unknown>) => {
      const id = setInterval(() => void work().catch((error: unknown) => onError(error)), ms) as unknown as number
      ;(Deno as unknown as { unrefTimer?: (id: number) => void }).unrefTimer?.(id)
      timers.push(id)
    }
    every(options.evictEveryMs ?? 5000, () => run((e) => e.evictIdle()))
    const sweepEveryMs = options.sweepEveryMs ?? 30_000
    if (sweepEveryMs > 0) every(sweepEveryMs, () => queue.sweep(Date.now() - (options.sweepGraceMs ?? 5000)))

    const app = createApp({ runtime, ...(apiKey === undefined ? {} : { apiKey }) })
    const hostname = options.hostname ?? "127.0.0.1"
    const http = Deno.serve({
      port: options.port ?? Number(envVar("PORT") ?? 8787),
      hostname,
      onListen: () => undefined // the caller says what it serves
    }, (request) => app.fetch(request))
    const port = http.addr.port

    let closing: Promise<void> | undefined
    const onSignal = () => void close().then(() => Deno.exit(0))
    const signals = options.handleSignals ?? true
    const close = () =>
      (closing ??= (async () => {
        if (signals) {
          for (const signal of ["SIGTERM", "SIGINT"] as const) {
            try {
              Deno.removeSignalListener(signal, onSignal)
            } catch { /* no signals here */ }
          }
        }
        await http.shutdown() // stop accepting; finish open requests
        for (const id of timers) clearInterval(id)
        await queue.stop()
        const rt = runtime
        runtime = undefined
        await rt?.dispose()
        store.close()
        await listening
      })())
    if (signals) {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        try {
          Deno.addSignalListener(signal, onSignal)
        } catch { /* no signals here (Deno Deploy) */ }
      }
    }

    return { url: `http://${hostname}:${port}`, port, authenticated: apiKey !== undefined, store, alarms: queue, engine: run, close }
  } catch (error) {
    for (const id of timers) clearInterval(id)
    await alarms?.stop()
    await runtime?.dispose()
    store.close()
    await listening?.catch(() => undefined)
    throw error
  }
}
