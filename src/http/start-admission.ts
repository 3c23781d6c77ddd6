/**
 * Admission of starts (issue 19, item 4): at most `concurrent` start requests are served at once (a `?wait` start
 * holds its place until it answers, or until its client goes away); the next `queued` wait their turn in arrival
 * order; past that, a start is refused at once with 503 and `Retry-After` (problem+json), before its body is read,
 * so it creates nothing. Other routes (health checks, reads, callbacks) never wait here.
 */
import type { MiddlewareHandler } from "hono"
import { problemResponse } from "./problem.ts"

export interface StartAdmission {
  /** Start requests served at once (default 512). */
  readonly concurrent?: number
  /** Start requests waiting for a place, first come first served (default 2,048); past it: 503. */
  readonly queued?: number
  /** The Retry-After of a refused start, in seconds (default 1). */
  readonly retryAfterSeconds?: number
}

const positive = (value: number | undefined, fallback: number, name: string, min: number): number => {
  const n = value ?? fallback
  if (!Number.isSafeInteger(n) || n < min) throw new TypeError(`admission.${name} must be an integer of at least ${min}`)
  return n
}

/** The middleware for `POST /v1/functions/:name/executions`. */
export const startAdmission = (options: StartAdmission = {}): MiddlewareHandler => {
  const concurrent = positive(options.concurrent, 512, "concurrent", 1)
  const queued = positive(options.queued, 2048, "queued", 0)
  const retryAfter = positive(options.retryAfterSeconds, 1, "retryAfterSeconds", 0)
  let active = 0
  /** Who waits for a place, first first; each is handed the place of a start that ends. */
  const waiting: Array<() => void> = []
  const release = () => {
    const next = waiting.shift()
    if (next === undefined) active--
    else next() // the place passes on: `active` is unchanged
  }
  return async (c, next) => {
    if (c.req.method !== "POST") return next()
    if (active < concurrent) {
      active++
    } else if (waiting.length < queued) {
      await new Promise<void>((resolve) => waiting.push(resolve))
    } else {
      return problemResponse(
        "server-busy",
        `The server is serving ${concurrent} starts with ${queued} waiting; retry after ${retryAfter} s`,
        c.req.path,
        { "retry-after": String(retryAfter) }
      )
    }
    try {
      await next()
    } finally {
      release()
    }
  }
}
