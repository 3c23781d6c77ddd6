/**
 * `createWaitStrategy`: the AWS SDK's polling strategy for `ctx.waitForCondition`, with its defaults (60 attempts,
 * 5 s growing by 1.5x to at most 300 s, full jitter). Delays are whole seconds, at least one, as for retries; the
 * jitter reads the execution's Random (the same source as retry strategies), and the decision is recorded in the log
 * as the next poll's time, so jitter never makes a replay differ.
 */
import { type Duration } from "./duration.ts"
import { createRetryStrategy, JitterStrategy } from "./retry.ts"
import type { WaitForConditionDecision, WaitForConditionProgress } from "./wait-for-condition.ts"

export interface WaitStrategyConfig<T> {
  /** True while the condition is not met yet: poll again. */
  readonly shouldContinuePolling: (state: T) => boolean
  /** Polls in all, the first included (default 60). Reaching it fails the waitForCondition. */
  readonly maxAttempts?: number
  /** Delay after the first poll (default 5 seconds). */
  readonly initialDelay?: Duration
  /** Longest delay between polls (default 300 seconds). */
  readonly maxDelay?: Duration
  /** Growth of the delay per poll (default 1.5). */
  readonly backoffRate?: number
  /** Default FULL: a random delay between 0 and the computed one (at least 1 second). */
  readonly jitter?: JitterStrategy
  /**
   * How long to keep polling, counted from the first poll. The AWS SDK accepts this option but ignores it;
   * Reprise enforces it: no poll is scheduled past the deadline, and a condition still unmet at the deadline fails
   * the waitForCondition with "waitForCondition exceeded timeout (N seconds)".
   */
  readonly timeoutSeconds?: number
}

export type WaitStrategy<T> = (state: T, attemptsMade: number, progress?: WaitForConditionProgress) => WaitForConditionDecision

export const createWaitStrategy = <T>(config: WaitStrategyConfig<T>): WaitStrategy<T> => {
  const maxAttempts = config.maxAttempts ?? 60
  const timeoutMs = config.timeoutSeconds === undefined ? undefined : config.timeoutSeconds * 1000
  if (typeof config.shouldContinuePolling !== "function") {
    throw new TypeError("createWaitStrategy needs a shouldContinuePolling function")
  }
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    throw new TypeError(`timeoutSeconds must be a positive number, got ${config.timeoutSeconds}`)
  }
  // The same exponential formula, rounding and jitter source as retry strategies: only the defaults differ.
  const backoff = createRetryStrategy({
    maxAttempts: Infinity,
    initialDelay: config.initialDelay ?? { seconds: 5 },
    maxDelay: config.maxDelay ?? { seconds: 300 },
    backoffRate: config.backoffRate ?? 1.5,
    jitter: config.jitter ?? JitterStrategy.FULL
  })
  const poll = new Error("poll")
  return (state, attemptsMade, progress) => {
    if (!config.shouldContinuePolling(state)) return { shouldContinue: false }
    if (attemptsMade >= maxAttempts) throw new Error(`waitForCondition exceeded maximum attempts (${maxAttempts})`)
    const delay = backoff(poll, attemptsMade).delay as { seconds: number }
    if (timeoutMs === undefined || progress === undefined) return { shouldContinue: true, delay }
    const remainingMs = timeoutMs - progress.elapsedMs
    if (remainingMs <= 0) throw new Error(`waitForCondition exceeded timeout (${config.timeoutSeconds} seconds)`)
    // The last poll happens at the deadline, not after it.
    return { shouldContinue: true, delay: { seconds: Math.max(1, Math.min(delay.seconds, Math.ceil(remainingMs / 1000))) } }
  }
}
