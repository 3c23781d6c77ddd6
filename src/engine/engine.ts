/**
 * The engine: starts executions and routes every message to the actor that owns the execution, loading it from
 * the store (a cold start, which replays) when it is not in memory. Adapters drive it; they never touch actors.
 */
import { Cause, Clock, Context, Effect, FiberSet, Layer, Logger, LogLevel, Queue, Random, References, Scheduler, type Scope, Stream } from "effect"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import { type ExecutionState, foldLog, type OperationState } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import { ExecutionStore } from "../store/execution-store.ts"
import { readLogPage } from "../store/log-page.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import { Actor, WATCHDOG_MS } from "./actor.ts"
import { SecureRandom, uuidOf } from "./secure-random.ts"
import { ActorGone, type CallbackOutcome, type ChildOutcome } from "./actor-messages.ts"
import { type CallbackIdCodec, plainCallbackIds } from "./callback-ids.ts"
import {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionNotFound,
  ExecutionNotPaused,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest
} from "./engine-errors.ts"
import { makeActorScheduler } from "./actor-scheduler.ts"
import { chooseEvictions, type EvictOptions } from "./eviction.ts"
import { EngineProbe, type EngineProbeShape, makeInvocationCounts } from "./engine-probe.ts"
import { ExecutionClient, type ExecutionClientShape, type ExecutionView, type ParentRef, type ReadFailure } from "./execution-client.ts"
import type { InvokerShape } from "./invoker.ts"
import { LifecycleLogs } from "./lifecycle-log.ts"
import { outcomeOf, viewOf } from "./execution-view.ts"
import { type DurableFunction, makeRegistry } from "./registry.ts"
import { checkedInput, sameExecution, startedEvent } from "./start-request.ts"
import { stopChildren } from "./stop-children.ts"

/** Actors run on microtasks, a slice at a time between turns of the event loop (actor-scheduler.ts). */
const actorScheduler = makeActorScheduler()

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024

export interface EngineOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly maxPayloadBytes?: number
  readonly callbackIds?: CallbackIdCodec
  /**
   * The clock of one execution; the test runner gives each its own virtual clock (an invoked child shares its
   * parent's, passed as `parentExecutionId`). Default: the ambient Clock.
   */
  readonly clockFor?: (executionId: string, parentExecutionId?: string) => Clock.Clock
  /** Where the children that `ctx.invoke` starts run (default: in this engine; see invoker.ts). */
  readonly invoker?: InvokerShape
  /** Told each time a step body starts (the test runner counts body runs with it). */
  readonly onStepBody?: (executionId: string, step: { readonly id: string; readonly name?: string | undefined }) => void
  /**
   * False where the store drops events that are not operations (Lambda's service keeps only operations): then
   * `ctx.patched` fails the execution with a ConfigurationError instead of flipping its answer on the next replay.
   */
  readonly keepsPatchMarkers?: boolean
}

/**
 * The engine: the client API, plus what a host drives. Test-only reads are on EngineProbe (engine-probe.ts),
 * provided beside it by `Engine.layer`.
 */
export interface EngineShape extends ExecutionClientShape {
  /** The store's alarm for this execution went off. */
  alarm(executionId: string): Effect.Effect<void, LogCorrupted | StoreFailure>
  /** A child started by `ctx.invoke` ended: its outcome goes to the parent's invoke operation. */
  childFinished(parent: ParentRef, outcome: ChildOutcome): Effect.Effect<void, LogCorrupted | StoreFailure>
  /** Drops the execution's actor from memory, as a crash or an eviction would. */
  evict(executionId: string): Effect.Effect<void>
  /**
   * Lets the execution run until nothing more can happen without the clock or the outside world. A step body
   * still running after `maxMs` (default 60 s) is a defect; adapters whose steps may legitimately run longer
   * (Lambda, bounded by its own timeout) pass Infinity.
   */
  settle(executionId: string, options?: { readonly maxMs?: number }): Effect.Effect<void>
  /**
   * Drops from memory the actors that are evictable (ended, or suspended on durable operations) and have been for
   * two event-loop turns; with options, only those that will stay suspended a while (eviction.ts). Its next alarm,
   * callback or child completion loads it again. Returns how many went.
   */
  evictIdle(options?: EvictOptions): Effect.Effect<number>
}

export class Engine extends Context.Service<Engine, EngineShape>()("reprise/engine/Engine") {
  /** The engine over the store, as three services: Engine (hosts), ExecutionClient (the HTTP app), EngineProbe (tests). */
  static layer(options: EngineOptions): Layer.Layer<Engine | ExecutionClient | EngineProbe, never, ExecutionStore> {
    return Layer.effectContext(Effect.map(makeEngine(options), ({ engine, probe }) =>
      Context.make(Engine, engine).pipe(Context.add(ExecutionClient, engine), Context.add(EngineProbe, probe))))
  }
}

export const makeEngine = Effect.fnUntraced(function*(
  options: EngineOptions
): Effect.fn.Return<{ readonly engine: EngineShape; readonly probe: EngineProbeShape }, never, ExecutionStore | Scope.Scope> {
  const store = yield* ExecutionStore
  const ambientClock = yield* Clock.Clock
  const random = yield* Random.Random
  const secureRandom = yield* SecureRandom
  const registry = makeRegistry(options.functions)
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  const callbackIds = options.callbackIds ?? plainCallbackIds
  const clockFor = options.clockFor ?? (() => ambientClock)
  const logLifecycle = yield* LifecycleLogs
  // The engine's own lines go where the actors' go: to the loggers and level of the context the engine was built in,
  // not the caller's.
  const loggers = yield* Logger.CurrentLoggers
  const minimumLevel = yield* References.MinimumLogLevel
  /** Whether a lifecycle line at `level` would be printed: lines that would not are not even made. */
  const logs = (level: LogLevel.Severity) => logLifecycle && !LogLevel.isLessThan(level, minimumLevel)
  /** A lifecycle line logged by the engine itself (the actor's own lines are annotated by its fiber). */
  const lifecycle = (state: ExecutionState, level: "Debug" | "Info", message: string) =>
    logLifecycle
      ? Effect.logWithLevel(level)(message).pipe(
        Effect.annotateLogs({ executionId: state.executionId, functionName: state.functionName }),
        Effect.provideService(Logger.CurrentLoggers, loggers),
        Effect.provideService(References.MinimumLogLevel, minimumLevel)
      )
      : Effect.void
  const actors = new Map<string, Actor>()
  const invocations = makeInvocationCounts()
  const countInvocation = invocations.count
  const endWaiters = new Map<string, Array<() => void>>()
  /** Who watches an execution's log (ExecutionClient.watch): told of every write its actor makes. */
  const watchers = new Map<string, Set<(events: ReadonlyArray<LogEvent>) => void>>()
  /** Forks actors and background work into a set that closing the engine's scope interrupts. */
  const runFork = yield* FiberSet.makeRuntime<never, unknown, unknown>()
  /**
   * Runs engine work that no caller waits for (starting a child, telling a parent). A failure is logged with its
   * cause; the work is not lost: a parent that reloads asks its running children again.
   */
  const background = (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) =>
    void runFork(effect.pipe(
      Effect.catchCause((cause) => (Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError(`${what} failed`, cause))),
      Effect.annotateLogs({ executionId })
    ))

  const spawn = (state: ExecutionState, fn: DurableFunction, alarmAt: number | undefined, watchdogAt?: number) =>
    Effect.gen(function*() {
      const id = state.executionId
      const actor: Actor = yield* Actor.make(state, {
        fn,
        store,
        clock: clockFor(id, state.parent?.executionId),
        random,
        secureRandom,
        callbackIds,
        maxPayloadBytes,
        keepsPatchMarkers: options.keepsPatchMarkers ?? true,
        logs,
        alarmAt,
        ...(watchdogAt === undefined ? {} : { watchdogAt }),
        onInvocation: () => countInvocation(id),
        onStepBody: options.onStepBody === undefined ? undefined : (step) => options.onStepBody!(id, step),
        onTerminal: (ended) => {
          const waiters = endWaiters.get(id)
          endWaiters.delete(id)
          for (const wake of waiters ?? []) wake()
          if (ended.parent !== undefined) background("telling the parent", id, invoker.childFinished(ended.parent, outcomeOf(ended)))
        },
        onInvoke: (op) => background(`starting the child of operation ${op.id}`, id, startChild(id, op)),
        onGone: () => {
          if (actors.get(id) === actor) actors.delete(id)
        },
        onWritten: (events) => {
          for (const watcher of watchers.get(id) ?? []) watcher(events)
        }
      }).pipe(Effect.provideService(Scheduler.Scheduler, actorScheduler)) // the mailbox takes its dispatcher from here
      actors.set(id, actor)
      runFork(actor.run, { scheduler: actorScheduler })
      return actor
    })

  /** The actor in memory, or a cold one loaded from the store (undefined: no such execution). */
  const actorFor = (executionId: string): Effect.Effect<Actor | undefined, LogCorrupted | StoreFailure> =>
    Effect.suspend(() => {
      const live = actors.get(executionId)
      if (live !== undefined && !live.gone) return Effect.succeed(live)
      return Effect.gen(function*() {
        const log = yield* store.load(executionId)
        if (log === undefined) return undefined
        const again = actors.get(executionId)
        if (again !== undefined && !again.gone) return again
        const state = foldLog(log.events)
        const fn = registry.get(state.functionName)
        if (fn === undefined) return yield* Effect.die(new FunctionNotFound({ functionName: state.functionName }))
        const alarmAt = yield* store.getAlarm(executionId)
        const actor = yield* spawn(state, fn, alarmAt)
        if (state.status === "RUNNING") yield* lifecycle(state, "Debug", `loaded from the store: ${log.events.length} events to replay`)
        return actor
      })
    })

  /** Sends a message; an actor that went away meanwhile is reloaded and the message sent once more. */
  const deliver = <E>(
    executionId: string,
    send: (actor: Actor) => Effect.Effect<void, E | ActorGone>
  ): Effect.Effect<boolean, Exclude<E, ActorGone> | LogCorrupted | StoreFailure> =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < 3; attempt++) {
        const actor = yield* actorFor(executionId)
        if (actor === undefined) return false
        const sent = yield* Effect.result(send(actor))
        if (sent._tag === "Success") return true
        if (!(sent.failure instanceof ActorGone)) return yield* Effect.fail(sent.failure as Exclude<E, ActorGone>)
      }
      return yield* Effect.die(new Error(`Execution ${executionId}: its actor kept going away`))
    })

  /** Records a child's outcome in its parent here (the parent's actor is loaded if it is not in memory). */
  const childFinished: EngineShape["childFinished"] = (parent, outcome) =>
    Effect.asVoid(deliver(parent.executionId, (a) => a.send<never>((reply) => ({ _tag: "ChildFinished", operationId: parent.operationId, outcome, reply }))))

  /** Starts an invoked child (idempotently) where children run; a child that cannot start, or has ended, answers at once. */
  const startChild = (parentId: string, op: OperationState) =>
    Effect.gen(function*() {
      const parent = { executionId: parentId, operationId: op.id }
      const childId = op.childExecutionId!
      const started = yield* Effect.result(invoker.start({
        functionName: op.functionName!,
        ...(op.input === undefined ? {} : { inputPayload: op.input }),
        executionId: childId,
        parent
      }))
      if (started._tag === "Failure") {
        const failure = started.failure
        return yield* childFinished(parent, { status: "FAILED", error: { errorType: failure._tag, errorMessage: failure.message } })
      }
      if (!started.success.created) {
        const outcome = yield* invoker.outcome(childId)
        if (outcome !== undefined) yield* childFinished(parent, outcome)
      }
    })

  /** The default invoker: children run in this engine. */
  const inProcess: InvokerShape = {
    start: (request) => start(request),
    outcome: (childId) => Effect.map(stateOf(childId), (child) => (child.status === "RUNNING" ? undefined : outcomeOf(child))),
    childFinished,
    stop: (childId, error) => engine.stop(childId, error)
  }
  const invoker = options.invoker ?? inProcess

  const stateOf = (executionId: string) =>
    Effect.gen(function*() {
      const live = actors.get(executionId)
      if (live !== undefined && !live.gone) return live.state
      const log = yield* store.load(executionId)
      if (log === undefined) return yield* new ExecutionNotFound({ executionId })
      return foldLog(log.events)
    })

  const callbackTarget = (callbackId: string) =>
    Effect.gen(function*() {
      const ref = yield* callbackIds.decode(callbackId)
      if (ref === undefined) return yield* new CallbackNotFound({ callbackId })
      return ref
    })

  const start: EngineShape["start"] = (request) =>
    Effect.gen(function*() {
      const fn = registry.get(request.functionName)
      if (fn === undefined) return yield* new FunctionNotFound({ functionName: request.functionName })
      const input = yield* checkedInput(request, maxPayloadBytes)
      // A fresh random id (122 bits) names no execution yet: only a given one is looked up (a read less per start).
      const executionId = request.executionId ?? uuidOf(secureRandom.bytes(16))
      const existing = request.executionId === undefined ? undefined : yield* store.load(executionId)
      if (existing !== undefined) return yield* repeatedStart(existing.events, fn.name, input, executionId)
      const now = clockFor(executionId, request.parent?.executionId).currentTimeMillisUnsafe()
      const first = startedEvent(fn, executionId, input, now, request.parent)
      // The start and its watchdog are one write: a crash right after it still leaves an alarm that resumes it.
      const watchdogAt = Math.min(now + WATCHDOG_MS, first.timeoutAt)
      const written = yield* Effect.result(store.append(executionId, [first], 0, { alarmAt: watchdogAt }))
      if (written._tag === "Failure") {
        if (written.failure._tag !== "SeqConflict") return yield* Effect.fail(written.failure)
        // Someone started the same id between our load and our append.
        const raced = yield* store.load(executionId)
        return yield* sameExecution(raced!.events[0]!, fn.name, input, executionId)
      }
      const state = foldLog(written.success)
      const by = request.parent === undefined ? "" : ` by ${request.parent.executionId} (operation ${request.parent.operationId})`
      yield* lifecycle(state, "Info", `started${by}`) // before the actor runs, so that it is the first line
      yield* spawn(state, fn, watchdogAt, watchdogAt)
      return { executionId, created: true }
    })

  /**
   * An idempotent repeat of a start answers with the first execution, and wakes it if it is running with nothing
   * to resume it (no actor here, and no alarm or one already overdue): a repeat is then the client's way out.
   */
  const repeatedStart = (events: ReadonlyArray<LogEvent>, functionName: string, input: string | undefined, executionId: string) =>
    Effect.tap(sameExecution(events[0]!, functionName, input, executionId), () =>
      Effect.gen(function*() {
        const live = actors.get(executionId)
        if ((live !== undefined && !live.gone) || foldLog(events).status !== "RUNNING") return
        const alarm = yield* store.getAlarm(executionId)
        const first = events[0]!
        const now = clockFor(executionId, first._tag === "ExecutionStarted" ? first.parent?.executionId : undefined).currentTimeMillisUnsafe()
        if (alarm === undefined || alarm <= now) yield* actorFor(executionId)
      }))

  const engine: EngineShape = {
    functions: [...registry.values()].map((fn) => ({
      name: fn.name,
      ...(fn.options.description === undefined ? {} : { description: fn.options.description })
    })),
    start,
    alarm: (executionId) => Effect.asVoid(deliver(executionId, (a) => a.send<never>((reply) => ({ _tag: "Alarm", reply })))),
    childFinished,
    completeCallback: (callbackId, outcome) =>
      Effect.gen(function*() {
        const ref = yield* callbackTarget(callbackId)
        const found = yield* deliver(ref.executionId, (a) =>
          a.send<CallbackNotFound | CallbackAlreadyCompleted | InvalidRequest>((reply) => ({
            _tag: "CompleteCallback",
            operationId: ref.operationId,
            callbackId,
            outcome,
            reply
          })))
        if (!found) return yield* new CallbackNotFound({ callbackId })
      }),
    heartbeatCallback: (callbackId) =>
      Effect.gen(function*() {
        const ref = yield* callbackTarget(callbackId)
        const found = yield* deliver(ref.executionId, (a) =>
          a.send<CallbackNotFound | CallbackAlreadyCompleted>((reply) => ({ _tag: "Heartbeat", operationId: ref.operationId, callbackId, reply })))
        if (!found) return yield* new CallbackNotFound({ callbackId })
      }),
    stop: (executionId, error, stopOptions) =>
      Effect.gen(function*() {
        const found = yield* deliver(executionId, (a) => a.send<ExecutionNotRunning>((reply) => ({ _tag: "Stop", error, reply })))
        if (!found) return yield* new ExecutionNotFound({ executionId })
        if (stopOptions?.children === false) return
        yield* stopChildren(invoker, yield* stateOf(executionId))
      }),
    pause: (executionId) =>
      Effect.gen(function*() {
        const found = yield* deliver(executionId, (a) => a.send<ExecutionNotRunning>((reply) => ({ _tag: "Pause", reply })))
        if (!found) return yield* new ExecutionNotFound({ executionId })
      }),
    resume: (executionId) =>
      Effect.gen(function*() {
        const found = yield* deliver(executionId, (a) => a.send<ExecutionNotPaused>((reply) => ({ _tag: "Resume", reply })))
        if (!found) return yield* new ExecutionNotFound({ executionId })
      }),
    describe: (executionId) => Effect.map(stateOf(executionId), viewOf),
    awaitEnd: (executionId) =>
      Effect.gen(function*() {
        const state = yield* stateOf(executionId)
        if (state.status === "RUNNING") {
          yield* Effect.callback<void>((resume) => {
            const list = endWaiters.get(executionId) ?? []
            const wake = () => resume(Effect.void)
            list.push(wake)
            endWaiters.set(executionId, list)
            return Effect.sync(() => {
              const remaining = endWaiters.get(executionId)?.filter((w) => w !== wake) ?? []
              if (remaining.length === 0) endWaiters.delete(executionId)
              else endWaiters.set(executionId, remaining)
            })
          })
        }
        return viewOf(yield* stateOf(executionId))
      }),
    history: (executionId, page) =>
      Effect.gen(function*() {
        const events = page?.limit === undefined
          ? (yield* store.load(executionId))?.events.slice(page?.after ?? 0)
          : yield* readLogPage(store, executionId, page.after ?? 0, page.limit)
        if (events === undefined) return yield* new ExecutionNotFound({ executionId })
        return events
      }),
    list: (query) => store.list(query),
    watch: (executionId, afterSeq) =>
      Stream.callback<LogEvent, ReadFailure>((queue) =>
        Effect.gen(function*() {
          let last = afterSeq
          let live = false
          const early: Array<LogEvent> = []
          /** Offers what is new, in order, once; ends after the terminal event. */
          const push = (events: ReadonlyArray<LogEvent>) => {
            for (const event of events) {
              if (event.seq <= last) continue
              last = event.seq
              Queue.offerUnsafe(queue, event)
              if (isTerminalEvent(event)) Queue.endUnsafe(queue)
            }
          }
          const watcher = (events: ReadonlyArray<LogEvent>) => (live ? push(events) : early.push(...events))
          // Watch first, then read: a write in between is in one or both, and `last` drops the repeat.
          const set = watchers.get(executionId) ?? new Set()
          watchers.set(executionId, set.add(watcher))
          yield* Effect.addFinalizer(() =>
            Effect.sync(() => {
              set.delete(watcher)
              if (set.size === 0 && watchers.get(executionId) === set) watchers.delete(executionId)
            })
          )
          const log = yield* store.load(executionId)
          if (log === undefined) return yield* new ExecutionNotFound({ executionId })
          live = true
          push(log.events)
          push(early)
          const end = log.events.at(-1)
          if (end !== undefined && isTerminalEvent(end)) Queue.endUnsafe(queue) // ended before the cursor
        })
      ),
    evict: (executionId) => Effect.sync(() => actors.get(executionId)?.evict()),
    settle: (executionId, settleOptions) =>
      Effect.gen(function*() {
        const actor = actors.get(executionId)
        if (actor === undefined) return
        yield* Effect.promise(() => actor.whenIdle(settleOptions?.maxMs))
        // Idle: the watchdog is no longer needed; the alarm falls back to the next timer.
        yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply })))
      }),
    evictIdle: (evictOptions) =>
      Effect.gen(function*() {
        const candidates = chooseEvictions([...actors.values()], evictOptions)
        if (candidates.length === 0) return 0
        // Suspend first: each alarm falls back to the next timer, without the watchdog.
        for (const actor of candidates) yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply })))
        // Then let whatever was about to happen (a resolved step continuing into its next call) happen.
        yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))
        let evicted = 0
        for (const actor of candidates) {
          if (!actor.evictable) continue
          actor.evict()
          evicted++
        }
        return evicted
      }),
  }
  const probe: EngineProbeShape = {
    actorCount: () => actors.size,
    inMemory: (executionId) => actors.has(executionId),
    invocations: invocations.of,
    nextOperationDue: (executionId) => actors.get(executionId)?.nextOperationDue(),
    alarmOf: (executionId) => store.getAlarm(executionId)
  }
  return { engine, probe }
})

