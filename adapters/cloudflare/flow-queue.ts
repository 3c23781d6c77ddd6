/**
 * The state of one function's flow control on Cloudflare (docs/flow-control.md), kept by its FlowObject: the queue
 * of QUEUED executions, who holds a concurrency slot (per key), who waits for one again after a durable wait, the
 * rate windows and the debounce keys. Every change is written through to the object's synchronous KV storage at
 * once, so a restart of the object (or of workerd) finds it as it was: nothing here is kept in memory only.
 *
 * Decisions are synchronous (the object runs one of them at a time); the calls to execution objects that carry
 * them out are the FlowObject's.
 */
import { type FlowControl, rateRefusedUntil } from "reprise/engine"
import type { SyncKvStorage } from "./cf-types.ts"

/** One QUEUED execution. */
export interface Entry {
  readonly executionId: string
  readonly priority: number
  readonly concurrencyKey?: string | undefined
  readonly rateKey?: string | undefined
  readonly debounceKey?: string | undefined
  readonly queuedAt: number
  readonly order: number
  notBefore: number
  /** Its ExecutionStarted is being written: not yet admissible (in memory only; after a restart it is written or absent). */
  writing?: boolean
  /** Chosen to run: its ExecutionDequeued is being written. Its slot and its place in the rate window are taken. */
  admitting?: boolean
  /** When it was chosen (the FlowObject's time). */
  admittedAt?: number
}

interface Holder {
  readonly group: string
}
interface Resumer {
  readonly group: string
  readonly order: number
}

const Q = "q:"
const H = "h:"
const R = "r:"
const W = "w:"
const ORDER = "order"

const before = (a: Entry, b: Entry) => b.priority - a.priority || a.queuedAt - b.queuedAt || a.order - b.order

export class FlowQueue {
  readonly #kv: SyncKvStorage
  readonly #flow: FlowControl
  readonly #entries = new Map<string, Entry>()
  readonly #holders = new Map<string, Holder>()
  readonly #resumers = new Map<string, Resumer>()
  readonly #windows = new Map<string, Array<number>>()
  #order: number

  constructor(kv: SyncKvStorage, flow: FlowControl) {
    this.#kv = kv
    this.#flow = flow
    for (const [key, value] of kv.list<Entry>({ prefix: Q })) this.#entries.set(key.slice(Q.length), { ...value })
    for (const [key, value] of kv.list<Holder>({ prefix: H })) this.#holders.set(key.slice(H.length), value)
    for (const [key, value] of kv.list<Resumer>({ prefix: R })) this.#resumers.set(key.slice(R.length), value)
    for (const [key, value] of kv.list<Array<number>>({ prefix: W })) this.#windows.set(key.slice(W.length), value)
    this.#order = kv.get<number>(ORDER) ?? 0
  }

  // ---- reading ----

  /** The queue in order (priority, then queue time, then arrival), admitting ones excluded. */
  line(): Array<Entry> {
    return [...this.#entries.values()].filter((e) => e.admitting !== true).sort(before)
  }
  entry(executionId: string): Entry | undefined {
    return this.#entries.get(executionId)
  }
  /** Every entry, waiting or admitting. */
  entries(): Array<Entry> {
    return [...this.#entries.values()]
  }
  admitting(): Array<Entry> {
    return [...this.#entries.values()].filter((e) => e.admitting === true)
  }
  /** Who holds a slot now. */
  holders(): Array<string> {
    return [...this.#holders.keys()]
  }
  holds(executionId: string): boolean {
    return this.#holders.has(executionId)
  }
  /** The QUEUED execution a debounced start of this key collapses into. */
  debouncing(debounceKey: string): Entry | undefined {
    return this.line().find((e) => e.debounceKey === debounceKey && e.writing !== true)
  }
  holding(group: string): number {
    let n = 0
    for (const h of this.#holders.values()) if (h.group === group) n++
    return n
  }
  /** Whether a queued start of this group may take a slot now (executions waiting to resume come first). */
  slotFree(group: string | undefined): boolean {
    const limit = this.#flow.concurrency?.limit
    if (limit === undefined || group === undefined) return true
    for (const r of this.#resumers.values()) if (r.group === group) return false
    return this.holding(group) < limit
  }
  /** When the rate window of this key has room again (undefined: now). */
  rateFull(rateKey: string | undefined, now: number): number | undefined {
    const rate = this.#flow.rateLimit
    if (rate === undefined || rateKey === undefined) return undefined
    const window = (this.#windows.get(rateKey) ?? []).filter((t) => t > now - rate.periodMs)
    return window.length < rate.limit ? undefined : window[0]! + rate.periodMs
  }
  /** When a new start refused by its rate limit ("refuse") may try again, or undefined (reprise/engine's rule). */
  refusedUntil(rateKey: string | undefined, now: number): number | undefined {
    const rate = this.#flow.rateLimit
    if (rate === undefined || rateKey === undefined) return undefined
    const window = (this.#windows.get(rateKey) ?? []).filter((t) => t > now - rate.periodMs).sort((a, b) => a - b)
    let queued = 0
    for (const e of this.#entries.values()) if (e.admitting !== true && e.rateKey === rateKey) queued++
    return rateRefusedUntil(window, queued, rate.limit, rate.periodMs, now)
  }
  /** Whether anything waits (without sorting the line). */
  waiting(): boolean {
    for (const e of this.#entries.values()) if (e.admitting !== true) return true
    return false
  }

  // ---- changing (each written through) ----

  nextOrder(): number {
    this.#order++
    this.#kv.put(ORDER, this.#order)
    return this.#order
  }
  put(entry: Entry): void {
    this.#entries.set(entry.executionId, entry)
    const { writing: _writing, ...stored } = entry
    this.#kv.put(Q + entry.executionId, stored)
  }
  drop(executionId: string): void {
    this.#entries.delete(executionId)
    this.#kv.delete(Q + executionId)
  }
  /** Takes a slot (concurrency) and a place in the rate window for a start or a dequeue. */
  admit(executionId: string, keys: { readonly concurrencyKey?: string | undefined; readonly rateKey?: string | undefined }, now: number): void {
    if (this.#flow.concurrency !== undefined && keys.concurrencyKey !== undefined) this.hold(executionId, keys.concurrencyKey)
    const rate = this.#flow.rateLimit
    if (rate !== undefined && keys.rateKey !== undefined) {
      const window = (this.#windows.get(keys.rateKey) ?? []).filter((t) => t > now - rate.periodMs)
      window.push(now)
      this.#windows.set(keys.rateKey, window)
      this.#kv.put(W + keys.rateKey, window)
    }
  }
  hold(executionId: string, group: string): void {
    this.#holders.set(executionId, { group })
    this.#kv.put(H + executionId, { group })
  }
  /** An execution asks for its slot again (it woke up): true when it holds one now, else it waits in line. */
  acquire(executionId: string, group: string): boolean {
    if (this.#holders.has(executionId)) return true
    const limit = this.#flow.concurrency?.limit
    if (limit === undefined) return true
    let first = true
    for (const [id, r] of this.#resumers) if (r.group === group && id !== executionId) first = false
    if (first && this.holding(group) < limit) {
      this.#dropResumer(executionId)
      this.hold(executionId, group)
      return true
    }
    if (!this.#resumers.has(executionId)) {
      const resumer = { group, order: this.nextOrder() }
      this.#resumers.set(executionId, resumer)
      this.#kv.put(R + executionId, resumer)
    }
    return false
  }
  /**
   * Gives back whatever the execution has here (slot, place among the resumers, place in the queue); answers the
   * group whose slot became free, if any.
   */
  release(executionId: string): string | undefined {
    this.#dropResumer(executionId)
    const entry = this.#entries.get(executionId)
    if (entry !== undefined && entry.admitting !== true) this.drop(executionId)
    const holder = this.#holders.get(executionId)
    if (holder === undefined) return undefined
    this.#holders.delete(executionId)
    this.#kv.delete(H + executionId)
    return holder.group
  }
  /** The resumer that gets a free slot of this group first, made a holder. */
  grantNext(group: string): string | undefined {
    const limit = this.#flow.concurrency?.limit
    if (limit === undefined || this.holding(group) >= limit) return undefined
    let next: [string, Resumer] | undefined
    for (const entry of this.#resumers) if (entry[1].group === group && (next === undefined || entry[1].order < next[1].order)) next = entry
    if (next === undefined) return undefined
    this.#dropResumer(next[0])
    this.hold(next[0], group)
    return next[0]
  }
  #dropResumer(executionId: string): void {
    if (this.#resumers.delete(executionId)) this.#kv.delete(R + executionId)
  }
}
