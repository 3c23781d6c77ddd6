/**
 * Flow control over a FlowLedger (flow-ledger.ts), for several hosts on one store (docs/flow-control.md): the same
 * meaning as the in-memory flow control (flow-control.ts), but every slot and every start is counted by the ledger,
 * and the queue is the store's QUEUED executions in the ledger's order, so any host may dequeue the head once a slot
 * frees. Each host runs its own admission, woken by the ledger (a slot given back anywhere, its bounded poll) and by
 * its own timer at the next rate window or debounce end; a dequeue is a take in the ledger, then ExecutionDequeued
 * written under the execution's lease, so of two hosts racing for one execution only one runs it.
 */
import { type Clock, Deferred, Duration, Effect } from "effect"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import { foldLog } from "../log/fold.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import { RateLimited } from "./engine-errors.ts"
import type { StartRequest } from "./execution-client.ts"
import { type FlowKeys, flowKeysOf, loadedConcurrencyKey } from "./flow-keys.ts"
import type { FlowLedgerShape, LedgerAnswer, LedgerEntry, LedgerTake } from "./flow-ledger.ts"
import type { FlowControl } from "./flow-options.ts"
import type { FlowSlot } from "./flow-slots.ts"
import { forEachRunningUserCode } from "./flow-running.ts"
import type { FlowStartDeps } from "./flow-start.ts"
import type { OwnershipShape } from "./ownership.ts"
import type { DurableFunction } from "./registry.ts"
import { sameExecution, startedEvent } from "./start-request.ts"
import { realClearTimeout, realSetTimeout } from "../context/real-timers.ts"

type Limited = DurableFunction & { readonly flow: FlowControl }

/** A view or summary that may carry a queue position (flow-start.ts `EngineFlow`). */
export interface PositionedView {
  readonly executionId: string
  readonly status: string
  readonly functionName: string
}

export interface SharedFlowDeps extends Pick<FlowStartDeps, "store" | "clock" | "runNow" | "written"> {
  readonly store: ExecutionStoreShape
  readonly ledger: FlowLedgerShape
  /** With several hosts, a queued execution's writes happen under its lease, as every write does. */
  readonly ownership: OwnershipShape | undefined
  readonly functions: ReadonlyArray<Limited>
  readonly background: (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) => void
  /** Runs a dequeued execution (its log written, its watchdog alarm set) holding `slot`. */
  readonly run: (events: ReadonlyArray<LogEvent>, fn: DurableFunction, watchdogAt: number, slot: FlowSlot | undefined) => Effect.Effect<void>
  readonly watchdogMs: number
  /** Whether an actor of this engine runs the execution (it holds the lease: a flow operation must not give it back). */
  readonly hasActor: (executionId: string) => boolean
}

/** How long a resumed execution waiting for a slot sleeps when no wake-up comes (the ledger's poll is the backstop). */
const RESUME_RETRY_MS = 2_000

export const makeSharedFlow = (deps: SharedFlowDeps) => {
  const { store, clock, ledger, ownership } = deps
  const byName = new Map(deps.functions.map((fn) => [fn.name, fn]))
  const now = () => clock.currentTimeMillisUnsafe()
  // Taken for one flow operation and given back after it. An execution an actor of this engine runs is not queued,
  // and its lease is the actor's: "true" from acquire would only say that this host holds it already.
  const own = (executionId: string, mode: "try" | "wait") =>
    deps.hasActor(executionId) ? Effect.succeed(false) : ownership === undefined ? Effect.succeed(true) : ownership.acquire(executionId, mode)
  const giveBack = (executionId: string) => (ownership === undefined ? Effect.void : ownership.release(executionId))

  /** What a take of `fn` under these keys asks the ledger. */
  const takeOf = (fn: Limited, keys: FlowKeys, executionId: string, mode: LedgerTake["mode"]): LedgerTake => ({
    functionName: fn.name,
    executionId,
    now: now(),
    mode,
    ...(fn.flow.concurrency === undefined ? {} : { concurrency: { key: keys.concurrencyKey ?? "", limit: fn.flow.concurrency.limit } }),
    ...(fn.flow.rateLimit === undefined || mode === "resume"
      ? {}
      : {
        rate: {
          key: keys.rateKey ?? "",
          limit: fn.flow.rateLimit.limit,
          periodMs: fn.flow.rateLimit.periodMs,
          ...(fn.flow.rateLimit.refuse && mode !== "dequeue" ? { refuse: true } : {})
        }
      })
  })

  // ---- wake-ups: the ledger's (a slot freed anywhere, its poll) and this host's timer ----
  let wakers: Array<() => void> = []
  /** Resolves at the next wake-up, or after `ms` at the latest. */
  const nextWake = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = realSetTimeout(resolve, ms)
      wakers.push(() => {
        realClearTimeout(timer)
        resolve()
      })
    })
  ledger.onWake((functionName) => {
    if (functionName !== undefined && !byName.has(functionName)) return // a step limit's (step-limits-shared.ts), or not ours
    const woken = wakers
    wakers = []
    for (const wake of woken) wake()
    admitSoon()
  })

  /**
   * A slot in the ledger. Its operations run one after another (a give-back cannot overtake the take before it);
   * taking it again after a suspension waits, woken by the ledger, until the ledger has room.
   */
  const slotHandle = (fn: Limited, keys: FlowKeys, executionId: string, held: boolean): FlowSlot => {
    let isHeld = held
    let waiting: Promise<void> | undefined
    let generation = 0
    let chain: Promise<unknown> = Promise.resolve()
    const serially = <A>(effect: Effect.Effect<A, unknown>): Promise<A> => {
      const next = chain.then(() => Effect.runPromise(effect))
      chain = next.catch(() => {})
      return next
    }
    const giveBack = () =>
      void serially(ledger.release(executionId)).catch((error) =>
        deps.background("giving a flow-control slot back", executionId, Effect.logWarning("the slot lapses with this host's lease instead", error)))
    const takeAgain = async (mine: number) => {
      for (let tries = 0; generation === mine; tries++) {
        const answer = await serially(ledger.take(takeOf(fn, keys, executionId, "resume"))).catch(() => undefined)
        if (generation !== mine) return // given back meanwhile (the execution left memory): the release follows
        if (answer?._tag === "Taken") {
          isHeld = true
          waiting = undefined
          return
        }
        await nextWake(Math.min(RESUME_RETRY_MS, 50 * 2 ** tries))
      }
    }
    return {
      get held() {
        return isHeld
      },
      acquire: () => {
        if (isHeld) return undefined
        reserved.delete(executionId) // its "resume" take takes the slot held for it
        return waiting ??= takeAgain(generation)
      },
      release: () => {
        if (!isHeld && waiting === undefined) {
          // Left memory (ended, blocked) without taking the slot held for it since this host started: given back.
          if (reserved.delete(executionId)) giveBack()
          return
        }
        generation++
        isHeld = false
        waiting = undefined
        giveBack()
      }
    }
  }

  // ---- the slots of executions that were running when their host went down ----
  /** Executions this host holds a slot for since its start (below), until they take it or leave memory. */
  const reserved = new Set<string>()
  /** Done once those slots are held: until then no queued execution leaves the queue, and no start skips it. */
  const ready = Deferred.makeUnsafe<void>()
  let isReady = false

  /**
   * At start, before the queue moves: a slot held in the ledger for each RUNNING execution whose log shows it running
   * user code (a step attempt in flight, or nothing durable pending), as the in-memory flow control does
   * (flow-control.ts). Their slot rows lapsed with their host (or do soon), and the queue filled them first: the
   * interrupted executions waited for the queued starts, a whole round (the upgrade probe). The host resumes them;
   * a slot not taken within two watchdogs lapses.
   */
  const reserveRunning = Effect.gen(function*() {
    for (const fn of deps.functions) {
      const concurrency = fn.flow.concurrency
      if (concurrency === undefined) continue
      yield* forEachRunningUserCode(store, fn.name, (executionId, state, queue) =>
        ledger.reserve({ functionName: fn.name, executionId, key: loadedConcurrencyKey(concurrency.key, state.input, queue), forMs: 2 * deps.watchdogMs })
          .pipe(Effect.tap(() => Effect.sync(() => reserved.add(executionId)))))
    }
  })

  // ---- admission ----
  let admitting = false
  let again = false
  let timerAt = Infinity
  let timerGeneration = 0
  const admitSoon = () => deps.background("admitting queued executions", "", admit)

  const admit: Effect.Effect<void, unknown> = Effect.suspend(() => {
    if (!isReady) return Effect.void // the start's reservations admit once they are held
    if (admitting) {
      again = true
      return Effect.void
    }
    admitting = true
    return Effect.gen(function*() {
      do {
        again = false
        for (const fn of deps.functions) yield* admitFunction(fn)
      } while (again)
    }).pipe(Effect.ensuring(Effect.sync(() => {
      admitting = false
    })))
  })

  const PAGE = 100
  const admitFunction = (fn: Limited) =>
    Effect.gen(function*() {
      const entries = yield* ledger.queue(fn.name, PAGE)
      // Without key functions every start of the function counts in one group: once it is full, all wait.
      const oneGroup = fn.flow.concurrency?.key === undefined && fn.flow.rateLimit?.key === undefined
      let nextAt = Infinity
      let taken = 0
      for (const entry of entries) {
        const at = now()
        if (entry.notBefore > at) {
          nextAt = Math.min(nextAt, entry.notBefore)
          continue
        }
        const answer = yield* dequeue(fn, entry)
        if (answer === undefined) continue // another host is at it
        if (answer._tag === "Taken") {
          taken++
          continue
        }
        if (answer.rateOpensAt !== undefined) nextAt = Math.min(nextAt, answer.rateOpensAt)
        if (oneGroup) break
      }
      if (entries.length === PAGE && taken === PAGE) again = true
      if (nextAt < timerAt) arm(nextAt)
    })

  const arm = (at: number) => {
    timerAt = at
    const generation = ++timerGeneration
    deps.background("the queues' timer", "", Effect.gen(function*() {
      yield* clock.sleep(Duration.millis(Math.max(0, at - now())))
      if (generation !== timerGeneration) return
      timerAt = Infinity
      yield* admit
    }))
  }

  /** Lets one queued execution run if the ledger allows: undefined when another host holds it (dequeuing it). */
  const dequeue = (fn: Limited, entry: LedgerEntry) =>
    Effect.gen(function*() {
      const id = entry.executionId
      if (!(yield* own(id, "try"))) return undefined
      const keys: FlowKeys = entry
      const answer: LedgerAnswer = yield* Effect.onError(ledger.take(takeOf(fn, keys, id, "dequeue")), () => giveBack(id))
      if (answer._tag === "Full") {
        yield* giveBack(id)
        return answer
      }
      const undo = Effect.andThen(Effect.ignore(ledger.release(id)), giveBack(id))
      const log = yield* Effect.onError(store.load(id), () => undo)
      if (log === undefined || foldLog(log.events).status !== "QUEUED") {
        yield* undo
        return undefined
      }
      const started = log.events[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>
      const at = answer.at // the time the ledger counted it at, so that the log's rate windows are the ledger's
      const event: LogEvent = { _tag: "ExecutionDequeued", seq: log.events.length + 1, at, timeoutAt: at + (started.timeoutAt - started.at) }
      const watchdogAt = Math.min(at + deps.watchdogMs, event.timeoutAt)
      const written = yield* Effect.result(store.append(id, [event], log.events.length, { alarmAt: watchdogAt }))
      if (written._tag === "Failure") {
        yield* undo
        // Stopped (or written by someone else) meanwhile: it is no longer ours to run.
        if (written.failure._tag === "SeqConflict") return undefined
        return yield* Effect.fail(written.failure)
      }
      // The lease stays: the actor holds it now, and gives it back when it leaves memory.
      yield* deps.run([...log.events, ...written.success], fn, watchdogAt, fn.flow.concurrency === undefined ? undefined : slotHandle(fn, keys, id, true))
      return answer
    })

  /** The QUEUED execution a debounced start collapses into (its input replaced, its period restarted), if any. */
  const debouncedInto = (fn: Limited, keys: FlowKeys, input: string | undefined) =>
    Effect.gen(function*() {
      if (fn.flow.debounce === undefined || keys.debounceKey === undefined) return undefined
      const id = yield* ledger.debouncing(fn.name, keys.debounceKey)
      if (id === undefined || !(yield* own(id, "wait"))) return undefined
      return yield* Effect.gen(function*() {
        const log = yield* store.load(id)
        if (log === undefined || foldLog(log.events).status !== "QUEUED") return undefined
        const at = now()
        const event: LogEvent = {
          _tag: "ExecutionInputReplaced",
          seq: log.events.length + 1,
          at,
          ...(input === undefined ? {} : { input }),
          notBefore: at + fn.flow.debounce!.periodMs
        }
        const written = yield* Effect.result(store.append(id, [event], log.events.length))
        if (written._tag === "Failure") {
          if (written.failure._tag === "SeqConflict") return undefined // dequeued or stopped meanwhile: a new execution
          return yield* Effect.fail(written.failure)
        }
        admitSoon() // its timer moves
        return id
      }).pipe(Effect.ensuring(giveBack(id)))
    })

  const start = (fn: Limited, request: StartRequest, input: string | undefined, executionId: string) =>
    Effect.gen(function*() {
      yield* Deferred.await(ready)
      const keys = yield* flowKeysOf(fn, input, request.priority)
      const collapsed = yield* debouncedInto(fn, keys, input)
      if (collapsed !== undefined) return { executionId: collapsed, created: false, queued: true }
      const refuses = fn.flow.rateLimit?.refuse === true
      if (fn.flow.debounce === undefined || refuses) {
        // The slot (and the place in the rate window) is taken before the write; given back if the write fails. A
        // debounced start is queued whatever the limits: it only asks whether a refusing rate limit refuses it.
        const answer = yield* ledger.take(takeOf(fn, keys, executionId, fn.flow.debounce === undefined ? "start" : "check"))
        if (answer._tag === "Taken") {
          const slot = fn.flow.concurrency === undefined ? undefined : slotHandle(fn, keys, executionId, true)
          return yield* deps.runNow(fn, request, input, executionId, slot).pipe(Effect.tapError(() =>
            slot === undefined ? Effect.ignore(ledger.release(executionId)) : Effect.sync(() => slot.release())
          ))
        }
        if (refuses && answer.rateOpensAt !== undefined) {
          return yield* new RateLimited({ functionName: fn.name, retryAfterMs: Math.max(1, answer.rateOpensAt - now()) })
        }
      }
      const at = now()
      const debounce = fn.flow.debounce
      const first: LogEvent = {
        ...startedEvent(fn, executionId, input, at, request),
        queue: { ...keys, ...(debounce === undefined ? {} : { notBefore: at + debounce.periodMs }) }
      }
      // No alarm: a QUEUED execution has nothing due; every host's admission finds it in the ledger's queue.
      yield* own(executionId, "wait")
      const written = yield* Effect.result(store.append(executionId, [first], 0)).pipe(Effect.ensuring(giveBack(executionId)))
      if (written._tag === "Failure") {
        if (written.failure._tag !== "SeqConflict") return yield* Effect.fail(written.failure)
        const raced = yield* store.load(executionId)
        return yield* sameExecution(raced!.events[0]!, fn.name, input, executionId)
      }
      admitSoon()
      return { executionId, created: true, queued: true }
    })

  /** Stops a QUEUED execution: ExecutionStopped written, under its lease, without anything having run. */
  const stopQueued = (executionId: string, error: ErrorObject | undefined) =>
    Effect.gen(function*() {
      const log = yield* store.load(executionId)
      if (log === undefined || foldLog(log.events).status !== "QUEUED") return false
      if (!(yield* own(executionId, "wait"))) return false
      const first = log.events[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>
      const at = now()
      const stopped: LogEvent = { _tag: "ExecutionStopped", seq: log.events.length + 1, at, ...(error === undefined ? {} : { error }) }
      return yield* store.append(executionId, [stopped], log.events.length, { alarmAt: at + first.retentionMs }).pipe(
        Effect.map((done) => {
          deps.written([...log.events, ...done])
          return true
        }),
        Effect.catchTag("SeqConflict", () => Effect.succeed(false)),
        Effect.ensuring(giveBack(executionId))
      )
    })

  /**
   * QUEUED views with their place in the shared queue, asked of the ledger (one query per function listed). A
   * ledger that fails leaves them without it: describe and list still answer.
   */
  const withPositions = <V extends PositionedView>(views: ReadonlyArray<V>): Effect.Effect<ReadonlyArray<V>> => {
    const queuedIds = new Map<string, Array<string>>()
    for (const view of views) {
      if (view.status !== "QUEUED" || !byName.has(view.functionName)) continue
      const ids = queuedIds.get(view.functionName)
      if (ids === undefined) queuedIds.set(view.functionName, [view.executionId])
      else ids.push(view.executionId)
    }
    if (queuedIds.size === 0) return Effect.succeed(views)
    return Effect.forEach([...queuedIds], ([functionName, ids]) => ledger.positions(functionName, ids)).pipe(
      Effect.map((found) => {
        const positions = new Map(found.flatMap((places) => [...places]))
        return views.map((view) => {
          const position = view.status === "QUEUED" ? positions.get(view.executionId) : undefined
          return position === undefined ? view : { ...view, queuePosition: position }
        })
      }),
      Effect.catchCause((cause) => Effect.as(Effect.logWarning("flow control: reading queue positions failed", cause), views))
    )
  }

  // Nothing to rebuild after a restart (the queue is the store's) but the slots of the executions that were running.
  // Then a first pass admits what may run; a failure is logged, and the queue moves all the same.
  deps.background("holding slots for the executions that were running", "", reserveRunning.pipe(
    Effect.ensuring(Effect.suspend(() => {
      isReady = true
      return Effect.andThen(Deferred.succeed(ready, undefined), Effect.sync(admitSoon))
    }))
  ))

  return {
    flow: {
      /** The slot of an execution loaded from the store (not held: it takes one before its next step body). */
      slotOf: (fn: DurableFunction, input: string | undefined, queue: FlowKeys | undefined, executionId: string): FlowSlot | undefined => {
        const limited = byName.get(fn.name)
        const concurrency = limited?.flow.concurrency
        if (limited === undefined || concurrency === undefined) return undefined
        return slotHandle(limited, { priority: 0, concurrencyKey: loadedConcurrencyKey(concurrency.key, input, queue) }, executionId, false)
      },
      withPositions
    },
    flowStart: { start, stopQueued }
  }
}
