/**
 * The runtime-neutral host: what every long-running server (Node, Deno) does around the engine, given the ports its
 * runtime implements (the store, its alarm index and metadata, the wake-up source).
 *
 * Start: resolve the secret and the API key, build the engine, tick idle eviction (of what stays suspended a while:
 * src/engine/eviction.ts), start the wake-ups, and resume in
 * the background what was running when the last process died (recovery.ts), so that the server can listen while it
 * does. The layers are built in that order, so closing releases them in the shutdown order: stop recovery and the
 * wake-ups, wait for deliveries, dispose the engine, close the store.
 */
import { Cause, Clock, Context, Deferred, Effect, Exit, Layer, ManagedRuntime, Schedule } from "effect"
import type { Hono } from "hono"
import type { FetchTransport } from "../context/fetch.ts"
import type { EngineProbe } from "../engine/engine-probe.ts"
import { Engine, type ExecutionClient, ExecutionObserver, type ExecutionObserverShape } from "../engine/index.ts"
import type { DurableFunction } from "../engine/registry.ts"
import type { ClientAddress } from "../http/client-address.ts"
import { apiKeyRefusal, bodyLimitFor, createApp, signedCallbackIds, type StartAdmission } from "../http/index.ts"
import { ExecutionStore } from "../store/execution-store.ts"
import { schedulerLayer } from "./host-schedules.ts"
import type { Schedule as ScheduleDefinition } from "../schedule/schedule.ts"
import { Scheduler } from "../schedule/scheduler.ts"
import { AlarmDispatcher, type AlarmDispatcherShape, type HostErrorReporter, makeAlarmDispatcher } from "./alarm-dispatcher.ts"
import { AlarmStore } from "./alarm-store.ts"
import { hostErrorLog } from "./host-error-log.ts"
import { type HostLogOptions, hostLoggingLayer } from "./host-logger.ts"
import type { HostMetadata } from "./host-metadata.ts"
import { consoleSessionSecret, type EnvReader, HostSecret, resolveApiKey, resolveSecret } from "./host-secrets.ts"
import { recover, type RecoveryReport } from "./recovery.ts"
import { makeStoreFailureRetry } from "./store-failure-retry.ts"
import { WakeUpSource } from "./wake-up-source.ts"

export interface HostOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /** Cron starts of the functions (src/schedule); they need a ScheduleStore beside the ports. */
  readonly schedules?: ReadonlyArray<ScheduleDefinition> | undefined
  /** The callback-signing secret (default: $REPRISE_SECRET, else one kept in the store's metadata). */
  readonly secret?: string | undefined
  /** Bearer key for the management routes (default: $REPRISE_API_KEY; none means no auth). */
  readonly apiKey?: string | undefined
  /** How the runtime reads its environment. */
  readonly env: EnvReader
  /** How often suspended actors are dropped from memory (default every 5 s). */
  readonly evictEveryMs?: number | undefined
  /**
   * A suspended execution whose next timer is due within this many ms is not dropped (default 10 s): its wake-up
   * finds it in memory instead of replaying its log. Executions waiting on a callback or a child, or on a timer
   * further away, are dropped.
   */
  readonly keepWarmMs?: number | undefined
  /** Past this many actors in memory, warm ones are dropped too, those due last first (default 10,000). */
  readonly maxActorsInMemory?: number | undefined
  /** Alarm deliveries at once (default 32). */
  readonly concurrency?: number | undefined
  /** Resume, at start and in the background, what was running when the last process died (default true). */
  readonly resumeOnStart?: boolean | undefined
  /** Where failures of background work go (alarm deliveries, eviction; default: the host's log, host-error-log.ts). */
  readonly onError?: HostErrorReporter | undefined
  /**
   * The names the server is reached by, for the HTTP app's Host check (src/http/allowed-hosts.ts): the adapter's
   * bound hostname, plus the comma-separated $REPRISE_ALLOWED_HOSTS. "any" turns the check off.
   */
  readonly allowedHosts?: ReadonlyArray<string> | "any" | undefined
  /**
   * The client's address, for the console's login throttle (default: the Node socket's). A runtime whose requests
   * carry no Node socket must say, or every client shares one count and a guesser locks the operator out.
   */
  readonly clientAddress?: ClientAddress | undefined
  /** How `ctx.fetch` sends requests (default: the runtime's global fetch). */
  readonly fetch?: FetchTransport | undefined
  /** The log of executions' lives and the engine's failures (host-logger.ts): format, level, terminal, sink. */
  readonly logging?: HostLogOptions | undefined
  /** The HTTP app's development aids (AppOptions.devTools; default: $REPRISE_DEV_TOOLS is "1"). */
  readonly devTools?: boolean | undefined
  /** Told of every write: traces and metrics (reprise/otel's `otelObserver`), docs/observability.md. */
  readonly observer?: ExecutionObserverShape | undefined
  /** Starts served at once and waiting over HTTP; past them, 503 with Retry-After (src/http/start-admission.ts). */
  readonly admission?: StartAdmission | undefined
  /**
   * The largest payload an execution stores: its input, a step's result, its own result (default 256 KiB, AWS's
   * checkpoint limit). The store must hold an event this large.
   */
  readonly maxPayloadBytes?: number | undefined
  /** The largest request body the HTTP API accepts (default 1 MiB, or twice `maxPayloadBytes` when that is more). */
  readonly maxBodyBytes?: number | undefined
}

/** What the runtime provides. */
export type HostPorts = ExecutionStore | AlarmStore | HostMetadata | WakeUpSource

/** The start-up recovery's outcome: its report, or undefined when it was skipped or cut short by shutdown. */
export class HostRecovery extends Context.Service<HostRecovery, Deferred.Deferred<RecoveryReport | undefined>>()("reprise/host/HostRecovery") {}

/** The host as a layer over its ports. */
export const hostLayer = (options: HostOptions) =>
  Layer.unwrap(Effect.gen(function*() {
    const onError = options.onError ?? hostErrorLog(options.logging ?? {}, options.env).background
    const secret = yield* resolveSecret(options.secret, options.env)
    // The engine writes through a store that reports write failures, so that the executions they stopped are
    // resumed when the store is back (store-failure-retry.ts).
    const storeRetry = yield* makeStoreFailureRetry
    const engine = Engine.layer({
      functions: options.functions,
      callbackIds: signedCallbackIds(secret),
      loadGate: storeRetry.mayLoad,
      ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch })
    }).pipe(
      Layer.provide(Layer.effect(ExecutionStore, Effect.gen(function*() {
        return storeRetry.watch(yield* ExecutionStore)
      })))
    )
    const dispatcher = Layer.effect(
      AlarmDispatcher,
      Effect.gen(function*() {
        const engine = yield* Engine
        const dispatcher = yield* makeAlarmDispatcher({
          deliver: (executionId) => engine.alarm(executionId),
          concurrency: options.concurrency ?? 32,
          onError
        })
        yield* Effect.addFinalizer(() => dispatcher.close)
        return dispatcher
      })
    )
    const running = Layer.effect(HostRecovery, Effect.gen(function*() {
      const startedAt = yield* Clock.currentTimeMillis // before anything here can start an execution (recovery's horizon)
      const dispatcher = yield* AlarmDispatcher
      const engine = yield* Engine
      // Closed (a deploy stops the process this way), the idle executions go as an eviction lets them: each alarm
      // falls back to its next timer. Left at the watchdog, the next process's recovery takes them for executions a
      // crash cut short and replays them at once, on code the deploy may have changed so that they no longer replay
      // (before an operator could pause them). Added first, so run last: once recovery and the wake-ups have stopped.
      yield* Effect.addFinalizer(() => Effect.ignore(engine.evictIdle({})))
      // Schedules (src/schedule): records brought in line, then the ticks missed while down delivered by the loop.
      const scheduler = yield* Effect.serviceOption(Scheduler)
      if (scheduler._tag === "Some") yield* scheduler.value.start
      const evictOptions = { keepWarmMs: options.keepWarmMs ?? 10_000, maxInMemory: options.maxActorsInMemory ?? 10_000 }
      const evict = engine.evictIdle(evictOptions).pipe(Effect.catchCause((cause) => Effect.sync(() => onError(Cause.squash(cause)))))
      yield* Effect.forkScoped(Effect.repeat(evict, Schedule.spaced(options.evictEveryMs ?? 5000)))
      yield* storeRetry.run((executionId) => engine.alarm(executionId), onError)
      yield* (yield* WakeUpSource).start(dispatcher)
      if (scheduler._tag === "Some") yield* scheduler.value.run
      const recovered = yield* Deferred.make<RecoveryReport | undefined>()
      if (!(options.resumeOnStart ?? true)) return yield* Deferred.succeed(recovered, undefined).pipe(Effect.as(recovered))
      const recovery = recover({
        dispatcher,
        alarms: yield* AlarmStore,
        engine,
        concurrency: options.concurrency ?? 32,
        onError,
        startedAt
      }).pipe(
        Effect.catchCause((cause) => Effect.as(Effect.sync(() => onError(Cause.squash(cause))), undefined)),
        Effect.onExit((exit) => Deferred.succeed(recovered, Exit.isSuccess(exit) ? exit.value : undefined))
      )
      yield* Effect.forkScoped(recovery)
      return recovered
    }))
    // The engine (and the scheduler) take their logger, level and lifecycle switch from the context they are built in.
    return running.pipe(
      Layer.provideMerge(dispatcher),
      Layer.provideMerge(schedulerLayer({ functions: options.functions, schedules: options.schedules ?? [], onError })),
      Layer.provideMerge(engine),
      Layer.provideMerge(Layer.succeed(HostSecret, secret)),
      Layer.provide(hostLoggingLayer(options.logging ?? {}, options.env)),
      Layer.provide(Layer.succeed(ExecutionObserver, options.observer))
    )
  }))

export interface Host {
  /** The HTTP API (src/http) on this host's engine. */
  readonly app: Hono
  readonly apiKey: string | undefined
  readonly dispatcher: AlarmDispatcherShape
  /** Settles once the start-up recovery, which runs in the background, is over (undefined: skipped or cut short). */
  readonly recovered: Promise<RecoveryReport | undefined>
  /** Runs something on the engine (typed failures are thrown as themselves); tests may read the EngineProbe. */
  engine<A, E>(use: (engine: Engine["Service"]) => Effect.Effect<A, E, EngineProbe>): Promise<A>
  /**
   * Ends the open event streams (their clients reconnect with Last-Event-ID): the adapter calls it first when it
   * shuts down, before it waits for open requests, which a stream would hold until its `maxSeconds`.
   */
  endStreams(): void
  /**
   * The first step of a shutdown (Engine.drain): no new step attempt begins, and it resolves once those running have
   * ended and their outcomes are written, or after `maxMs`. The adapter calls it beside its own grace for requests.
   */
  drain(maxMs: number): Promise<void>
  /** Ends the streams, stops wake-ups, waits for deliveries, disposes the engine, closes the store (the ports' layer). */
  close(): Promise<void>
}

const hostsOf = (options: HostOptions): ReadonlyArray<string> | "any" =>
  options.allowedHosts === "any" ? "any" : [
    ...(options.allowedHosts ?? []),
    ...(options.env("REPRISE_ALLOWED_HOSTS") ?? "").split(",").map((name) => name.trim()).filter((name) => name !== "")
  ]

/** Starts the host on the runtime's ports; a failure to start releases what was built and rejects. */
export const startHost = async <E>(options: HostOptions, ports: Layer.Layer<HostPorts, E>): Promise<Host> => {
  // Checked before anything starts: a host that started and then refused its options would leave executions running.
  for (const name of ["maxPayloadBytes", "maxBodyBytes"] as const) {
    const value = options[name]
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) throw new TypeError(`${name} must be a positive integer, got ${String(value)}`)
  }
  // The app refuses such a key as it is built, which came after the engine had started and left it running.
  const apiKey = resolveApiKey(options.apiKey, options.env)
  const keyRefusal = apiKey === undefined ? undefined : apiKeyRefusal(apiKey)
  if (keyRefusal !== undefined) throw new TypeError(`${options.apiKey === undefined ? "REPRISE_API_KEY" : "apiKey"} ${keyRefusal}`)
  let runtime: ManagedRuntime.ManagedRuntime<Engine | ExecutionClient | EngineProbe | AlarmDispatcher | HostRecovery | HostSecret, unknown> | undefined = ManagedRuntime.make(
    hostLayer(options).pipe(Layer.provide(ports))
  )
  const context = await runtime.context().catch(async (error: unknown) => {
    await runtime?.dispose()
    throw error
  })
  const engine = async <A, E>(use: (engine: Engine["Service"]) => Effect.Effect<A, E, EngineProbe>): Promise<A> => {
    if (runtime === undefined) throw new Error("The server is closed")
    const exit = await runtime.runPromiseExit(Engine.use(use))
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }
  let closing: Promise<void> | undefined
  const streams = new AbortController()
  return {
    app: createApp({
      runtime,
      closing: streams.signal,
      allowedHosts: hostsOf(options),
      ...(options.clientAddress === undefined ? {} : { clientAddress: options.clientAddress }),
      consoleSessionSecret: consoleSessionSecret(Context.get(context, HostSecret), options.env),
      devTools: options.devTools ?? options.env("REPRISE_DEV_TOOLS") === "1",
      admission: options.admission,
      maxBodyBytes: options.maxBodyBytes ?? bodyLimitFor(options.maxPayloadBytes),
      // A 500's error in the host's log, as its other lines (not console.error's multi-line dump).
      onError: hostErrorLog(options.logging ?? {}, options.env).request,
      ...(apiKey === undefined ? {} : { apiKey })
    }),
    apiKey,
    dispatcher: Context.get(context, AlarmDispatcher),
    recovered: Effect.runPromise(Deferred.await(Context.get(context, HostRecovery))),
    engine,
    endStreams: () => streams.abort(),
    drain: (maxMs) => (runtime === undefined ? Promise.resolve() : engine((e) => e.drain(maxMs))),
    close: () => {
      streams.abort()
      const disposing = runtime
      runtime = undefined
      return (closing ??= disposing?.dispose() ?? Promise.resolve())
    }
  }
}
