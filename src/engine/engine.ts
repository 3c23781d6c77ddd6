/**
 * The engine: starts executions and routes every message to the actor that owns the execution, loading it from
 * the store (a cold start, which replays) when it is not in memory. Adapters drive it; they never touch actors.
 */
import { Clock, Context, Effect, Fiber, Layer, Random, Scheduler, Scope } from "effect"
import { uuidFrom } from "../context/deterministic.ts"
import { durationToMillis } from "../context/duration.ts"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import { type ExecutionState, foldLog, type OperationState } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import { ExecutionStore } from "../store/execution-store.ts"
import type { ListPage, ListQuery } from "../store/execution-summary.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import { Actor } from "./actor.ts"
import { ActorGone, type CallbackOutcome, type ChildOutcome } from "./actor-messages.ts"
import { type CallbackIdCodec, plainCallbackIds } from "./callback-ids.ts"
import {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotFound,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest
} from "./engine-errors.ts"
import { type DurableFunction, makeRegistry } from "./registry.ts"

/**
 * Actors run on microtasks: a step's append wakes its actor without a trip through the event loop
 * (the default scheduler's setImmediate per wake-up cost more than the rest of a step). The actor
 * itself yields to the event loop every few batches, so a long run of steps cannot starve I/O.
 */
const actorScheduler = new Scheduler.MixedScheduler("sync")

/** Execution ids appear in URLs and storage keys. */
const EXECUTION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024
export const MAX_EXECUTION_TIMEOUT_MS = 366 * 24 * 3600 * 1000
export const DEFAULT_RETENTION_MS = 14 * 24 * 3600 * 1000

export interface EngineOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly maxPayloadBytes?: number
  readonly callbackIds?: CallbackIdCodec
  /**
   * The clock of one execution; the test runner gives each its own virtual clock (an invoked child shares its
   * parent's, passed as `parentExecutionId`). Default: the ambient Clock.
   */
  readonly clockFor?: (executionId: string, parentExecutionId?: string) => Clock.Clock
  /**
   * Who runs the executions that `ctx.invoke` starts: the engine itself (default), or something outside it
   * ("external": Lambda's durable-execution service runs chained invokes, and the adapter's store brings their
   * outcomes back in the log), in which case the engine starts no child execution.
   */
  readonly invokes?: "engine" | "external"
}

export interface StartRequest {
  readonly functionName: string
  readonly input?: unknown
  /** The input already serialised as JSON (used instead of `input`). */
  readonly inputPayload?: string
  /** Makes the start idempotent: a second start with the same id returns the first execution. */
  readonly executionId?: string
  /** The invoke operation that waits for this execution. */
  readonly parent?: { readonly executionId: string; readonly operationId: string }
}

export interface StartResult {
  readonly executionId: string
  /** False when the id already named an execution (an idempotent repeat). */
  readonly created: boolean
}

export interface ExecutionView {
  readonly executionId: string
  readonly functionName: string
  readonly status: ExecutionState["status"]
  readonly input?: string
  readonly result?: string
  readonly error?: ErrorObject
  readonly startedAt: number
  readonly endedAt?: number
  readonly operations: ReadonlyArray<OperationState>
}

type Missing = ExecutionNotFound | LogCorrupted | StoreFailure

export interface EngineShape {
  readonly functions: ReadonlyMap<string, DurableFunction>
  start(request: StartRequest): Effect.Effect<StartResult, FunctionNotFound | ExecutionAlreadyExists | InvalidRequest | LogCorrupted | StoreFailure>
  /** The store's alarm for this execution went off. */
  alarm(executionId: string): Effect.Effect<void, LogCorrupted | StoreFailure>
  completeCallback(callbackId: string, outcome: CallbackOutcome): Effect.Effect<void, CallbackNotFound | CallbackAlreadyCompleted | InvalidRequest | LogCorrupted | StoreFailure>
  heartbeatCallback(callbackId: string): Effect.Effect<void, CallbackNotFound | CallbackAlreadyCompleted | LogCorrupted | StoreFailure>
  stop(executionId: string, error?: ErrorObject): Effect.Effect<void, Missing | ExecutionNotRunning>
  describe(executionId: string): Effect.Effect<ExecutionView, Missing>
  /** Waits until the execution has ended (or the timeout passes) and describes it. */
  awaitEnd(executionId: string): Effect.Effect<ExecutionView, Missing>
  history(executionId: string): Effect.Effect<ReadonlyArray<LogEvent>, Missing>
  list(query: ListQuery): Effect.Effect<ListPage, StoreFailure>
  /** Drops the execution's actor from memory, as a crash or an eviction would. */
  evict(executionId: string): Effect.Effect<void>
  /**
   * Lets the execution run until nothing more can happen without the clock or the outside world. A step body
   * still running after `maxMs` (default 60 s) is a defect; adapters whose steps may legitimately run longer
   * (Lambda, bounded by its own timeout) pass Infinity.
   */
  settle(executionId: string, options?: { readonly maxMs?: number }): Effect.Effect<void>
  /**
   * Drops from memory every actor that is evictable (ended, or suspended on durable operations) and has been for
   * two event-loop turns. Its next alarm, callback or child completion loads it again. Returns how many went.
   */
  evictIdle(): Effect.Effect<number>
  /** How many actors are in memory. */
  actorCount(): number
  /** The store's alarm for an execution. */
  alarmOf(executionId: string): Effect.Effect<number | undefined, StoreFailure>
  /** The earliest operation timer of an execution in memory. */
  nextOperationDue(executionId: string): number | undefined
  inMemory(executionId: string): boolean
  /** How many times each execution's handler was invoked (1 + the cold replays). */
  invocations(executionId: string): number
}

export class Engine extends Context.Service<Engine, EngineShape>()("reprise/engine/Engine") {
  static layer(options: EngineOptions): Layer.Layer<Engine, never, ExecutionStore> {
    return Layer.effect(Engine, makeEngine(options))
  }
}

const serialiseInput = (input: unknown): string | undefined => {
  try {
    return input === undefined ? undefined : JSON.stringify(input)
  } catch (error) {
    throw new InvalidRequest({ reason: `The input is not serialisable as JSON: ${(error as Error).message}` })
  }
}

export const makeEngine = Effect.fnUntraced(function*(options: EngineOptions): Effect.fn.Return<EngineShape, never, ExecutionStore | Scope.Scope> {
  const store = yield* ExecutionStore
  const scope = yield* Effect.scope
  const ambientClock = yield* Clock.Clock
  const random = yield* Random.Random
  const services = yield* Effect.context<never>()
  const registry = makeRegistry(options.functions)
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  const callbackIds = options.callbackIds ?? plainCallbackIds
  const clockFor = options.clockFor ?? (() => ambientClock)
  const actors = new Map<string, Actor>()
  const invocations = new Map<string, number>()
  const endWaiters = new Map<string, Array<() => void>>()
  const fibers = new Set<Fiber.Fiber<void>>()
  yield* Scope.addFinalizer(scope, Effect.suspend(() => Fiber.interruptAll([...fibers])))
  /** Runs engine work that no caller waits for (notifying a parent, starting a child). */
  const background = (effect: Effect.Effect<unknown, unknown>) => {
    const fiber = Effect.runForkWith(services)(Effect.ignore(effect))
    fibers.add(fiber as Fiber.Fiber<void>)
    fiber.addObserver(() => fibers.delete(fiber as Fiber.Fiber<void>))
  }

  const spawn = (state: ExecutionState, fn: DurableFunction, alarmAt: number | undefined) =>
    Effect.gen(function*() {
      const id = state.executionId
      const actor: Actor = yield* Actor.make(state, {
        fn,
        store,
        clock: clockFor(id, state.parent?.executionId),
        random,
        callbackIds,
        maxPayloadBytes,
        alarmAt,
        onInvocation: () => void invocations.set(id, (invocations.get(id) ?? 0) + 1),
        onTerminal: (ended) => {
          const waiters = endWaiters.get(id)
          endWaiters.delete(id)
          for (const wake of waiters ?? []) wake()
          if (ended.parent !== undefined) background(notifyParent(ended.parent, outcomeOf(ended)))
        },
        onInvoke: (op) => {
          if (options.invokes !== "external") background(startChild(id, op))
        },
        onGone: () => {
          if (actors.get(id) === actor) actors.delete(id)
        }
      }).pipe(Effect.provideService(Scheduler.Scheduler, actorScheduler)) // the mailbox takes its dispatcher from here
      actors.set(id, actor)
      const fiber = Effect.runForkWith(services)(actor.run, { scheduler: actorScheduler })
      fibers.add(fiber)
      fiber.addObserver(() => fibers.delete(fiber))
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
        return yield* spawn(state, fn, alarmAt)
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

  const notifyParent = (parent: { executionId: string; operationId: string }, outcome: ChildOutcome) =>
    deliver(parent.executionId, (a) => a.send<never>((reply) => ({ _tag: "ChildFinished", operationId: parent.operationId, outcome, reply })))

  /** Starts an invoked child (idempotently); a child that cannot start, or has already ended, answers at once. */
  const startChild = (parentId: string, op: OperationState) =>
    Effect.gen(function*() {
      const parent = { executionId: parentId, operationId: op.id }
      const started = yield* Effect.result(start({
        functionName: op.functionName!,
        ...(op.input === undefined ? {} : { inputPayload: op.input }),
        executionId: op.childExecutionId!,
        parent
      }))
      if (started._tag === "Failure") {
        const failure = started.failure
        return yield* notifyParent(parent, { status: "FAILED", error: { errorType: failure._tag, errorMessage: failure.message } })
      }
      if (!started.success.created) {
        const child = yield* stateOf(op.childExecutionId!)
        if (child.status !== "RUNNING") yield* notifyParent(parent, outcomeOf(child))
      }
    })

  const viewOf = (state: ExecutionState): ExecutionView => ({
    executionId: state.executionId,
    functionName: state.functionName,
    status: state.status,
    ...(state.input === undefined ? {} : { input: state.input }),
    ...(state.result === undefined ? {} : { result: state.result }),
    ...(state.error === undefined ? {} : { error: state.error }),
    startedAt: state.startedAt,
    ...(state.endedAt === undefined ? {} : { endedAt: state.endedAt }),
    operations: [...state.operations.values()].map((op) => ({ ...op }))
  })

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
      const input = request.inputPayload ??
        (yield* Effect.try({ try: () => serialiseInput(request.input), catch: (e) => e as InvalidRequest }))
      if (input !== undefined && input.length * 3 > maxPayloadBytes && new TextEncoder().encode(input).length > maxPayloadBytes) {
        return yield* new InvalidRequest({ reason: `The input is over the ${maxPayloadBytes}-byte payload limit`, payloadTooLarge: true })
      }
      if (request.executionId !== undefined && !EXECUTION_ID.test(request.executionId)) {
        return yield* new InvalidRequest({
          reason: `An execution id must be 1-200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit; got ${JSON.stringify(request.executionId.slice(0, 210))}`
        })
      }
      const executionId = request.executionId ?? uuidFrom(() => random.nextDoubleUnsafe())
      const existing = yield* store.load(executionId)
      if (existing !== undefined) return yield* sameExecution(existing.events[0]!, fn.name, input, executionId)
      const timeoutMs = fn.options.executionTimeout === undefined
        ? MAX_EXECUTION_TIMEOUT_MS
        : Math.min(durationToMillis(fn.options.executionTimeout, "executionTimeout"), MAX_EXECUTION_TIMEOUT_MS)
      const retentionMs = fn.options.retention === undefined ? DEFAULT_RETENTION_MS : durationToMillis(fn.options.retention, "retention")
      const now = clockFor(executionId, request.parent?.executionId).currentTimeMillisUnsafe()
      const first: LogEvent = {
        _tag: "ExecutionStarted",
        seq: 1,
        at: now,
        executionId,
        functionName: fn.name,
        ...(input === undefined ? {} : { input }),
        timeoutAt: now + timeoutMs,
        retentionMs,
        ...(request.parent === undefined ? {} : { parent: request.parent })
      }
      const written = yield* Effect.result(store.append(executionId, [first], 0))
      if (written._tag === "Failure") {
        if (written.failure._tag !== "SeqConflict") return yield* Effect.fail(written.failure)
        // Someone started the same id between our load and our append.
        const raced = yield* store.load(executionId)
        return yield* sameExecution(raced!.events[0]!, fn.name, input, executionId)
      }
      yield* spawn(foldLog(written.success), fn, undefined)
      return { executionId, created: true }
    })

  return {
    functions: registry,
    start,
    alarm: (executionId) => Effect.asVoid(deliver(executionId, (a) => a.send<never>((reply) => ({ _tag: "Alarm", reply })))),
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
    stop: (executionId, error) =>
      Effect.gen(function*() {
        const found = yield* deliver(executionId, (a) => a.send<ExecutionNotRunning>((reply) => ({ _tag: "Stop", error, reply })))
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
    history: (executionId) =>
      Effect.gen(function*() {
        const log = yield* store.load(executionId)
        if (log === undefined) return yield* new ExecutionNotFound({ executionId })
        return log.events
      }),
    list: (query) => store.list(query),
    evict: (executionId) => Effect.sync(() => actors.get(executionId)?.evict()),
    settle: (executionId, settleOptions) =>
      Effect.gen(function*() {
        const actor = actors.get(executionId)
        if (actor === undefined) return
        yield* Effect.promise(() => actor.whenIdle(settleOptions?.maxMs))
        // Idle: the watchdog is no longer needed; the alarm falls back to the next timer.
        yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply })))
      }),
    alarmOf: (executionId) => store.getAlarm(executionId),
    evictIdle: () =>
      Effect.gen(function*() {
        const candidates = [...actors.values()].filter((a) => a.evictable)
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
    actorCount: () => actors.size,
    nextOperationDue: (executionId) => actors.get(executionId)?.nextOperationDue(),
    inMemory: (executionId) => actors.has(executionId),
    invocations: (executionId) => invocations.get(executionId) ?? 0
  }
})

const outcomeOf = (state: ExecutionState): ChildOutcome =>
  state.status === "SUCCEEDED"
    ? { status: "SUCCEEDED", ...(state.result === undefined ? {} : { result: state.result }) }
    : { status: state.status === "RUNNING" ? "FAILED" : state.status, ...(state.error === undefined ? {} : { error: state.error }) }

const sameExecution = (first: LogEvent, functionName: string, input: string | undefined, executionId: string) =>
  Effect.gen(function*() {
    if (first._tag !== "ExecutionStarted") return yield* Effect.die(new Error("unreachable: a log starts with ExecutionStarted"))
    if (first.functionName !== functionName) {
      return yield* new ExecutionAlreadyExists({ executionId, reason: `as an execution of ${JSON.stringify(first.functionName)}` })
    }
    if (first.input !== input) return yield* new ExecutionAlreadyExists({ executionId, reason: "with a different input" })
    return { executionId, created: false }
  })
