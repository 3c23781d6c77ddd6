/**
 * Flow control declared with a function (`durable(name, fn, { concurrency, rateLimit, priority, debounce })`,
 * docs/flow-control.md): the options' shapes, their checks at registration (a FlowConfigError names what is wrong),
 * and the keys a start is counted under.
 */
import { type Duration, durationToMillis } from "../context/duration.ts"

/** A function of the start's input (parsed JSON) naming the group a limit counts in (a customer, a tenant). */
export type FlowKey = (input: any) => string

export interface ConcurrencyOptions {
  /** At most this many executions (of the function, or of one key) run user code at once; a positive integer. */
  readonly limit: number
  readonly key?: FlowKey
}

export interface RateLimitOptions {
  /** At most this many starts per `period` (of the function, or of one key); a positive integer. */
  readonly limit: number
  readonly period: Duration
  readonly key?: FlowKey
  /** "queue" (default): the start waits, QUEUED; "refuse": it fails with RateLimited (HTTP 429 with Retry-After). */
  readonly whenLimited?: "queue" | "refuse"
}

export interface DebounceOptions {
  /** Starts of one key within this period of the last collapse into one execution, run with the last input. */
  readonly period: Duration
  readonly key?: FlowKey
}

export interface FlowOptions {
  /** A number, or `{ limit, key }`. */
  readonly concurrency?: number | ConcurrencyOptions
  readonly rateLimit?: RateLimitOptions
  /** The priority of a start that does not give one (higher runs first; default 0). */
  readonly priority?: (input: any) => number
  readonly debounce?: DebounceOptions
}

/** Flow control that cannot work, refused when the function is declared. */
export class FlowConfigError extends TypeError {
  override readonly name = "FlowConfigError"
}

/** The checked form the engine uses. */
export interface FlowControl {
  readonly concurrency?: { readonly limit: number; readonly key?: FlowKey }
  readonly rateLimit?: { readonly limit: number; readonly periodMs: number; readonly key?: FlowKey; readonly refuse: boolean }
  readonly priority?: (input: any) => number
  readonly debounce?: { readonly periodMs: number; readonly key?: FlowKey }
}

const MAX_PERIOD_MS = 366 * 24 * 3600 * 1000

const positiveInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 1

/**
 * A value as an error message shows it: JSON, but for the numbers JSON has no form for (Infinity, NaN read "null"),
 * a BigInt, and a value JSON.stringify throws on (a cycle), which must not turn the refusal into its TypeError.
 */
const shown = (value: unknown): string => {
  if (typeof value === "number") return String(value)
  if (typeof value === "bigint") return `${value}n`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** Checks the options; undefined when the function has no flow control. */
export const checkFlowOptions = (functionName: string, options: FlowOptions): FlowControl | undefined => {
  const fail = (reason: string) => new FlowConfigError(`Durable function ${JSON.stringify(functionName)}: ${reason}`)
  const keyOf = (what: string, key: unknown): FlowKey | undefined => {
    if (key !== undefined && typeof key !== "function") throw fail(`${what}.key must be a function of the input, got ${typeof key}`)
    return key as FlowKey | undefined
  }
  const period = (what: string, value: unknown): number => {
    let ms: number
    try {
      ms = durationToMillis(value as Duration, `${what}.period`)
    } catch (error) {
      throw fail((error as Error).message)
    }
    if (ms < 1 || ms > MAX_PERIOD_MS) throw fail(`${what}.period must be from 1 ms to 366 days, got ${ms} ms`)
    return ms
  }
  const flow: { -readonly [K in keyof FlowControl]: FlowControl[K] } = {}
  if (options.concurrency !== undefined) {
    const c = typeof options.concurrency === "number" ? { limit: options.concurrency } : options.concurrency
    if (typeof c !== "object" || c === null || !positiveInteger(c.limit)) {
      throw fail(`concurrency must be a positive integer (or { limit, key }), got ${shown(typeof c === "object" && c !== null ? c.limit : c)}`)
    }
    const key = keyOf("concurrency", c.key)
    flow.concurrency = { limit: c.limit, ...(key === undefined ? {} : { key }) }
  }
  if (options.rateLimit !== undefined) {
    const r = options.rateLimit
    if (typeof r !== "object" || r === null) throw fail(`rateLimit must be { limit, period, key?, whenLimited? }, got ${shown(r)}`)
    if (!positiveInteger(r.limit)) throw fail(`rateLimit.limit must be a positive integer, got ${shown(r.limit)}`)
    if (r.whenLimited !== undefined && r.whenLimited !== "queue" && r.whenLimited !== "refuse") {
      throw fail(`rateLimit.whenLimited must be "queue" or "refuse", got ${shown(r.whenLimited)}`)
    }
    const key = keyOf("rateLimit", r.key)
    flow.rateLimit = { limit: r.limit, periodMs: period("rateLimit", r.period), refuse: r.whenLimited === "refuse", ...(key === undefined ? {} : { key }) }
  }
  if (options.priority !== undefined) {
    if (typeof options.priority !== "function") throw fail(`priority must be a function of the input, got ${typeof options.priority}`)
    flow.priority = options.priority
  }
  if (options.debounce !== undefined) {
    const d = options.debounce
    if (typeof d !== "object" || d === null) throw fail(`debounce must be { period, key? }, got ${shown(d)}`)
    const key = keyOf("debounce", d.key)
    flow.debounce = { periodMs: period("debounce", d.period), ...(key === undefined ? {} : { key }) }
  }
  return Object.keys(flow).length === 0 ? undefined : flow
}

/** Priorities are integers in this range; higher runs first. */
export const MIN_PRIORITY = -1000
export const MAX_PRIORITY = 1000

/** A priority given with a start, or undefined when it is not one (the caller refuses the start). */
export const validPriority = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= MIN_PRIORITY && value <= MAX_PRIORITY

/** The key a start counts under for one limit: "" without a key function. A key function that throws refuses the start. */
export const keyFor = (key: FlowKey | undefined, input: unknown): string => {
  if (key === undefined) return ""
  const value = key(input)
  if (typeof value !== "string") throw new TypeError(`a flow-control key function returned ${typeof value}, not a string`)
  return value
}
