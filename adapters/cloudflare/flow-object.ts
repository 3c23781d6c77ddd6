/**
 * The Durable Object that coordinates one function's flow control (binding FLOW_CONTROL, named by the function): it sees
 * every start of the function, decides whether it runs now or waits QUEUED, lets queued ones run as slots, rate
 * windows and debounce periods allow, and counts who runs user code. Each execution's own object still writes its
 * log (ExecutionStarted with `queue`, ExecutionDequeued, ExecutionInputReplaced), when this object tells it to; an
 * execution's object tells this one when it stops running user code (blocked on a durable operation, ended,
 * stopped) and when it wants a slot again (docs/flow-control.md, "Cloudflare").
 *
 * The state is FlowQueue's, in this object's storage. The object handles one call at a time between awaits; every
 * decision is made and stored before the call to an execution object that carries it out, and undone if that call
 * says it did not happen. A dequeue whose answer was lost is sent again from the alarm (an execution's dequeue is
 * idempotent).
 */
import { DurableObject } from "cloudflare:workers"
import { Exit } from "effect"
import type { DurableFunction } from "reprise"
import { type FlowControl, InvalidRequest, keyFor, RateLimited, type StartRequest, type StartResult, validPriority } from "reprise/engine"
import type { HostLogOptions } from "reprise/host"
import type { DurableObjectState } from "./cf-types.ts"
import { envReader, type RepriseEnv } from "./env.ts"
import type { QueueKeys } from "./execution-rpc.ts"
import { type Entry, FlowQueue } from "./flow-queue.ts"
import { objectLog, type ObjectLog } from "./object-log.ts"
import { isStepGateName, StepGate } from "./step-gate.ts"
import { dieWire, fromWire, toWire, type Wire } from "./wire.ts"

export interface FlowRpc {
  /** A start of the function: run now, queued, collapsed into a debounced one, or refused by a rate limit. */
  start(request: StartRequest & { readonly executionId: string }): Promise<Wire<StartResult>>
  /** An execution that woke up wants a slot again: true when it holds one; else it is told later (slotGranted). */
  acquire(executionId: string, group: string): Promise<boolean>
  /** An execution gives back what it holds here: its slot (blocked, ended), or its place in the queue (stopped). */
  release(executionId: string): Promise<void>
  /** The places in the queue (1 first) of those of these executions that are QUEUED here. */
  positions(executionIds: ReadonlyArray<string>): Promise<Record<string, number>>

  // Step-level limits, on the object of one concurrencyKey (step-gate.ts).
  /** True when the body may run now; else its execution's object is told later (stepTurn). */
  stepAcquire(token: string, executionId: string, limit: number): Promise<boolean>
  stepRelease(token: string): Promise<void>
  /** Gives back every token of an execution whose object restarted (its bodies are gone); how many there were. */
  stepReleaseExecution(executionId: string): Promise<number>
}

const SELF = "reprise:function"
/** How soon a dequeue whose answer did not come back is sent again. */
const RETRY_MS = 1_000
/** While anything is queued, the alarm looks at least this often (a backstop: releases normally wake the queue). */
const BACKSTOP_MS = 30_000

export type FlowObjectClass = new (ctx: DurableObjectState, env: RepriseEnv) => DurableObject<RepriseEnv> & FlowRpc & { alarm(): Promise<void> }

const parsed = (request: StartRequest): unknown => {
  if (request.inputPayload === undefined) return request.input
  try {
    return JSON.parse(request.inputPayload)
  } catch {
    return request.inputPayload
  }
}

/** The keys a start counts under; throws (refusing the start) on a bad priority or a failing key function. */
const keysOf = (flow: FlowControl, request: StartRequest): QueueKeys => {
  const input = parsed(request)
  const priority = request.priority ?? flow.priority?.(input) ?? 0
  if (!validPriority(priority)) throw new TypeError(`a priority must be an integer from -1000 to 1000, got ${JSON.stringify(priority)}`)
  return {
    priority,
    ...(flow.concurrency === undefined ? {} : { concurrencyKey: keyFor(flow.concurrency.key, input) }),
    ...(flow.rateLimit === undefined ? {} : { rateKey: keyFor(flow.rateLimit.key, input) }),
    ...(flow.debounce === undefined ? {} : { debounceKey: keyFor(flow.debounce.key, input) })
  }
}

/**
 * What the deployed code says of the function whose queue this is: "limited" (its flow control), "unlimited" (a
 * deploy dropped its limits: what is queued runs at once) or "removed" (a deploy removed it: what is queued stays
 * QUEUED until stopped). Either of the last two forgets its storage once nothing is queued.
 */
type Mode = "limited" | "unlimited" | "removed"
interface State {
  readonly name: string
  readonly mode: Mode
  readonly flow: FlowControl
  readonly queue: FlowQueue
}

export const makeFlowObject = (functions: ReadonlyArray<DurableFunction>, logging?: HostLogOptions): FlowObjectClass =>
  class FlowObject extends DurableObject<RepriseEnv> implements FlowRpc {
    #state: State | undefined
    #gate: StepGate | undefined
    /** Run-now starts whose execution's object is writing them: holders with no summary yet, not lost. */
    readonly #starting = new Set<string>()
    #admitting = false
    #again = false
    readonly #log: ObjectLog

    constructor(ctx: DurableObjectState, env: RepriseEnv) {
      super(ctx, env)
      this.#log = objectLog(logging, envReader(env))
    }

    #open(name: string): State | undefined {
      if (this.#state !== undefined) return this.#state
      if (isStepGateName(name)) return undefined
      const fn = functions.find((f) => f.name === name)
      if (fn?.flow !== undefined) this.ctx.storage.kv.put(SELF, name)
      // Opened without limits too: before, the queue of a function deployed since without them (or removed) was
      // never looked at again, and what waited in it stayed QUEUED for good.
      const flow = fn?.flow ?? {}
      const mode: Mode = fn === undefined ? "removed" : fn.flow === undefined ? "unlimited" : "limited"
      this.#state = { name, mode, flow, queue: new FlowQueue(this.ctx.storage.kv, flow) }
      return this.#state
    }
    #exec(executionId: string) {
      return this.env.EXECUTIONS.getByName(executionId)
    }

    async start(request: StartRequest & { readonly executionId: string }): Promise<Wire<StartResult>> {
      const state = this.#open(request.functionName)
      // From a Worker still on the code of before a deploy that dropped the limits: a plain start.
      if (state?.mode === "unlimited") return this.#exec(request.executionId).start(request)
      if (state?.mode !== "limited") return dieWire(`Function ${request.functionName} has no flow control to coordinate`)
      const { flow, name, queue } = state
      const id = request.executionId
      let keys: QueueKeys
      try {
        keys = keysOf(flow, request)
      } catch (error) {
        return toWire(Exit.fail(new InvalidRequest({ reason: `Flow control of ${JSON.stringify(name)} refused the start: ${(error as Error).message}` })))
      }
      // A repeat of a start this object knows: the execution's object answers (it writes nothing that exists).
      if (queue.entry(id) !== undefined || queue.holds(id)) return this.#exec(id).enqueue(request, keys)
      const now = Date.now()
      const debounce = flow.debounce
      if (debounce !== undefined && keys.debounceKey !== undefined) {
        const into = queue.debouncing(keys.debounceKey)
        if (into !== undefined) {
          const notBefore = now + debounce.periodMs
          const replaced = fromWire(await this.#exec(into.executionId).replaceInput(into.executionId, request, notBefore))
          if (Exit.isFailure(replaced)) return toWire(Exit.failCause(replaced.cause))
          // Not replaced: it left the queue meanwhile (dequeued, stopped): this start is a new execution.
          if (replaced.value && queue.entry(into.executionId) === into) {
            into.notBefore = notBefore
            queue.put(into)
            await this.#admit()
            return toWire(Exit.succeed({ executionId: into.executionId, created: false, queued: true }))
          }
        }
      }
      // Decided after the collapse (a start that collapses is never refused), with nothing awaited before the start is
      // counted (admitted, or queued below): the queued starts count too, each to take a place in a window.
      if (flow.rateLimit?.refuse === true) {
        const decided = Date.now() // after the collapse's call
        const at = queue.refusedUntil(keys.rateKey, decided)
        if (at !== undefined) return toWire(Exit.fail(new RateLimited({ functionName: name, retryAfterMs: Math.max(1, at - decided) })))
      }
      if (debounce === undefined && !queue.waiting() && queue.slotFree(keys.concurrencyKey) && queue.rateFull(keys.rateKey, now) === undefined) {
        // The slot and the rate are taken before the call, so that no other start sees them free meanwhile.
        queue.admit(id, keys, now)
        this.#starting.add(id)
        const answer = await this.#exec(id).startAdmitted(request).catch((error: unknown) => toWire<StartResult>(Exit.die(error)))
        this.#starting.delete(id)
        if (answer._tag === "Failure" || !answer.value.created) this.#release(id)
        return answer
      }
      const entry: Entry = {
        executionId: id,
        priority: keys.priority,
        concurrencyKey: keys.concurrencyKey,
        rateKey: keys.rateKey,
        debounceKey: keys.debounceKey,
        queuedAt: now,
        order: queue.nextOrder(),
        notBefore: debounce === undefined ? 0 : now + debounce.periodMs,
        writing: true
      }
      queue.put(entry)
      const answer = await this.#exec(id)
        .enqueue(request, { ...keys, ...(debounce === undefined ? {} : { notBefore: entry.notBefore }) })
        .catch((error: unknown) => toWire<StartResult>(Exit.die(error)))
      entry.writing = false
      if ((answer._tag === "Failure" || !answer.value.created) && queue.entry(id) === entry) queue.drop(id)
      await this.#admit()
      return answer
    }

    async acquire(executionId: string, group: string): Promise<boolean> {
      const name = this.ctx.id.name ?? this.ctx.storage.kv.get<string>(SELF)
      const state = name === undefined ? undefined : this.#open(name)
      return state === undefined ? true : state.queue.acquire(executionId, group)
    }

    async release(executionId: string): Promise<void> {
      if (this.#opened() === undefined) return
      this.#release(executionId)
      await this.#admit()
    }

    async positions(executionIds: ReadonlyArray<string>): Promise<Record<string, number>> {
      const state = this.#opened()
      if (state === undefined) return {}
      // The Worker asks for QUEUED executions it lists or describes: what a dropped limit left queued goes now.
      if (state.mode === "unlimited") this.ctx.waitUntil(this.#admit())
      const line = state.queue.line()
      const out: Record<string, number> = {}
      const wanted = new Set(executionIds)
      line.forEach((e, at) => {
        if (wanted.has(e.executionId)) out[e.executionId] = at + 1
      })
      return out
    }

    async stepAcquire(token: string, executionId: string, limit: number): Promise<boolean> {
      return this.#stepGate().acquire(token, executionId, limit)
    }
    async stepRelease(token: string): Promise<void> {
      this.#stepGate().release(token)
      this.#stepNext()
    }
    async stepReleaseExecution(executionId: string): Promise<number> {
      const released = this.#stepGate().releaseExecution(executionId)
      this.#stepNext()
      return released
    }
    #stepGate(): StepGate {
      const name = this.ctx.id.name
      if (name !== undefined && !isStepGateName(name)) throw new Error(`The flow object of ${name} is not a step limit's`)
      return (this.#gate ??= new StepGate(this.ctx.storage.kv))
    }
    /** Tells the executions whose bodies may run now; one that cannot be told gets its turn when it asks again. */
    #stepNext() {
      for (const [token, executionId] of this.#stepGate().next()) {
        const tell = async () => {
          for (let attempt = 1; attempt <= 3; attempt++) {
            try {
              return await this.#exec(executionId).stepTurn(executionId, token)
            } catch (error) {
              // Still unanswered: the token stays held until that execution's object restarts and gives it back.
              this.#log.report(`telling ${executionId} its step may run`, error, { executionId })
            }
          }
        }
        this.ctx.waitUntil(tell())
      }
    }

    async alarm(): Promise<void> {
      const state = this.#opened()
      if (state === undefined) return
      if (state.mode !== "limited") return this.#admit()
      // Dequeues cut short (a restart, a lost answer): sent again; an execution already running answers "run".
      await Promise.all(state.queue.admitting().map((e) => this.#dequeue(e)))
      if (state.queue.waiting()) await this.#dropLostHolders()
      await this.#admit()
    }

    /**
     * While starts wait: a slot counted for an execution that has ended or does not exist is given back (its release
     * was lost, and the release it owes would come only when its object wakes up again, maybe at its retention).
     */
    async #dropLostHolders() {
      const { queue } = this.#state!
      await Promise.all(queue.holders().filter((id) => queue.entry(id) === undefined && !this.#starting.has(id)).map(async (id) => {
        const summary = fromWire(await this.#exec(id).summary(id).catch((error: unknown) => toWire<undefined>(Exit.die(error))))
        if (Exit.isFailure(summary)) return // cannot tell: kept
        if ((summary.value === undefined || summary.value.endedAt !== undefined) && queue.holds(id)) {
          this.#log.warn(`execution ${id} held a slot of ${this.#state!.name} without running: given back`, { executionId: id })
          this.#release(id)
        }
      }))
    }

    #opened() {
      const name = this.ctx.id.name ?? this.ctx.storage.kv.get<string>(SELF)
      return name === undefined ? undefined : this.#open(name)
    }

    /** Gives back what the execution holds; a freed slot goes to the executions waiting to resume first. */
    #release(executionId: string) {
      const { queue } = this.#state!
      const group = queue.release(executionId)
      if (group === undefined) return
      for (let next = queue.grantNext(group); next !== undefined; next = queue.grantNext(group)) {
        const granted = next
        // Not awaited: an execution that cannot be told now takes its slot again when it next asks (it holds it here).
        this.ctx.waitUntil(this.#exec(granted).slotGranted(granted).catch((error: unknown) => this.#log.report(`telling ${granted} of its slot`, error, { executionId: granted })))
      }
    }

    /** Lets queued executions run, in order, as slots, rate windows and debounce periods allow; arms the alarm. */
    async #admit(): Promise<void> {
      if (this.#admitting) {
        this.#again = true
        return
      }
      this.#admitting = true
      try {
        do {
          this.#again = false
          const state = this.#state
          if (state === undefined) break // forgotten by #drain
          if (state.mode !== "limited") {
            await this.#drain()
            continue
          }
          const { queue } = state
          const now = Date.now()
          let nextAt = Infinity
          const chosen: Array<Entry> = []
          // A group whose first waiting start cannot go holds back the rest of it: FIFO within a priority.
          const blocked = new Set<string>()
          for (const e of queue.line()) {
            const group = `${e.concurrencyKey ?? ""}\n${e.rateKey ?? ""}`
            if (blocked.has(group)) continue
            if (e.writing === true || !queue.slotFree(e.concurrencyKey)) {
              blocked.add(group)
              continue
            }
            if (e.notBefore > now) {
              nextAt = Math.min(nextAt, e.notBefore)
              continue
            }
            const full = queue.rateFull(e.rateKey, now)
            if (full !== undefined) {
              nextAt = Math.min(nextAt, full)
              blocked.add(group)
              continue
            }
            e.admitting = true
            e.admittedAt = now
            queue.put(e)
            queue.admit(e.executionId, e, now)
            chosen.push(e)
          }
          if (queue.waiting() || queue.admitting().length > chosen.length) nextAt = Math.min(nextAt, now + BACKSTOP_MS)
          if (nextAt !== Infinity) await this.#arm(nextAt)
          await Promise.all(chosen.map((e) => this.#dequeue(e)))
        } while (this.#again)
      } finally {
        this.#admitting = false
      }
    }

    /**
     * Without limits (dropped by a deploy) everything queued runs now: one that dequeued itself meanwhile (its object
     * does when touched) answers "run". A removed function's stays QUEUED (a stop takes it out). Once nothing is
     * queued, the storage is emptied: the slots and windows counted under the old limits mean nothing any more.
     */
    async #drain(): Promise<void> {
      const { mode, queue } = this.#state!
      if (mode === "unlimited") await Promise.all(queue.entries().map((e) => this.#dequeue(e)))
      if (this.#state?.queue !== queue || queue.entries().length > 0) return
      for (const [key] of [...this.ctx.storage.kv.list()]) this.ctx.storage.kv.delete(key)
      this.#state = undefined
      await this.ctx.storage.deleteAlarm()
    }

    /** Tells a chosen execution's object to run it: ExecutionDequeued, then its actor holding the slot. */
    async #dequeue(e: Entry): Promise<void> {
      const { queue } = this.#state!
      try {
        const answer = await this.#exec(e.executionId).dequeue(e.executionId, e.admittedAt ?? Date.now())
        if (queue.entry(e.executionId) !== e) return
        queue.drop(e.executionId)
        // Stopped, or never written (a start cut short): its slot goes back.
        if (answer === "gone") {
          this.#release(e.executionId)
          this.#again = true
        }
      } catch (error) {
        this.#log.report(`dequeuing ${e.executionId} (will retry)`, error, { executionId: e.executionId })
        await this.#arm(Date.now() + RETRY_MS)
      }
    }

    async #arm(at: number) {
      const current = await this.ctx.storage.getAlarm()
      if (current === null || current > at || current < Date.now()) await this.ctx.storage.setAlarm(at)
    }
  }
