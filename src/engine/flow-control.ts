/**
 * Flow control, once for every runtime whose engine sees all of a function's executions (docs/flow-control.md):
 * the queue of QUEUED executions (the truth is in their logs: ExecutionStarted with `queue`, so the store port is
 * unchanged), the admission that dequeues them as concurrency slots, rate windows and debounce periods allow, and
 * the recovery that rebuilds the queue from the store after a restart. The slots and windows are in memory.
 */
import { type Clock, Duration, Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { foldLog } from "../log/fold.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import { RateLimited } from "./engine-errors.ts"
import { rateRefusedUntil } from "./rate-refusal.ts"
import { type FlowKeys, flowKeysOf, loadedConcurrencyKey } from "./flow-keys.ts"
import type { FlowControl } from "./flow-options.ts"
import { type FlowSlot, FlowSlots } from "./flow-slots.ts"
import { forEachRunningUserCode } from "./flow-running.ts"
import type { DurableFunction } from "./registry.ts"

export type { FlowKeys } from "./flow-keys.ts"

/** One QUEUED execution, as the admission sees it. */
interface Waiting {
  readonly executionId: string
  readonly fn: DurableFunction & { readonly flow: FlowControl }
  readonly keys: FlowKeys
  /** Queue time, then arrival: FIFO within a priority. */
  readonly queuedAt: number
  readonly order: number
  notBefore: number
  /** Its log as written so far (the admission appends after it). */
  events: Array<LogEvent>
  /** A debounced start is rewriting it: the admission leaves it alone meanwhile. */
  busy: boolean
}

export interface FlowDeps {
  readonly store: ExecutionStoreShape
  /** The queues' time (the test runner's virtual queue clock). */
  readonly clock: Clock.Clock
  /** Forks work no caller waits for; its failure is logged. */
  readonly background: (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) => void
  /** Runs a dequeued execution: spawns its actor holding `slot`, with its watchdog alarm already written. */
  readonly run: (events: ReadonlyArray<LogEvent>, fn: DurableFunction, watchdogAt: number, slot: FlowSlot | undefined) => Effect.Effect<void>
  readonly watchdogMs: number
}

const groupKey = (fn: string, key: string) => `${fn}\n${key}`

const before = (a: Waiting, b: Waiting) => b.keys.priority - a.keys.priority || a.queuedAt - b.queuedAt || a.order - b.order


export const makeFlowControl = (deps: FlowDeps) => {
  const { store, clock } = deps
  const queued = new Map<string, Waiting>()
  /** Each function's queue, kept in order (priority, then queue time, then arrival). */
  const lines = new Map<string, Array<Waiting>>()
  /** Debounce key (with the function) to the QUEUED execution that later starts collapse into. */
  const debouncing = new Map<string, string>()
  /** Start times within the period, per rate key (with the function), oldest first. */
  const windows = new Map<string, Array<number>>()
  let arrivals = 0
  /** False while the queue is being rebuilt from the store: starts queue (behind what is recovered) and none leaves. */
  let recovered = true
  const slots = new FlowSlots(() => admitSoon())

  const keysOf = flowKeysOf

  /** The concurrency group of an execution: the key its queue entry recorded, else its input's (none: unlimited). */
  const concurrencyGroup = (fn: DurableFunction, input: string | undefined, queue: FlowKeys | undefined): string | undefined => {
    const concurrency = fn.flow?.concurrency
    return concurrency === undefined ? undefined : groupKey(fn.name, loadedConcurrencyKey(concurrency.key, input, queue))
  }

  /**
   * After a restart, the slots of the executions that were running user code when the process died, held for them
   * before the queue is admitted: they have begun, and go first (docs/flow-control.md). Read from the store, since
   * the slots were in memory: a RUNNING execution with a step attempt in flight, or with nothing durable to wait on
   * (between two operations), was running; one blocked on waits, callbacks, invokes or retries was not. The host
   * resumes them at once; a reservation not taken within two watchdogs is let go.
   */
  const reserveRunning = (fn: DurableFunction & { readonly flow: FlowControl }) =>
    Effect.gen(function*() {
      const concurrency = fn.flow.concurrency
      if (concurrency === undefined) return
      const reserved: Array<readonly [string, string]> = []
      // One group (no key) holds at most `limit`: the rest of the listing cannot change what waits.
      yield* forEachRunningUserCode(store, fn.name, (executionId, state, queue) =>
        Effect.sync(() => {
          const group = concurrencyGroup(fn, state.input, queue)!
          slots.reserve(group, executionId)
          reserved.push([group, executionId])
        }), () => concurrency.key === undefined && reserved.length >= concurrency.limit)
      if (reserved.length === 0) return
      deps.background(
        "letting go of slots held for executions not resumed",
        "",
        Effect.andThen(Effect.sleep(Duration.millis(2 * deps.watchdogMs)), Effect.sync(() => {
          for (const [group, executionId] of reserved) slots.expire(group, executionId)
        }))
      )
    })

  /** The start times still within the rate window of the key, oldest first (those out of it dropped). */
  const liveWindow = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, now: number): ReadonlyArray<number> => {
    const rate = fn.flow.rateLimit
    const window = rate === undefined ? undefined : windows.get(groupKey(fn.name, keys.rateKey ?? ""))
    if (window === undefined) return []
    while (window.length > 0 && window[0]! <= now - rate!.periodMs) window.shift()
    return window
  }

  /** When the rate window has room for another start (its oldest start leaves it), or undefined when it has now. */
  const rateFull = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, now: number): number | undefined => {
    const window = liveWindow(fn, keys, now)
    return window.length < (fn.flow.rateLimit?.limit ?? Infinity) ? undefined : window[0]! + fn.flow.rateLimit!.periodMs
  }
  const countStart = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, now: number) => {
    if (fn.flow.rateLimit === undefined) return
    const key = groupKey(fn.name, keys.rateKey ?? "")
    const window = windows.get(key)
    if (window === undefined) windows.set(key, [now])
    else window.push(now)
  }
  const slotFree = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys) =>
    fn.flow.concurrency === undefined || slots.free(groupKey(fn.name, keys.concurrencyKey ?? ""), fn.flow.concurrency.limit)
  const takeSlot = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, executionId: string, held: boolean) =>
    fn.flow.concurrency === undefined
      ? undefined
      : slots.slot(groupKey(fn.name, keys.concurrencyKey ?? ""), fn.flow.concurrency.limit, executionId, held)

  /** Whether a start may skip the queue: nothing of its function waits, nothing delays it, a slot and the rate allow it. */
  const mayRunNow = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, now: number) =>
    recovered && fn.flow.debounce === undefined && (lines.get(fn.name)?.length ?? 0) === 0 && slotFree(fn, keys) &&
    rateFull(fn, keys, now) === undefined

  /** A new start over a refusing rate limit (rate-refusal.ts), with how long until it would fit. */
  const refusal = (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, now: number) => {
    const rate = fn.flow.rateLimit
    if (rate?.refuse !== true) return undefined
    const rateKey = keys.rateKey ?? ""
    const waiting = (lines.get(fn.name) ?? []).reduce((n, w) => ((w.keys.rateKey ?? "") === rateKey ? n + 1 : n), 0)
    const at = rateRefusedUntil(liveWindow(fn, keys, now), waiting, rate.limit, rate.periodMs, now)
    return at === undefined ? undefined : new RateLimited({ functionName: fn.name, retryAfterMs: Math.max(1, at - now) })
  }

  // ---- admission ----
  let admitting = false
  let again = false
  let timerAt = Infinity
  let timerGeneration = 0

  /** Forks an admission pass, unless nothing waits (a slot given back with an empty queue costs no fiber). */
  const admitSoon = () => {
    if (queued.size > 0) deps.background("admitting queued executions", "", admit)
  }

  /** Dequeues what may run now, in queue order; arms the queues' timer at the next rate window or debounce end. */
  const admit: Effect.Effect<void, StoreFailure | LogCorrupted> = Effect.suspend(() => {
    if (!recovered) return Effect.void // the recovery admits once it is over
    if (admitting) {
      again = true
      return Effect.void
    }
    admitting = true
    return Effect.gen(function*() {
      do {
        again = false
        const now = clock.currentTimeMillisUnsafe()
        let nextAt = Infinity
        for (const line of [...lines.values()]) {
          // Without key functions every start of the function counts in one group: once it is full, all wait.
          const flow = line[0]?.fn.flow
          const oneGroup = flow !== undefined && flow.concurrency?.key === undefined && flow.rateLimit?.key === undefined
          for (const w of [...line]) {
            if (w.busy || !queued.has(w.executionId)) continue
            if (w.notBefore > now) {
              nextAt = Math.min(nextAt, w.notBefore)
              continue
            }
            if (!slotFree(w.fn, w.keys)) {
              if (oneGroup) break
              continue
            }
            const full = rateFull(w.fn, w.keys, now)
            if (full !== undefined) {
              nextAt = Math.min(nextAt, full)
              if (oneGroup) break
              continue
            }
            yield* dequeue(w, now)
          }
        }
        if (nextAt < timerAt) arm(nextAt)
      } while (again)
    }).pipe(Effect.ensuring(Effect.sync(() => {
      admitting = false
    })))
  })

  const arm = (at: number) => {
    timerAt = at
    const generation = ++timerGeneration
    const now = clock.currentTimeMillisUnsafe()
    deps.background("the queues' timer", "", Effect.gen(function*() {
      yield* clock.sleep(Duration.millis(Math.max(0, at - now)))
      if (generation !== timerGeneration) return
      timerAt = Infinity
      yield* admit
    }) as Effect.Effect<void, unknown>)
  }

  /** Lets one queued execution run: ExecutionDequeued and its watchdog in one write, then its actor. */
  const dequeue = (w: Waiting, now: number) =>
    Effect.gen(function*() {
      unqueue(w)
      const slot = takeSlot(w.fn, w.keys, w.executionId, true)
      countStart(w.fn, w.keys, now)
      const started = w.events[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>
      const timeoutMs = started.timeoutAt - started.at
      const event: LogEvent = { _tag: "ExecutionDequeued", seq: w.events.length + 1, at: now, timeoutAt: now + timeoutMs }
      const watchdogAt = Math.min(now + deps.watchdogMs, event.timeoutAt)
      const written = yield* Effect.result(store.append(w.executionId, [event], w.events.length, { alarmAt: watchdogAt }))
      if (written._tag === "Failure") {
        slot?.release()
        // Stopped (or written by someone else) meanwhile: it is no longer ours to run.
        if (written.failure._tag === "SeqConflict") return
        return yield* Effect.fail(written.failure)
      }
      yield* deps.run([...w.events, ...written.success], w.fn, watchdogAt, slot)
    })

  const enqueue = (w: Waiting) => {
    queued.set(w.executionId, w)
    const line = lines.get(w.fn.name) ?? []
    lines.set(w.fn.name, line)
    // Binary search for the first entry that goes after it: arrivals mostly append at the end.
    let lo = 0
    let hi = line.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(line[mid]!, w) <= 0) lo = mid + 1
      else hi = mid
    }
    line.splice(lo, 0, w)
    if (w.keys.debounceKey !== undefined) debouncing.set(groupKey(w.fn.name, w.keys.debounceKey), w.executionId)
  }
  const unqueue = (w: Waiting) => {
    queued.delete(w.executionId)
    const line = lines.get(w.fn.name)
    const at = line?.indexOf(w) ?? -1
    if (at >= 0) line!.splice(at, 1)
    const debounceKey = w.keys.debounceKey === undefined ? undefined : groupKey(w.fn.name, w.keys.debounceKey)
    if (debounceKey !== undefined && debouncing.get(debounceKey) === w.executionId) debouncing.delete(debounceKey)
  }

  return {
    keysOf,
    mayRunNow,
    refusal,
    /** A start that skipped the queue: its slot (taken) and its place in the rate window. */
    ranNow: (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, executionId: string, now: number) => {
      countStart(fn, keys, now)
      return takeSlot(fn, keys, executionId, true)
    },
    /** The slot of an execution loaded from the store (not held: it takes one before its next step body). */
    slotOf: (fn: DurableFunction, input: string | undefined, queue: FlowKeys | undefined, executionId: string): FlowSlot | undefined => {
      const group = concurrencyGroup(fn, input, queue)
      return group === undefined ? undefined : slots.slot(group, fn.flow!.concurrency!.limit, executionId, false)
    },
    /** The QUEUED execution that a debounced start collapses into, if any. */
    debouncedInto: (fn: DurableFunction & { readonly flow: FlowControl }, keys: FlowKeys, input: string | undefined, now: number) =>
      Effect.gen(function*() {
        if (fn.flow.debounce === undefined || keys.debounceKey === undefined) return undefined
        const id = debouncing.get(groupKey(fn.name, keys.debounceKey))
        const w = id === undefined ? undefined : queued.get(id)
        if (w === undefined || w.busy) return undefined
        w.busy = true
        const notBefore = now + fn.flow.debounce.periodMs
        const event: LogEvent = {
          _tag: "ExecutionInputReplaced",
          seq: w.events.length + 1,
          at: now,
          ...(input === undefined ? {} : { input }),
          notBefore
        }
        const written = yield* Effect.result(store.append(w.executionId, [event], w.events.length)).pipe(
          Effect.ensuring(Effect.sync(() => {
            w.busy = false
          }))
        )
        if (written._tag === "Failure") {
          if (written.failure._tag === "SeqConflict") return undefined // stopped meanwhile: a new execution
          return yield* Effect.fail(written.failure)
        }
        w.events.push(...written.success)
        w.notBefore = notBefore
        admitSoon()
        return w.executionId
      }),
    /** Records a new QUEUED execution (its ExecutionStarted written) and lets the admission look. */
    queued: (fn: DurableFunction & { readonly flow: FlowControl }, events: ReadonlyArray<LogEvent>) => {
      const first = events[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>
      const queue = first.queue!
      enqueue({
        executionId: first.executionId,
        fn,
        keys: queue,
        queuedAt: first.at,
        order: ++arrivals,
        notBefore: Math.max(queue.notBefore ?? 0, ...events.flatMap((e) => (e._tag === "ExecutionInputReplaced" ? [e.notBefore] : []))),
        events: [...events],
        busy: false
      })
      admitSoon()
    },
    /** Takes a QUEUED execution out of the queue (it is being stopped); false when it is not waiting here. */
    remove: (executionId: string): ReadonlyArray<LogEvent> | undefined => {
      const w = queued.get(executionId)
      if (w === undefined || w.busy) return undefined
      unqueue(w)
      return w.events
    },
    /** QUEUED executions' views or summaries with their places in the queue, where this engine holds them. */
    withPositions: <V extends { readonly executionId: string; readonly status: string }>(views: ReadonlyArray<V>) =>
      Effect.sync(() => views.map((view) => {
        const w = view.status === "QUEUED" ? queued.get(view.executionId) : undefined
        if (w === undefined) return view
        return { ...view, queuePosition: (lines.get(w.fn.name)?.indexOf(w) ?? 0) + 1 }
      })),
    admit,
    /** The queue as the store holds it: every QUEUED execution of these functions, read page by page. */
    recover: (functions: ReadonlyArray<DurableFunction & { readonly flow: FlowControl }>) =>
      Effect.gen(function*() {
        recovered = false
        for (const fn of functions) {
          let cursor: string | undefined
          for (let page = 0; page < 100_000; page++) {
            const listed = yield* store.list({ functionName: fn.name, status: "QUEUED", limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
            // Newest first in the listing: taken oldest first, so that arrival order breaks ties of queue time.
            for (const item of [...listed.items].reverse()) {
              if (queued.has(item.executionId)) continue
              const log = yield* store.load(item.executionId)
              if (log === undefined || foldLog(log.events).status !== "QUEUED") continue
              const first = log.events[0]!
              if (first._tag !== "ExecutionStarted" || first.queue === undefined) continue
              enqueue({
                executionId: item.executionId,
                fn,
                keys: first.queue,
                queuedAt: first.at,
                order: ++arrivals,
                notBefore: Math.max(first.queue.notBefore ?? 0, ...log.events.flatMap((e) => (e._tag === "ExecutionInputReplaced" ? [e.notBefore] : []))),
                events: [...log.events],
                busy: false
              })
            }
            if (listed.cursor === undefined) break
            cursor = listed.cursor
          }
          yield* reserveRunning(fn)
        }
      }).pipe(Effect.ensuring(Effect.suspend(() => {
        recovered = true // also after a failed recovery (logged): what was found runs, new starts queue behind it
        return Effect.ignore(admit)
      })))
  }
}

export type FlowControlShape = ReturnType<typeof makeFlowControl>

