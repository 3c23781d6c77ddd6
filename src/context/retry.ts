/**
 * Retry strategies with the AWS SDK's shapes and defaults. A strategy is asked once per failed attempt; its
 * decision is recorded in the log (as the next attempt's time), so jitter never makes replay differ.
 */
import { type Duration, durationToMillis } from "./duration.ts"
import { isInstance, readSafely } from "./error-text.ts"

export interface RetryDecision {
  readonly shouldRetry: boolean
  /** Defaults to 1 second. */
  readonly delay?: Duration
}

/** `attemptCount` is 1-based: the attempt that just failed. */
export type RetryStrategy = (error: Error, attemptCount: number) => RetryDecision

// Plain objects rather than enums, so that Node can run the sources by stripping types; used the same way.
export const JitterStrategy = { NONE: "NONE", FULL: "FULL", HALF: "HALF" } as const
export type JitterStrategy = typeof JitterStrategy[keyof typeof JitterStrategy]

export const StepSemantics = {
  AtMostOncePerRetry: "AT_MOST_ONCE_PER_RETRY",
  AtLeastOncePerRetry: "AT_LEAST_ONCE_PER_RETRY"
} as const
export type StepSemantics = typeof StepSemantics[keyof typeof StepSemantics]

type ErrorClass = abstract new(...args: Array<any>) => Error

export interface RetryStrategyOptions {
  readonly maxAttempts?: number
  readonly initialDelay?: Duration
  readonly maxDelay?: Duration
  readonly backoffRate?: number
  readonly jitter?: JitterStrategy
  /** Messages (substring or pattern) that may be retried. Default: every error, unless retryableErrorTypes is set. */
  readonly retryableErrors?: ReadonlyArray<string | RegExp>
  readonly retryableErrorTypes?: ReadonlyArray<ErrorClass>
}

/**
 * The random source for jitter. The engine points it at the execution's Effect `Random` while a strategy runs,
 * so tests with a seeded Random get the same delays; outside an execution it is the platform's.
 */
let jitterSource: () => number = Math.random
export const withJitterSource = <A>(source: () => number, body: () => A): A => {
  const previous = jitterSource
  jitterSource = source
  try {
    return body()
  } finally {
    jitterSource = previous
  }
}

const applyJitter = (delayMs: number, jitter: JitterStrategy): number => {
  switch (jitter) {
    case JitterStrategy.NONE:
      return delayMs
    case JitterStrategy.FULL:
      return jitterSource() * delayMs
    case JitterStrategy.HALF:
      return delayMs / 2 + jitterSource() * (delayMs / 2)
  }
}

/** Delays are whole seconds, at least one, as in the AWS SDK. */
export const toDelay = (ms: number): Duration => ({ seconds: Math.max(1, Math.round(ms / 1000)) })

const isRetryable = (error: Error, options: RetryStrategyOptions): boolean => {
  const types = options.retryableErrorTypes ?? []
  const messages = options.retryableErrors ?? (types.length > 0 ? [] : [/.*/])
  if (types.some((type) => isInstance(error, type))) return true
  const read = readSafely(() => error.message)
  const message = typeof read === "string" ? read : ""
  // `search` rather than `test`: a global or sticky RegExp keeps state in lastIndex across `test` calls.
  return messages.some((m) => (typeof m === "string" ? message.includes(m) : message.search(m) !== -1))
}

export const createRetryStrategy = (options: RetryStrategyOptions = {}): RetryStrategy => {
  const maxAttempts = options.maxAttempts ?? 3
  const initial = durationToMillis(options.initialDelay ?? { seconds: 5 }, "initialDelay")
  const max = durationToMillis(options.maxDelay ?? { minutes: 5 }, "maxDelay")
  const rate = options.backoffRate ?? 2
  const jitter = options.jitter ?? JitterStrategy.FULL
  return (error, attemptCount) => {
    if (attemptCount >= maxAttempts || !isRetryable(error, options)) return { shouldRetry: false }
    const base = Math.min(max, initial * Math.pow(rate, attemptCount - 1))
    return { shouldRetry: true, delay: toDelay(applyJitter(base, jitter)) }
  }
}

/** AWS's name for RetryStrategyOptions. */
export type RetryStrategyConfig = RetryStrategyOptions

export interface LinearRetryStrategyOptions extends Omit<RetryStrategyOptions, "backoffRate"> {
  readonly increment?: Duration
}

/** AWS's name for LinearRetryStrategyOptions. */
export type LinearRetryStrategyConfig = LinearRetryStrategyOptions

export const createLinearRetryStrategy = (options: LinearRetryStrategyOptions = {}): RetryStrategy => {
  const maxAttempts = options.maxAttempts ?? 6
  const initial = durationToMillis(options.initialDelay ?? { seconds: 1 }, "initialDelay")
  const increment = durationToMillis(options.increment ?? { seconds: 1 }, "increment")
  const max = durationToMillis(options.maxDelay ?? { minutes: 5 }, "maxDelay")
  const jitter = options.jitter ?? JitterStrategy.FULL
  return (error, attemptCount) => {
    if (attemptCount >= maxAttempts || !isRetryable(error, options)) return { shouldRetry: false }
    const base = Math.min(max, initial + increment * (attemptCount - 1))
    return { shouldRetry: true, delay: toDelay(applyJitter(base, jitter)) }
  }
}

export const retryPresets = {
  /** Used when a step sets no strategy: 6 attempts, 5 s doubling to at most 60 s, full jitter. */
  default: createRetryStrategy({ maxAttempts: 6, initialDelay: { seconds: 5 }, maxDelay: { seconds: 60 }, backoffRate: 2 }),
  linear: createLinearRetryStrategy({ maxAttempts: 6, jitter: JitterStrategy.NONE }),
  noRetry: createRetryStrategy({ maxAttempts: 1 })
} as const
