/**
 * Flow control inside one execution's Durable Object (the FlowObject of its function decides; flow-object.ts):
 *
 * - the writes of a queued execution, which no actor makes: ExecutionStarted with `queue` (no alarm: nothing is due
 *   while it waits), ExecutionDequeued with its watchdog alarm, ExecutionInputReplaced (debounce), ExecutionStopped
 *   of a stop while queued. Each is a conditional append on the log's head, so a dequeue, a stop and a replacement
 *   racing for one execution cannot both be written;
 * - the concurrency slot the engine's actor takes before its step bodies and gives back when it is blocked on a
 *   durable operation or has ended (`externalFlow` of the engine): here a RemoteSlot that asks the FlowObject.
 *
 * The FlowObject counts the slot from the moment it admits the start; the object learns it through `held`. After
 * the object was evicted (or workerd restarted), its slot is "not held" here until the actor asks: the FlowObject
 * answers at once when it still counts it as the holder.
 */
import { Effect } from "effect"
import type { DurableFunction } from "reprise"
import { checkedInput, checkedStopError, type FlowSlot, keyFor, sameExecution, type StartRequest, startedEvent, WATCHDOG_MS } from "reprise/engine"
import type { ErrorObject, ExecutionStoreShape, LogEvent } from "reprise/store"
import type { Stub, SyncKvStorage } from "./cf-types.ts"
import type { QueueKeys } from "./execution-rpc.ts"
import type { FlowRpc } from "./flow-object.ts"
import type { ObjectLog } from "./object-log.ts"

/** A release the FlowObject has not confirmed: sent again when the object wakes up (reconcile). */
const OWED_RELEASE = "reprise:flow-release-owed"
const TRIES = 8

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The concurrency slot of the one execution of this object, counted by its function's FlowObject. */
export class RemoteSlot implements FlowSlot {
  held = false
  readonly #coordinator: () => Stub<FlowRpc>
  readonly #executionId: string
  readonly #group: string
  readonly #kv: SyncKvStorage
  readonly #log: ObjectLog
  #waiting: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined
  /**
   * The calls to the FlowObject, one after the other: a release and the next acquire must arrive in that order (each
   * call may take another route), or the FlowObject would drop the slot it just gave back again.
   */
  #calls: Promise<unknown> = Promise.resolve()

  constructor(coordinator: () => Stub<FlowRpc>, executionId: string, group: string, kv: SyncKvStorage, log: ObjectLog) {
    this.#coordinator = coordinator
    this.#executionId = executionId
    this.#group = group
    this.#kv = kv
    this.#log = log
  }

  acquire(): Promise<void> | undefined {
    if (this.held) return undefined
    if (this.#waiting !== undefined) return this.#waiting.promise
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    const waiting = { promise, resolve }
    this.#waiting = waiting
    this.#calls = this.#calls.then(() => this.#ask(waiting))
    return promise
  }

  async #ask(waiting: { readonly resolve: () => void }) {
    for (let attempt = 0; attempt < TRIES && this.#waiting === waiting; attempt++) {
      try {
        // False: it waits in the FlowObject's line, which calls slotGranted when its turn comes.
        if (await this.#coordinator().acquire(this.#executionId, this.#group)) this.granted()
        return
      } catch (error) {
        this.#log.report(`execution ${this.#executionId}: asking for its slot (will retry)`, error, { executionId: this.#executionId })
        await pause(100 * 2 ** attempt)
      }
    }
    // Still unanswered: the watchdog alarm reloads the execution, which asks again.
  }

  /** The FlowObject gave the slot: false when nothing here waits for it (the actor went away meanwhile). */
  granted(): boolean {
    const waiting = this.#waiting
    if (waiting === undefined) return this.held
    this.#waiting = undefined
    this.held = true
    waiting.resolve()
    return true
  }

  release(): void {
    if (!this.held && this.#waiting === undefined) return
    this.held = false
    this.#waiting = undefined
    this.#calls = this.#calls.then(() => sendRelease(this.#coordinator, this.#executionId, this.#kv, this.#log))
  }
}

/** Tells the FlowObject the slot (or place) is given back; owed until it answers, so a crash does not leak it. */
export const sendRelease = async (coordinator: () => Stub<FlowRpc>, executionId: string, kv: SyncKvStorage, log: ObjectLog) => {
  kv.put(OWED_RELEASE, true)
  for (let attempt = 0; attempt < TRIES; attempt++) {
    try {
      await coordinator().release(executionId)
      kv.delete(OWED_RELEASE)
      return
    } catch (error) {
      log.report(`execution ${executionId}: giving its slot back (will retry)`, error, { executionId })
      await pause(100 * 2 ** attempt)
    }
  }
}

export const releaseOwed = (kv: SyncKvStorage) => kv.get(OWED_RELEASE) !== undefined

const parsedInput = (input: string | undefined): unknown => {
  if (input === undefined) return undefined
  try {
    return JSON.parse(input)
  } catch {
    return input
  }
}

/** The key an execution's slot counts under: from its queue record, else from its input. */
export const groupOf = (fn: DurableFunction, first: Extract<LogEvent, { _tag: "ExecutionStarted" }> | undefined): string => {
  if (first?.queue?.concurrencyKey !== undefined) return first.queue.concurrencyKey
  try {
    return keyFor(fn.flow?.concurrency?.key, parsedInput(first?.input))
  } catch {
    return ""
  }
}

export interface QueuedOpsDeps {
  readonly self: string
  readonly store: ExecutionStoreShape
  readonly functions: ReadonlyArray<DurableFunction>
  readonly maxPayloadBytes: number
}

/** The writes of a QUEUED execution (see the top of this file). */
export const makeQueuedOps = (deps: QueuedOpsDeps) => {
  const { self, store } = deps
  const first = (events: ReadonlyArray<LogEvent>) => events[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>

  /** Writes the start QUEUED; an existing execution answers as a repeated start. */
  const enqueue = (request: StartRequest, queue: QueueKeys) =>
    Effect.gen(function*() {
      const fn = deps.functions.find((f) => f.name === request.functionName)
      if (fn === undefined) return yield* Effect.die(new Error(`Function ${request.functionName} is not deployed here`))
      const input = yield* checkedInput(request, deps.maxPayloadBytes)
      const existing = yield* store.load(self)
      if (existing !== undefined) return yield* sameExecution(existing.events[0]!, fn.name, input, self)
      const started: LogEvent = { ...startedEvent(fn, self, input, Date.now(), request), queue }
      const written = yield* Effect.result(store.append(self, [started], 0))
      if (written._tag === "Failure") {
        if (written.failure._tag !== "SeqConflict") return yield* Effect.fail(written.failure)
        return yield* sameExecution((yield* store.load(self))!.events[0]!, fn.name, input, self)
      }
      return { executionId: self, created: true, queued: true }
    })

  /**
   * Writes ExecutionDequeued and its watchdog alarm: "dequeued"; "running" when an earlier dequeue did (a repeat);
   * "gone" when it is not there or has ended.
   */
  const dequeue = (admittedAt: number) => Effect.gen(function*() {
    const log = yield* store.load(self)
    if (log === undefined) return "gone" as const
    const last = log.events.at(-1)!
    if (log.events.some((e) => e._tag === "ExecutionDequeued") || first(log.events).queue === undefined) {
      // Ran already: "run" while it is not over, so that the FlowObject keeps counting its slot.
      return isEnd(last) ? "gone" as const : "running" as const
    }
    if (isEnd(last)) return "gone" as const
    // The FlowObject's time: the rate windows are counted in it (this object's clock may be later, or elsewhere).
    const now = Math.min(admittedAt, Date.now())
    const started = first(log.events)
    const event: LogEvent = { _tag: "ExecutionDequeued", seq: log.events.length + 1, at: now, timeoutAt: now + (started.timeoutAt - started.at) }
    const written = yield* Effect.result(store.append(self, [event], log.events.length, { alarmAt: Math.min(now + WATCHDOG_MS, event.timeoutAt) }))
    if (written._tag === "Failure") {
      if (written.failure._tag === "SeqConflict") return "gone" as const // stopped meanwhile
      return yield* Effect.fail(written.failure)
    }
    return "dequeued" as const
  })

  /** A debounced start collapses into this QUEUED execution: its input, and the period starts again. */
  const replaceInput = (request: StartRequest, notBefore: number) =>
    Effect.gen(function*() {
      const input = yield* checkedInput(request, deps.maxPayloadBytes)
      const log = yield* store.load(self)
      if (log === undefined || !queued(log.events)) return false
      const event: LogEvent = { _tag: "ExecutionInputReplaced", seq: log.events.length + 1, at: Date.now(), ...(input === undefined ? {} : { input }), notBefore }
      const written = yield* Effect.result(store.append(self, [event], log.events.length))
      if (written._tag === "Failure") {
        if (written.failure._tag === "SeqConflict") return false
        return yield* Effect.fail(written.failure)
      }
      return true
    })

  /** A stop of a QUEUED execution: ExecutionStopped with its retention alarm, nothing run. False when not QUEUED. */
  const stopQueued = (error: ErrorObject | undefined) =>
    Effect.gen(function*() {
      yield* checkedStopError(error, deps.maxPayloadBytes)
      const log = yield* store.load(self)
      if (log === undefined || !queued(log.events)) return false
      const now = Date.now()
      const stopped: LogEvent = { _tag: "ExecutionStopped", seq: log.events.length + 1, at: now, ...(error === undefined ? {} : { error }) }
      const written = yield* Effect.result(store.append(self, [stopped], log.events.length, { alarmAt: now + first(log.events).retentionMs }))
      if (written._tag === "Failure") {
        if (written.failure._tag === "SeqConflict") return false // dequeued meanwhile: the engine stops it
        return yield* Effect.fail(written.failure)
      }
      return true
    })

  return { enqueue, dequeue, replaceInput, stopQueued }
}

const isEnd = (e: LogEvent) =>
  e._tag === "ExecutionSucceeded" || e._tag === "ExecutionFailed" || e._tag === "ExecutionStopped" || e._tag === "ExecutionTimedOut" ||
  e._tag === "ExecutionContinuedAsNew"

/** Written QUEUED and neither dequeued nor ended. */
const queued = (events: ReadonlyArray<LogEvent>) => {
  const started = events[0]
  return started?._tag === "ExecutionStarted" && started.queue !== undefined && !events.some((e) => e._tag === "ExecutionDequeued" || isEnd(e))
}

/** Calls the FlowObject, again after a pause when it cannot be reached (a bounded number of times). */
const retrying = async <A>(log: ObjectLog, what: string, rpc: () => Promise<A>): Promise<A> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rpc()
    } catch (error) {
      if (attempt >= TRIES) throw error
      log.report(`${what} (will retry)`, error)
      await pause(100 * 2 ** attempt)
    }
  }
}

const STEP_KEYS = "reprise:step-limit-keys"

/**
 * Step-level limits of one execution's object, counted across executions by a FlowObject per key (step-gate.ts).
 * The keys used are kept in storage, so that a new instance of the object (after a restart) gives back the tokens
 * its bodies held before anything else.
 */
export const makeStepLimits = (self: string, kv: SyncKvStorage, gate: (key: string) => Stub<FlowRpc>, resume: () => void, log: ObjectLog) => {
  const waiters = new Map<string, () => void>()
  const instance = crypto.randomUUID().slice(0, 8)
  let count = 0
  const cleaned = (async () => {
    const keys = kv.get<Array<string>>(STEP_KEYS) ?? []
    if (keys.length === 0) return
    const released = await Promise.all(keys.map((key) =>
      retrying(log, `giving back the step tokens of ${self}`, () => gate(key).stepReleaseExecution(self)).catch((error: unknown) => (log.report(`giving back the step tokens of ${self} failed`, error, { executionId: self }), 0))
    ))
    kv.put(STEP_KEYS, [])
    // A token given back was a body's that went with the old instance, held or waiting in line: its step runs again
    // only once the execution resumes. Resumed now; else a waiting one given back before its turn came was never
    // told and waited for its watchdog (30 s; the flaky Workers test, one run in four).
    if (released.some((n) => n > 0)) resume()
  })()

  const acquire = async (key: string, limit: number): Promise<() => void> => {
    await cleaned
    const keys = kv.get<Array<string>>(STEP_KEYS) ?? []
    if (!keys.includes(key)) kv.put(STEP_KEYS, [...keys, key])
    const token = `${self}#${instance}#${++count}`
    const turn = new Promise<void>((resolve) => waiters.set(token, resolve))
    const release = () => {
      void retrying(log, `giving back a step token of ${self}`, () => gate(key).stepRelease(token)).catch((error: unknown) => log.report(`giving back a step token of ${self} failed`, error, { executionId: self }))
    }
    if (await retrying(log, `asking for a step token of ${self}`, () => gate(key).stepAcquire(token, self, limit))) {
      waiters.delete(token)
      return release
    }
    await turn
    return release
  }
  /**
   * The FlowObject of the key lets a waiting body run. False for a token this instance does not wait on: one from
   * before a restart of the object (its body went with the old instance; `cleaned` gives the token back).
   */
  const turn = (token: string): boolean => {
    const waiter = waiters.get(token)
    waiters.delete(token)
    waiter?.()
    return waiter !== undefined
  }
  return { acquire, turn }
}
