/**
 * The engine: starts executions and routes every message to the actor that owns the execution, loading it from
 * the store (a cold start, which replays) when it is not in memory. Adapters drive it; they never touch actors.
 */
import { Cause, Clock, Context, Effect, FiberSet, Layer, Logger, LogLevel, Option, Random, References, Scheduler, type Scope } from "effect"
import type { LogEvent } from "../log/events.ts"
import { type ExecutionState, foldLog } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import { formatTraceparent, spanIdOf, traceIdOf } from "../log/trace-ids.ts"
import { ExecutionStore } from "../store/execution-store.ts"
import { searchStore } from "../store/list-search.ts"
import { readLogPage } from "../store/log-page.ts"
import { isWritesFailing, StoreFailure } from "../store/store-errors.ts"
import { Actor } from "./actor.ts"
import { WATCHDOG_MS } from "./actor-alarm.ts"
import { SecureRandom, uuidV7Of } from "./secure-random.ts"
import { type LoadHooks, sharedLoads } from "./actor-loads.ts"
import { ActorGone } from "./actor-messages.ts"
import { plainCallbackIds } from "./callback-ids.ts"
import { ExecutionNotFound, FunctionNotFound } from "./engine-errors.ts"
import { makeActorScheduler } from "./actor-scheduler.ts"
import { chooseEvictions } from "./eviction.ts"
import { EngineProbe, type EngineProbeShape, makeInvocationCounts } from "./engine-probe.ts"
import { ExecutionClient, type ExecutionClientShape } from "./execution-client.ts"
import type { InvokerShape } from "./invoker.ts"
import { makeWriteListeners } from "./write-listeners.ts"
import { engineLifecycle, LifecycleLogs, UserLogLevel } from "./lifecycle-log.ts"
import { HAND_OVER, Ownership } from "./ownership.ts"
import { FlowLedger } from "./flow-ledger.ts"
import { outcomeOf, viewOf } from "./execution-view.ts"
import type { EngineOptions } from "./engine-options.ts"
import { type DurableFunction, makeRegistry } from "./registry.ts"
import { unregisteredFunction } from "./unregistered-function.ts"
import { checkedInput, sameExecution, startedEvent } from "./start-request.ts"
import { makeForkRewind } from "./fork-rewind.ts"
import { makeMessageOperations } from "./engine-messages.ts"
import { watchLog } from "./watch-log.ts"
import { continueRun, lastRun } from "./continue-as-new.ts"
import { startInvokedChild } from "./start-child.ts"
import { evictWhenIdle, suspendWhenIdle } from "./evict-when-idle.ts"
import type { FlowSlot } from "./flow-slots.ts"
import { makeEngineFlow } from "./flow-start.ts"
import type { FlowControl } from "./flow-options.ts"
import { engineStepLimits } from "./step-limits-shared.ts"
import { EndWaiters } from "./end-waiters.ts"
import { endedElsewhere, engineOwnership, sharedWatch } from "./engine-ownership.ts"
import type { EngineShape } from "./engine-shape.ts"
import { makeDrain } from "./engine-drain.ts"

/** Actors run on microtasks, a slice at a time between turns of the event loop (actor-scheduler.ts). */
const actorScheduler = makeActorScheduler()

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024
/** How long a concurrency slot waits for the step bodies an ended execution abandoned (docs/flow-control.md). */
export const STOPPED_BODY_GRACE_MS = 60_000

export type { EngineShape } from "./engine-shape.ts"

export class Engine extends Context.Service<Engine, EngineShape>()("reprise/engine/Engine") {
  /** The engine over the store, as three services: Engine (hosts), ExecutionClient (the HTTP app), EngineProbe (tests). */
  static layer(options: EngineOptions): Layer.Layer<Engine | ExecutionClient | EngineProbe, never, ExecutionStore> {
    return Layer.effectContext(Effect.map(makeEngine(options), ({ engine, probe }) =>
      Context.make(Engine, engine).pipe(Context.add(ExecutionClient, engine), Context.add(EngineProbe, probe))))
  }
}

/** How often a message is sent to a fresh actor of its execution when the one it reached went away. */
const DELIVERY_ATTEMPTS = 3

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
  const newExecutionId = () => uuidV7Of(ambientClock.currentTimeMillisUnsafe(), secureRandom.bytes(16)) // start order
  const logLifecycle = yield* LifecycleLogs
  const leases = Option.getOrUndefined(yield* Effect.serviceOption(Ownership))
  // Flow control's counts shared by those hosts (flow-ledger.ts); without it they are in this engine's memory.
  const flowLedger = Option.getOrUndefined(yield* Effect.serviceOption(FlowLedger))
  // The engine's own lines go where the actors' go: the loggers and level of the context it was built in, not the caller's.
  const loggers = yield* Logger.CurrentLoggers
  const minimumLevel = yield* References.MinimumLogLevel
  /** Whether a lifecycle line at `level` would be printed: lines that would not are not even made. */
  const logs = (level: LogLevel.Severity) => logLifecycle && !LogLevel.isLessThan(level, minimumLevel)
  const lifecycle = engineLifecycle(logLifecycle, loggers, minimumLevel)
  const userLogLevel = yield* UserLogLevel
  const actors = new Map<string, Actor>()
  const drain = makeDrain(actors)
  const invocations = makeInvocationCounts()
  const countInvocation = invocations.count
  const endWaiters = new EndWaiters()
  /** Who watches an execution's log (ExecutionClient.watch), and every execution's life: told of every write. */
  const watchers = new Map<string, Set<(events: ReadonlyArray<LogEvent>) => void>>()
  const listeners = yield* makeWriteListeners
  /** Forks actors and background work into a set that closing the engine's scope interrupts. */
  const runFork = yield* FiberSet.makeRuntime<never, unknown, unknown>()
  /** Engine work no caller waits for (starting a child, telling a parent): a failure is logged, the work not lost. */
  const background = (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) =>
    void runFork(effect.pipe(
      Effect.catchCause((cause) => (Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError(`${what} failed`, cause))),
      Effect.annotateLogs({ executionId })
    ))

  // Several hosts on one store (ownership.ts): an actor exists only on the host that holds the execution's lease.
  const ownership = leases === undefined ? undefined : engineOwnership(leases, actors, background, () => ambientClock.currentTimeMillisUnsafe())

  const stepLimit = options.externalFlow?.stepLimit ?? (yield* engineStepLimits(flowLedger, { clock: ambientClock, secureRandom, background }))
  /** Events written: the watchers of the execution and of every execution's life see them. */
  const written = (state: ExecutionState, events: ReadonlyArray<LogEvent>) => {
    watchers.get(state.executionId)?.forEach((watcher) => watcher(events))
    listeners.written(state, events)
  }
  /** An execution ended: who awaits its end is woken, its parent told (by the last run of a continued chain). */
  const ended_ = (ended: ExecutionState, told?: () => void) => {
    endWaiters.wake(ended.executionId)
    if (ended.parent !== undefined && ended.status !== "CONTINUED_AS_NEW") {
      // Until told, the child's alarm stays near (actor-alarm.ts tellingSince): a crash, or a failed telling, tells again.
      const tell = invoker.childFinished(ended.parent, outcomeOf(ended))
      background("telling the parent", ended.executionId, told === undefined ? tell : Effect.tap(tell, Effect.sync(told)))
    }
  }
  const spawn = (state: ExecutionState, fn: DurableFunction, alarmAt: number | undefined, watchdogAt?: number, slot?: FlowSlot, handlerAfterFirstMessage?: boolean) =>
    Effect.gen(function*() {
      const id = state.executionId
      if (slot === undefined && fn.flow !== undefined) slot = options.externalFlow?.slot(id, fn)
      const actor: Actor = yield* Actor.make(state, {
        fn,
        store,
        clock: clockFor(id, state.parent?.executionId ?? state.continuedFrom),
        random,
        secureRandom,
        callbackIds,
        maxPayloadBytes,
        maxResultBytes: options.maxResultBytes ?? maxPayloadBytes,
        fitError: options.fitError,
        fetch: options.fetch,
        invocation: options.invocation,
        keepsPatchMarkers: options.keepsPatchMarkers ?? true,
        logs,
        userLogLevel,
        alarmAt,
        handlerAfterFirstMessage,
        ...(watchdogAt === undefined ? {} : { watchdogAt }),
        onInvocation: () => countInvocation(id),
        slot,
        stepLimit: (key, limit, wanted) => stepLimit(key, limit, id, wanted),
        draining: drain.draining,
        onStepBody: options.onStepBody === undefined ? undefined : (step) => options.onStepBody!(id, step),
        onTerminal: (ended) => {
          releaseSlot()
          ended_(ended, () => actor.parentTold())
        },
        onInvoke: (op) => background(`starting the child of operation ${op.id}`, id, startInvokedChild(invoker, childFinished, state, op, listeners.sampled(state))),
        onGone: () => {
          releaseSlot()
          if (actors.get(id) !== actor) return
          actors.delete(id)
          if (ownership !== undefined) background("giving the execution back", id, ownership.release(id))
        },
        onWritten: (events) => written(state, events),
        sampled: listeners.sampled,
        // The next run starts where children do: in this engine, or in its own Durable Object.
        continueAsNew: continueRun((request) => invoker.start(request), (executionId, error) => invoker.stop(executionId, error))
      }).pipe(Effect.provideService(Scheduler.Scheduler, actorScheduler)) // the mailbox takes its dispatcher from here
      /**
       * The slot goes back once no step body of the execution runs: a body a stop abandoned (one that ignores its
       * signal) is still work under the limit, which protects what it calls (found by the Deno probe: 6 bodies at
       * once under a limit of 2 while executions were stopped). At most STOPPED_BODY_GRACE_MS.
       */
      const releaseSlot = () => {
        const held = slot
        if (held === undefined) return
        if (!actor.bodiesRunning) return held.release()
        void actor.bodiesSettled(STOPPED_BODY_GRACE_MS).then(() => held.release())
      }
      actors.set(id, actor)
      ownership?.madeActor(id)
      runFork(actor.run, { scheduler: actorScheduler })
      return actor
    })

  /**
   * The actor in memory, or a cold one loaded from the store (undefined: no such execution), one load at a time
   * (actor-loads.ts). `firstMessage`: the message to handle before the handler starts, put in the mailbox as the
   * actor is made, when this call loads it or joins a load that has not made it yet (else it is not asked).
   */
  const actorFor: (executionId: string, firstMessage?: (made: Actor) => void) => Effect.Effect<Actor | undefined, LogCorrupted | StoreFailure> =
    sharedLoads((executionId) => {
      const live = actors.get(executionId)
      return live === undefined || live.gone ? undefined : live
    }, (executionId, hooks) => load(executionId, hooks), (effect) => runFork(effect))

  const load = (executionId: string, hooks: LoadHooks): Effect.Effect<Actor | undefined, LogCorrupted | StoreFailure> =>
    Effect.gen(function*() {
      // A stop or a pause runs no step body: the gate does not hold it. Refused, an alarm's lease goes back.
      if (options.loadGate !== undefined && !hooks.firstMessages()) {
        yield* Effect.tapError(options.loadGate(executionId), () => giveBackUnused(executionId))
      }
      if (ownership !== undefined) yield* ownership.acquire(executionId, "wait")
      const log = yield* store.load(executionId)
      if (log === undefined) return yield* Effect.as(giveBackUnused(executionId), undefined)
      const state = foldLog(log.events)
      // No actor until the queue lets it run (flow-start.ts).
      if (state.status === "QUEUED") return yield* Effect.as(giveBackUnused(executionId), undefined)
      // A function removed by a deploy: a stop or a pause still reaches its executions (they run no user code).
      const fn = registry.get(state.functionName) ?? (hooks.firstMessages() ? unregisteredFunction(state.functionName) : undefined)
      if (fn === undefined) return yield* Effect.die(new FunctionNotFound({ functionName: state.functionName }))
      const alarmAt = yield* store.getAlarm(executionId)
      // Made meanwhile by what makes actors without a load (a start, a dequeue): that one runs it.
      const again = actors.get(executionId)
      if (again !== undefined && !again.gone) return again
      const first = log.events[0]!
      const slot = options.externalFlow !== undefined ? undefined : flow.slotOf(fn, state.input, first._tag === "ExecutionStarted" ? first.queue : undefined, executionId)
      const actor = yield* spawn(state, fn, alarmAt, undefined, slot, hooks.firstMessages())
      hooks.made(actor)
      if (state.status === "RUNNING") yield* lifecycle(state, "Debug", `loaded from the store: ${log.events.length} events to replay`)
      return actor
    })

  /** Gives back an execution taken for an actor that was not made (no such execution, or a start refused). */
  const giveBackUnused = (executionId: string) =>
    ownership === undefined || actors.has(executionId) ? Effect.void : ownership.release(executionId)

  /**
   * Sends a message; an actor that went away meanwhile is reloaded and the message sent once more. With
   * `beforeUserCode` (a stop, a pause: the same message, offered at once), an actor loaded for it handles it before
   * its handler starts, so that the replay does not begin the step that a crash (or a host's death) cut off.
   */
  const deliver = <E>(
    executionId: string,
    send: (actor: Actor) => Effect.Effect<void, E | ActorGone>,
    beforeUserCode?: (actor: Actor) => Effect.Effect<void, E | ActorGone>
  ): Effect.Effect<boolean, Exclude<E, ActorGone> | LogCorrupted | StoreFailure> =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < DELIVERY_ATTEMPTS; attempt++) {
        let offered: Effect.Effect<void, E | ActorGone> | undefined
        const first = beforeUserCode
        const actor = yield* actorFor(executionId, first === undefined ? undefined : (made) => void (offered = first(made)))
        if (actor === undefined) return false
        const sent = yield* Effect.result(offered ?? send(actor))
        if (sent._tag === "Success") return true
        if (!(sent.failure instanceof ActorGone)) return yield* Effect.fail(sent.failure as Exclude<E, ActorGone>)
      }
      // Each load's actor stopped before it took the message: its writes fail (a full disk, a store that is down), or
      // another host keeps taking it. Passing, so a 503 to try again (a 500 had read as final: the crash soak).
      return yield* new StoreFailure({
        operation: "deliver",
        reason: `execution ${executionId} stopped ${DELIVERY_ATTEMPTS} times before it took the message (are its writes failing?); nothing was recorded, try again`
      })
    })

  /** Records a child's outcome in its parent here (the parent's actor is loaded if it is not in memory). */
  const childFinished: EngineShape["childFinished"] = (parent, outcome) =>
    Effect.asVoid(deliver(parent.executionId, (a) => a.send<never>((reply) => ({ _tag: "ChildFinished", operationId: parent.operationId, outcome, reply }))))

  /** The default invoker: children run in this engine. */
  const inProcess: InvokerShape = {
    start: (request) => start(request),
    outcome: (childId) =>
      Effect.map(lastRun(childId, stateOf), (child) => (child.status === "RUNNING" || child.status === "QUEUED" ? undefined : outcomeOf(child))),
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

  const start: EngineShape["start"] = (request) =>
    Effect.gen(function*() {
      const fn = registry.get(request.functionName)
      if (fn === undefined) return yield* new FunctionNotFound({ functionName: request.functionName })
      const input = yield* checkedInput(request, maxPayloadBytes)
      // A fresh id (74 random bits) names no execution yet: only a given one is looked up (a read less per start).
      const executionId = request.executionId ?? newExecutionId()
      const existing = request.executionId === undefined ? undefined : yield* store.load(executionId)
      if (existing !== undefined) return yield* repeatedStart(existing.events, fn.name, input, executionId)
      if (fn.flow !== undefined && options.externalFlow === undefined) return yield* flowStart.start(fn as DurableFunction & { flow: FlowControl }, request, input, executionId)
      return yield* startNow(fn, request, input, executionId, undefined)
    })

  /** Writes a new execution's ExecutionStarted and runs it (holding its concurrency slot, under flow control). */
  const startNow = (fn: DurableFunction, request: Parameters<EngineShape["start"]>[0], input: string | undefined, executionId: string, slot: FlowSlot | undefined) =>
    Effect.gen(function*() {
      const now = clockFor(executionId, request.parent?.executionId ?? request.continuedFrom).currentTimeMillisUnsafe()
      const first = startedEvent(fn, executionId, input, now, request)
      // The start and its watchdog are one write: a crash right after it still leaves an alarm that resumes it.
      const watchdogAt = Math.min(now + WATCHDOG_MS, first.timeoutAt)
      if (ownership !== undefined && !(yield* ownership.acquire(executionId, "try"))) {
        // Held by another host: most likely starting the same id. Once it has written the start, that is the answer.
        const raced = yield* store.load(executionId)
        if (raced !== undefined) return yield* repeatedStart(raced.events, fn.name, input, executionId)
        yield* ownership.acquire(executionId, "wait")
      }
      const appended = yield* Effect.result(store.append(executionId, [first], 0, { alarmAt: watchdogAt }))
      if (appended._tag === "Failure") {
        yield* giveBackUnused(executionId)
        if (appended.failure._tag !== "SeqConflict") return yield* Effect.fail(appended.failure)
        // Someone started the same id between our load and our append.
        const raced = yield* store.load(executionId)
        if (raced === undefined) {
          // Refused with nothing written: the fence (several hosts), another host holding the id without its start yet.
          return yield* new StoreFailure({ operation: HAND_OVER, reason: `execution ${executionId} is being started on another host; try again` })
        }
        return yield* repeatedStart(raced.events, fn.name, input, executionId)
      }
      const state = foldLog(appended.success)
      listeners.written(state, appended.success) // the start is the one write no actor makes
      const by = request.parent === undefined ? "" : ` by ${request.parent.executionId} (operation ${request.parent.operationId})`
      yield* lifecycle(state, "Info", `started${by}`) // before the actor runs, so that it is the first line
      yield* spawn(state, fn, watchdogAt, watchdogAt, slot)
      return { executionId, created: true }
    })

  // Flow control (flow-start.ts): the queue, its recovery, and a queued execution's writes that no actor makes.
  const { flow, flowStart } = makeEngineFlow({
    store, clock: options.flowClock ?? ambientClock, background,
    // Kept outside (externalFlow): no queue here, nothing to recover.
    functions: options.externalFlow === undefined ? [...registry.values()] : [],
    severalHosts: ownership !== undefined, runNow: startNow,
    ledger: flowLedger, ownership, hasActor: (id) => actors.get(id)?.gone === false,
    // Kept outside (externalFlow): its queue's stops are the coordinator's.
    registered: options.externalFlow === undefined ? (name) => registry.has(name) : undefined,
    written: (events) => {
      const state = foldLog(events)
      // The watchers get the whole log (each skips what it has seen): a debounce's ExecutionInputReplaced is written
      // without telling anyone. The feed and the observer hear the newest event, once.
      watchers.get(state.executionId)?.forEach((watcher) => watcher(events))
      listeners.written(state, events.slice(-1))
      if (state.status !== "RUNNING" && state.status !== "QUEUED") ended_(state)
    },
    run: (events, fn, watchdogAt, slot) =>
      Effect.flatMap(Effect.succeed(foldLog(events)), (state) => Effect.andThen(lifecycle(state, "Info", "dequeued"), spawn(state, fn, watchdogAt, watchdogAt, slot)))
  })
  /** A repeat of a start answers with the first execution, and wakes it if nothing else would (no actor, no alarm due). */
  const repeatedStart = (events: ReadonlyArray<LogEvent>, functionName: string, input: string | undefined, executionId: string) =>
    Effect.tap(sameExecution(events[0]!, functionName, input, executionId), () =>
      Effect.gen(function*() {
        const live = actors.get(executionId)
        if ((live !== undefined && !live.gone) || foldLog(events).status !== "RUNNING") return
        const alarm = yield* store.getAlarm(executionId)
        const first = events[0]!
        const now = clockFor(executionId, first._tag === "ExecutionStarted" ? first.parent?.executionId : undefined).currentTimeMillisUnsafe()
        // While its writes fail the host's own retry resumes it (store-failure-retry.ts): the gate's refusal of this
        // wake-up is no reason to refuse a repeat whose answer is known.
        if (alarm === undefined || alarm <= now) yield* Effect.catchIf(actorFor(executionId), isWritesFailing, () => Effect.void)
      }))

  const forkRewind = makeForkRewind({
    store,
    registry,
    maxPayloadBytes,
    now: (executionId) => clockFor(executionId).currentTimeMillisUnsafe(),
    newExecutionId,
    // Dropped from the map first, so that its going does not give the execution back (the rewind writes it next).
    evict: (executionId) =>
      Effect.sync(() => {
        const actor = actors.get(executionId)
        actors.delete(executionId)
        actor?.evict()
      }),
    // With several hosts, a fork or rewind writes only under the execution's lease (as a start does).
    own: (executionId) => (ownership === undefined ? Effect.void : Effect.asVoid(ownership.acquire(executionId, "wait"))),
    wake: actorFor,
    written
  })

  const messages = makeMessageOperations({
    deliver, callbackIds, maxPayloadBytes, stateOf,
    invoker: () => invoker,
    mayTake: (executionId) => (ownership === undefined ? Effect.succeed(true) : ownership.acquire(executionId, "try")),
    stopQueued: flowStart.stopQueued,
    registered: (name) => registry.has(name)
  })

  const engine: EngineShape = {
    functions: [...registry.values()].map((fn) => ({
      name: fn.name,
      ...(fn.options.description === undefined ? {} : { description: fn.options.description })
    })),
    start,
    ...messages,
    childFinished,
    fork: forkRewind.fork,
    rewind: forkRewind.rewind,
    adopt: forkRewind.adopt,
    describe: (executionId) => Effect.flatMap(stateOf(executionId), (state) => Effect.map(flow.withPositions([viewOf(state)]), ([view]) => view!)),
    awaitEnd: (executionId) =>
      Effect.gen(function*() {
        const state = yield* stateOf(executionId)
        if (state.status === "RUNNING" || state.status === "QUEUED") {
          // With several hosts, the execution may end on another one: its end is seen in the store.
          yield* ownership === undefined ? endWaiters.wait(executionId) : Effect.raceFirst(endWaiters.wait(executionId), endedElsewhere(store, actors, executionId))
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
    list: (query) => Effect.flatMap(searchStore(store)(query), (page) => Effect.map(flow.withPositions(page.items), (items) => ({ ...page, items }))),
    watchLifecycle: listeners.feed.watch,
    watch: watchLog(store, watchers),
    evict: (executionId) => Effect.sync(() => actors.get(executionId)?.evict()),
    userCodeRunning: (executionId) => Effect.sync(() => actors.get(executionId)?.userCodeRunning === true),
    settle: (executionId, settleOptions) =>
      Effect.gen(function*() {
        const actor = actors.get(executionId)
        if (actor === undefined) return
        yield* Effect.promise(() => actor.whenIdle(settleOptions?.maxMs))
        // Idle: the watchdog is no longer needed; the alarm falls back to the next timer (unless it went on since).
        const seen = actor.activations
        yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply, seen })))
      }),
    // Suspended: the host builds this effect once and repeats it, so the candidates are chosen at each run.
    evictIdle: (evictOptions) => Effect.suspend(() => evictWhenIdle(chooseEvictions([...actors.values()], evictOptions))),
    suspendIdle: (executionId) => Effect.suspend(() => suspendWhenIdle(actors.get(executionId))),
    drain: drain.drain
  }
  const probe: EngineProbeShape = {
    actorCount: () => actors.size,
    inMemory: (executionId) => actors.has(executionId),
    invocations: invocations.of,
    nextOperationDue: (executionId) => actors.get(executionId)?.nextOperationDue(),
    timeoutAt: (executionId) => actors.get(executionId)?.state.timeoutAt,
    openView: (executionId) => (actors.get(executionId)?.gone === false ? viewOf(actors.get(executionId)!.state, true) : undefined),
    alarmOf: (executionId) => store.getAlarm(executionId)
  }
  // With several hosts, the log may be written on another host: a watch reads the store (watch-by-polling.ts), and the
  // lifecycle feed, unless a lifecycle bus brings it the other hosts' writes, is left out (GET /v1/events polls then).
  const { watchLifecycle: _thisHostOnly, ...shared } = engine
  const severalHosts = { ...(listeners.hearsEveryHost ? engine : shared), watch: sharedWatch(engine.history) }
  return { engine: ownership === undefined ? engine : severalHosts, probe }
})
