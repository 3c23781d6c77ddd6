/**
 * Everything that lives inside one execution's Durable Object: the engine (and so the actor) of that execution,
 * over the generic KV store on the object's own storage. The store answers for this execution only; the children
 * that `ctx.invoke` starts run in their own objects, reached through the engine's invoker port:
 *
 * - the invoker starts a child with an RPC to the child's object (idempotent: the object is named by the id), and
 *   asks it for its outcome when the parent reloads while the child was running;
 * - when this execution ends, the engine hands its outcome to the invoker, which calls the parent's object; the
 *   parent's engine records it in the live actor (no replay of the parent just to learn a child's result).
 *
 * Publishing to the listing index and notifying the parent happen after the log is written; what was published
 * and notified is recorded beside the log, so an object that wakes up (any call or alarm) catches up.
 */
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option, Scheduler } from "effect"
import type { DurableFunction } from "reprise"
import {
  type CallbackIdCodec,
  type ChildOutcome,
  Engine,
  type EngineShape,
  ExecutionNotFound,
  ExecutionObserver,
  type ExecutionObserverShape,
  type ForkRequest,
  type InvokerShape,
  type HistoryPage,
  isLiveStatus,
  type StartRequest,
  type StopOptions,
  WATCHDOG_MS,
  DEFAULT_MAX_PAYLOAD_BYTES
} from "reprise/engine"
import {
  type ErrorObject,
  eventKey,
  type ExecutionIndex,
  ExecutionStore,
  type ExecutionStoreShape,
  type ExecutionSummary,
  type LogEvent,
  makeKvExecutionStore
} from "reprise/store"
import { type EnvReader, type HostLogOptions, hostLoggingLayer } from "reprise/host"
import type { DurableObjectStorage, Stub } from "./cf-types.ts"
import { makeDurableObjectKV } from "./do-kv.ts"
import type { ExecutionRpc, QueueKeys } from "./execution-rpc.ts"
import type { FlowRpc } from "./flow-object.ts"
import { groupOf, makeQueuedOps, makeStepLimits, releaseOwed, RemoteSlot, sendRelease } from "./flow-execution.ts"
import { objectLog } from "./object-log.ts"
import { stepGateName } from "./step-gate.ts"
import { stopChain } from "./stop-chain.ts"
import { makeCatchUpAlarm } from "./catch-up-alarm.ts"
import { outcomeOf } from "./child-outcome.ts"
import { NOTIFIED, parentOf, parentOwed, refusedWhileParentOwed } from "./parent-owed.ts"
import type { IndexClient } from "./index-client.ts"
import { call, failureOfWire, fromWire, only, runWire, toWire } from "./wire.ts"

/** Durable Objects run their handlers on microtasks (request-owned timers can be dropped on Workers). */
export const objectScheduler = new Scheduler.MixedScheduler("sync")

export interface HostOptions {
  readonly executionId: string
  readonly storage: DurableObjectStorage
  readonly functions: ReadonlyArray<DurableFunction>
  readonly callbackIds: CallbackIdCodec
  readonly maxPayloadBytes?: number | undefined
  readonly index: IndexClient
  /** The object of another execution (a child or the parent). */
  readonly peer: (executionId: string) => Stub<ExecutionRpc>
  /** How soon a failed index publication or parent notification is tried again (default 5 s). */
  readonly retryDelayMs?: number | undefined
  /** The Worker's variables: REPRISE_LOG_LEVEL chooses the log lines of the execution's life (host-logger.ts). */
  readonly env?: EnvReader | undefined
  /** createWorker's `logging`: level, format or sink instead of the defaults (JSON lines on the console). */
  readonly logging?: HostLogOptions | undefined
  /** Told of every write: traces and metrics (reprise/otel). */
  readonly observer?: ExecutionObserverShape | undefined
  /** The FlowObject of a function with flow control (flow-object.ts). */
  readonly flow?: ((functionName: string) => Stub<FlowRpc>) | undefined
}

interface Meta { readonly seq: number; readonly summary: ExecutionSummary }

/** The execution id, kept in the object's storage for alarms, where the object's name may be missing. */
export const SELF = "reprise:self"
const INDEXED = "reprise:indexed"
/** How long after its last call an object looks whether its execution only waits (and can drop its watchdog). */
const IDLE_CHECK_MS = 1_000

export type Host = ReturnType<typeof makeHost>

export const makeHost = (options: HostOptions) => {
  const { executionId: self, index, peer, storage } = options
  const retryDelayMs = options.retryDelayMs ?? 5_000
  const log = objectLog(options.logging, options.env ?? (() => undefined))
  // A write that leaves something owed (the row, the parent, a slot) keeps the alarm near until it is sent; only one
  // that changed the summary (the append's body gives it; a step's gives undefined) can, so the others read nothing.
  const arm = (changed: unknown) => changed !== undefined && catchUp.ceiling() === undefined && owesSomething() && catchUp.arm()
  const kv = makeDurableObjectKV(storage, { inTransaction: arm, alarmCeiling: () => catchUp.ceiling() })
  const meta = () => storage.kv.get<Meta>("meta")
  let retryAt: number | undefined
  const catchUp = makeCatchUpAlarm({ storage, believed: kv.lastAlarm, delayMs: retryDelayMs })

  const scheduleRetry = (reason: unknown) => {
    log.report(`execution ${self}: will retry`, reason, { executionId: self })
    const at = Date.now() + retryDelayMs
    if (retryAt !== undefined && retryAt <= at) return
    retryAt = at
    void storage.getAlarm().then((current) => (current === null || current > at ? storage.setAlarm(at) : undefined)).catch(() => undefined)
  }

  /** Publishes to the index shard; what was published is recorded, a later version never overwritten by an older. */
  const publish = async (summary: ExecutionSummary, seq: number) => {
    try {
      await index.upsert(summary, seq)
      const marked = storage.kv.get<{ seq: number }>(INDEXED)
      if (marked === undefined || marked.seq <= seq) {
        const version = summary.version === undefined ? {} : { version: summary.version }
        const endedAt = summary.endedAt === undefined ? {} : { endedAt: summary.endedAt }
        storage.kv.put(INDEXED, { status: summary.status, startedAt: summary.startedAt, ...version, ...endedAt, seq })
      }
      await settleCatchUp()
    } catch (error) {
      scheduleRetry(error)
    }
  }

  /** Tells the parent's object that this execution ended, once (an unknown or ended parent also counts). */
  let notifying: Promise<void> | undefined
  const notifyParent = (): Promise<void> => (notifying ??= tellParent().finally(() => (notifying = undefined)))
  const tellParent = async () => {
    const m = meta()
    // A run that continued as new leaves the parent to the run that ends the chain (its ExecutionStarted names it).
    if (m === undefined || !parentOwed(storage.kv, m.summary)) return
    const parent = parentOf(storage.kv)!
    const outcome = outcomeOf(storage.kv.get(eventKey(m.seq))!)
    try {
      const answer = fromWire(await peer(parent.executionId).childFinished(parent.executionId, parent.operationId, outcome))
      // An unknown parent cannot take the outcome; an ended one no longer needs it.
      const failure = Exit.isFailure(answer) ? Cause.squash(answer.cause) : undefined
      if (failure !== undefined && !(failure instanceof ExecutionNotFound)) throw failure
      storage.kv.put(NOTIFIED, true)
      await settleCatchUp()
    } catch (error) {
      scheduleRetry(error)
    }
  }

  /** Whether the index row is behind the execution's summary. */
  const indexBehind = (m: Meta): boolean => {
    const indexed = storage.kv.get<{ status: string; startedAt: number; version?: string; endedAt?: number }>(INDEXED)
    // The version and the end as well: a rewind that failed again before its row was published leaves the status as
    // it was, not its end (nor its error, which the row shows). A mark written before either was kept reads as none,
    // so such an execution is published once more.
    return indexed?.status !== m.summary.status || indexed.startedAt !== m.summary.startedAt ||
      indexed.version !== m.summary.version || indexed.endedAt !== m.summary.endedAt
  }
  /** Whether the row, the parent or the flow slot has yet to hear of a change. */
  function owesSomething(): boolean {
    const m = meta()
    return m !== undefined && (indexBehind(m) || parentOwed(storage.kv, m.summary) || releaseOwed(storage.kv))
  }
  /** Once nothing is owed, the engine's alarm again. */
  const settleCatchUp = () => (owesSomething() ? Promise.resolve() : catchUp.settle())

  /** Catches up on what a crash may have cut short: the index row and the parent's notification. */
  const reconcile = async () => {
    const m = meta()
    if (m === undefined) return
    if (indexBehind(m)) await publish(m.summary, m.seq)
    await notifyParent()
    if (releaseOwed(storage.kv)) await releaseFlow()
    await dequeueUnlimited()
  }

  /**
   * Publishes what meta says once the current turn is over: the changes of one turn (a start and the end of an
   * execution that ran to its end without I/O) cost one index call, not one each. A publication cut short by a crash
   * is caught up by `reconcile` when the object wakes up.
   */
  let publishQueued = false
  let publishing: Promise<void> = Promise.resolve() // the last publication: a delete waits for it (else it may land after the removal)
  const published = () => new Promise((turn) => setTimeout(turn, 0)).then(() => publishing) // one queued this turn has begun by then
  const publishSoon = () => {
    if (publishQueued) return
    publishQueued = true
    setTimeout(() => {
      publishQueued = false
      const m = meta()
      if (m !== undefined) publishing = publish(m.summary, m.seq)
    }, 0)
  }

  const localIndex: ExecutionIndex = {
    // Not awaited: the write that changed the summary does not wait for the index (listing is eventually consistent).
    upsert: () => Effect.sync(publishSoon),
    get: () => Effect.sync(() => meta()?.summary),
    remove: (executionId) => Effect.promise(() => index.remove(executionId).catch((error) => log.report(`unindexing ${executionId}`, error, { executionId }))),
    list: () => Effect.die(new Error("An execution object does not list executions"))
  }
  const local = makeKvExecutionStore({ open: () => kv, index: localIndex })

  // The engine here only ever asks for its own execution: anything else is a bug, not a store that may recover.
  const notHere = (operation: string, executionId: string) =>
    Effect.die(new Error(`${operation}: execution ${executionId} is not hosted by the object of ${self}`))

  const store: ExecutionStoreShape = {
    load: (id) => (id === self ? local.load(id) : Effect.succeed(undefined)),
    readPage: (id, afterSeq, limit) => (id === self ? local.readPage!(id, afterSeq, limit) : Effect.succeed(undefined)),
    // The first append (a start, a queued start, a fork's adoption) also names the object in its storage, in the same turn, so
    // in the same commit (written after the execution's end, it cost a commit of its own).
    append: (id, events, expectedSeq, appendOptions) =>
      id !== self
        ? notHere("append", id)
        : expectedSeq === 0
        ? Effect.tap(local.append(id, events, expectedSeq, appendOptions), () => Effect.sync(() => storage.kv.put(SELF, self)))
        : local.append(id, events, expectedSeq, appendOptions),
    setAlarm: (id, at) => (id === self ? local.setAlarm(id, at) : notHere("setAlarm", id)),
    getAlarm: (id) => (id === self ? local.getAlarm(id) : Effect.succeed(undefined)),
    deleteAlarm: (id) => (id === self ? local.deleteAlarm(id) : notHere("deleteAlarm", id)),
    delete: (id) => (id === self ? local.delete(id) : notHere("delete", id)),
    summary: (id) => (id === self ? local.summary(id) : Effect.succeed(undefined)),
    list: () => Effect.die(new Error("An execution object does not list executions"))
  }

  /** The children of this execution run in their own objects; its own outcome goes to its parent's object. */
  const invoker: InvokerShape = {
    start: (request) =>
      call("start child", () => (flowFn(request.functionName) === undefined ? peer(request.executionId).start(request) : flowOf(request.functionName).start(request))),
    outcome: (childId) => call("child outcome", () => peer(childId).outcome(childId)),
    // The outcome is read back from storage, so that a retry after a crash sends the same one.
    childFinished: () => Effect.promise(() => notifyParent()),
    // The child's object stops it, and its own children in turn.
    stop: (childId, error) => call("stop child", () => peer(childId).stop(childId, error)),
    delete: (id) => call("delete with its parent", () => peer(id).deleteExecution(id)) // a child, or the chain's next run
  }

  // Flow control: the function's FlowObject counts; this object writes the queued execution's log and holds its slot.
  const flowOf = (name: string) => {
    if (options.flow === undefined) throw new Error("The FLOW_CONTROL binding (class FlowObject) is needed for functions with flow control")
    return options.flow(name)
  }
  const startedHere = () => storage.kv.get<Extract<LogEvent, { _tag: "ExecutionStarted" }>>(eventKey(1))
  let slot: RemoteSlot | undefined
  const slotOf = (fn: DurableFunction) => {
    if (fn.flow?.concurrency === undefined) return undefined
    slot ??= new RemoteSlot(() => flowOf(fn.name), self, groupOf(fn, startedHere()), storage.kv, log)
    return slot
  }
  const flowFn = (name: string | undefined) => options.functions.find((fn) => fn.name === name && fn.flow !== undefined)
  /** Marks this execution's slot as held: its FlowObject counted it already. */
  const holdSlot = (functionName: string | undefined) => {
    const fn = flowFn(functionName)
    const held = fn === undefined ? undefined : slotOf(fn)
    if (held !== undefined) held.held = true
  }
  // Through `store`, so that a queued start's first append names the object in the same commit, as a start's does.
  const queuedOps = makeQueuedOps({ self, store, functions: options.functions, maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES })
  /**
   * Tells the FlowObject this execution holds nothing any more (a stop while queued, a release cut short). Also when
   * it was queued under limits a deploy has since dropped, or of a function since removed: its FlowObject still keeps
   * it in its queue.
   */
  const releaseFlow = async () => {
    const started = startedHere()
    if (started === undefined || (flowFn(started.functionName) === undefined && (started.queue === undefined || options.flow === undefined))) return
    await sendRelease(() => flowOf(started.functionName), self, storage.kv, log)
  }

  /** Lets a QUEUED execution run (the FlowObject chose it, or see dequeueUnlimited): "run", or "gone" if it is not there or ended. */
  const dequeue = async (admittedAt: number): Promise<"run" | "gone"> => {
    const exit = await runtime.runPromiseExit(queuedOps.dequeue(admittedAt))
    if (exit._tag === "Failure") throw new Error(`dequeuing ${self} failed: ${Cause.pretty(exit.cause)}`)
    if (exit.value === "gone") return "gone"
    // The FlowObject took the slot when it chose it. Not on a repeat: the slot may have been given back since.
    if (exit.value === "dequeued") holdSlot(startedHere()?.functionName)
    // The actor is made now (a cold load of the RUNNING log), or is already there.
    await wire((engine) => engine.alarm(self))
    return "run"
  }

  /**
   * QUEUED under limits a deploy has since dropped: it runs at once, when its object is first reached with the new
   * code (any call), rather than at its FlowObject's next alarm (up to 30 s). The FlowObject, told, forgets it and
   * lets the rest of its queue go too.
   */
  const dequeueUnlimited = async () => {
    if (meta()?.summary.status !== "QUEUED") return
    const started = startedHere()
    if (started?.queue === undefined) return
    const fn = options.functions.find((f) => f.name === started.functionName)
    if (fn === undefined || fn.flow !== undefined) return // removed: QUEUED until a stop
    try {
      if ((await dequeue(Date.now())) === "run") await releaseFlow()
    } catch (error) {
      log.report(`execution ${self}: leaving a queue without limits (tried again when the object is next reached)`, error, { executionId: self })
    }
  }

  // Step-level limits across executions: a FlowObject per key (without the binding, counted in this object only).
  const stepLimits = options.flow === undefined
    ? undefined
    : makeStepLimits(self, storage.kv, (key) => flowOf(stepGateName(key)), () => void resumeAtGiveBack(), log)

  const services = Layer.mergeAll(Layer.succeed(ExecutionStore, store), Layer.succeed(Scheduler.Scheduler, objectScheduler))
  const runtime = ManagedRuntime.make(
    Engine.layer({
      functions: options.functions,
      callbackIds: options.callbackIds,
      invoker,
      externalFlow: { slot: (_id, fn) => slotOf(fn), ...(stepLimits === undefined ? {} : { stepLimit: (key, limit) => stepLimits.acquire(key, limit) }) },
      ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes })
    }).pipe(
      Layer.provideMerge(services),
      // The execution's life as JSON lines on the console, which Workers Logs (and wrangler tail) take as objects.
      Layer.provide(hostLoggingLayer({ format: "json", write: (line) => console.log(line), ...options.logging }, options.env ?? (() => undefined))),
      Layer.provide(Layer.succeed(ExecutionObserver, options.observer))
    )
  )
  const wire = <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E>) =>
    runWire((effect) => runtime.runPromiseExit(effect), Engine.use(use)).then((answer) => {
      const status = meta()?.summary.status
      if (status === "RUNNING" || status === "PAUSED") suspendSoon() // one that ended has no watchdog to drop
      return answer
    })

  // The object holds its execution in memory and never evicts it, so nothing else drops the watchdog: renewed at
  // each alarm, it would wake a suspended execution every 30 s for as long as it waits. A moment after a call that
  // leaves it running, an execution that only waits on durable operations drops it (its alarm becomes its next timer).
  let idleCheck: ReturnType<typeof setTimeout> | undefined
  function suspendSoon() {
    if (idleCheck !== undefined) return // one pending is enough (a client polling every 100 ms must not put it off)
    idleCheck = setTimeout(() => {
      idleCheck = undefined
      void runtime.runPromise(Engine.use((engine) => engine.suspendIdle(self))).then((busy) => busy && suspendSoon(), () => undefined)
    }, IDLE_CHECK_MS)
  }

  /** This new instance gave back tokens of bodies that went with the old one: the execution resumes, as at a turn. */
  async function resumeAtGiveBack() {
    const exit = await wire((engine) => engine.alarm(self))
    if (exit._tag === "Failure") log.report(`resuming ${self} after giving back its step tokens failed`, failureOfWire(exit), { executionId: self })
  }

  /** This execution's outcome once it has ended (undefined while it runs), for a parent that reloads. */
  const outcome = () =>
    wire(() =>
      Effect.sync(() => {
        const m = meta()
        // Running, paused, or continued as new: the parent hears from the run that ends the chain.
        return m === undefined || m.summary.endedAt === undefined || m.summary.status === "CONTINUED_AS_NEW"
          ? undefined
          : outcomeOf(storage.kv.get(eventKey(m.seq))!)
      })
    )

  /** After the handler: the alarm the engine believes in must stay armed (a fired alarm is gone). */
  const restoreAlarm = async () => {
    const m = meta()
    if (m === undefined || (await storage.getAlarm()) !== null) return
    const now = Date.now()
    const believed = kv.lastAlarm()
    let want = believed !== undefined && believed > now ? believed : now + (m.summary.status === "RUNNING" ? WATCHDOG_MS : retryDelayMs)
    if (retryAt !== undefined) want = Math.min(want, retryAt)
    await storage.setAlarm(want)
  }

  /** The view once the execution ended, or as it is after `maxMs`. */
  const awaitEnd = (engine: EngineShape, maxMs: number) =>
    Effect.flatMap(Effect.timeoutOption(engine.awaitEnd(self), maxMs), (ended) => (Option.isSome(ended) ? Effect.succeed(ended.value) : engine.describe(self)))

  void reconcile()

  return {
    start: (request: StartRequest) => wire((engine) => engine.start({ ...request, executionId: self })),
    startAndDescribe: (request: StartRequest, waitMs: number) =>
      wire((engine) =>
        Effect.flatMap(engine.start({ ...request, executionId: self }), (started) =>
          Effect.map(
            Effect.flatMap(engine.describe(self), (view) =>
              waitMs > 0 && isLiveStatus(view.status) ? awaitEnd(engine, waitMs) : Effect.succeed(view)),
            (view) => ({ started, view })
          ))
      ),
    describe: () => wire((engine) => engine.describe(self)),
    history: (page?: HistoryPage) => wire((engine) => engine.history(self, page)),
    summary: () => wire(() => Effect.sync(() => meta()?.summary)),
    awaitEnd: (maxMs: number) => wire((engine) => awaitEnd(engine, maxMs)),
    stop: async (error?: ErrorObject, stopOptions?: StopOptions) => {
      // A QUEUED execution is stopped here (no actor runs it) and leaves its FlowObject's queue.
      const stopped = await wire(() => queuedOps.stopQueued(error))
      if (stopped._tag === "Success" && stopped.value) {
        await releaseFlow()
        await notifyParent() // an invoked child stopped while queued: its parent's invoke ends STOPPED
        return toWire(Exit.void)
      }
      // A run that continued as new passes the stop on to the chain's current run (stop-chain.ts).
      const stopHere = () => wire((engine) => engine.stop(self, error, stopOptions))
      return stopChain({ self, peer, stopHere, describeHere: () => wire((engine) => engine.describe(self)) }, error, stopOptions)
    },
    enqueue: (request: StartRequest, queue: QueueKeys) => wire(() => queuedOps.enqueue(request, queue)),
    startAdmitted: (request: StartRequest) => {
      if (meta() === undefined) holdSlot(request.functionName) // the FlowObject counted it when it admitted the start
      return wire((engine) => engine.start({ ...request, executionId: self }))
    },
    dequeue,
    replaceInput: (request: StartRequest, notBefore: number) => wire(() => queuedOps.replaceInput(request, notBefore)),
    stepTurn: async (token: string) => {
      // No body here waits for it: the object restarted while one waited (workerd evicts an object with no request
      // in flight). The execution resumes now, as a dequeue does, and its replayed step asks for a token again;
      // without this it would wait for its watchdog (30 s).
      if (stepLimits === undefined || stepLimits.turn(token)) return
      const exit = await wire((engine) => engine.alarm(self))
      if (exit._tag === "Failure") log.report(`resuming ${self} at its step turn failed`, failureOfWire(exit), { executionId: self })
    },
    slotGranted: async () => {
      // Nothing here waits for it (the actor went away meanwhile): given back, so that the slot is not lost.
      if (slot === undefined || !slot.granted()) await releaseFlow()
    },
    pause: () => wire((engine) => engine.pause(self)),
    resume: () => wire((engine) => engine.resume(self)),
    rewind: (request: ForkRequest) => wire((engine) => engine.rewind(self, request)),
    // A parent owed its outcome is told first; while it cannot be, its child is kept (parent-owed.ts).
    deleteExecution: () =>
      published().then(notifyParent).then(() => wire((engine) => refusedWhileParentOwed(storage.kv, self, meta()?.summary) ?? engine.delete(self))),
    adopt: (events: ReadonlyArray<LogEvent>) => wire((engine) => engine.adopt(self, events)),
    completeCallback: (callbackId: string, outcome: Parameters<EngineShape["completeCallback"]>[1]) =>
      wire((engine) => engine.completeCallback(callbackId, outcome)),
    heartbeatCallback: (callbackId: string) => wire((engine) => engine.heartbeatCallback(callbackId)),
    /** A child ended: its outcome goes to the invoke operation that waits for it. */
    childFinished: (operationId: string, childOutcome: ChildOutcome) =>
      wire((engine) => engine.childFinished({ executionId: self, operationId }, childOutcome)),
    outcome,
    republish: async () => {
      const m = meta()
      if (m !== undefined) await index.upsert(m.summary, m.seq) // a failure reaches the caller, which may retry
      return toWire(Exit.succeed(m !== undefined))
    },
    alarm: async () => {
      retryAt = undefined
      catchUp.fired()
      const exit = await wire((engine) => engine.alarm(self))
      if (exit._tag === "Failure") log.report(`the alarm of execution ${self} failed`, failureOfWire(exit), { executionId: self })
      await reconcile()
      await restoreAlarm()
    },
    dispose: () => runtime.dispose()
  }
}
