import { assert, describe, it } from "@effect/vitest"
import { durationToMillis } from "../../src/context/duration.ts"
import {
  createLinearRetryStrategy,
  createRetryStrategy,
  JitterStrategy,
  type RetryDecision,
  type RetryStrategy,
  retryPresets,
  withJitterSource
} from "../../src/context/retry.ts"

const failure = new Error("connection reset")

/** The delay in seconds a strategy asks for after `attempt`, or undefined if it gives up. */
const delaySeconds = (strategy: RetryStrategy, attempt: number, error: Error = failure): number | undefined => {
  const decision = strategy(error, attempt)
  if (!decision.shouldRetry) return undefined
  assert.isDefined(decision.delay)
  return durationToMillis(decision.delay!) / 1000
}

/** Asks `strategy` about attempts 1, 2, … until it gives up, with jitter drawing `random` every time. */
const schedule = (strategy: RetryStrategy, random = 0.5): Array<number> =>
  withJitterSource(() => random, () => {
    const delays: Array<number> = []
    for (let attempt = 1; attempt < 100; attempt++) {
      const seconds = delaySeconds(strategy, attempt)
      if (seconds === undefined) return delays
      delays.push(seconds)
    }
    assert.fail("the strategy never gave up")
  })

describe("createRetryStrategy defaults", () => {
  it("allows 3 attempts: retries after attempts 1 and 2, not after attempt 3", () => {
    const strategy = createRetryStrategy()
    assert.isTrue(strategy(failure, 1).shouldRetry)
    assert.isTrue(strategy(failure, 2).shouldRetry)
    assert.deepStrictEqual(strategy(failure, 3), { shouldRetry: false })
    assert.deepStrictEqual(strategy(failure, 4), { shouldRetry: false })
  })

  it("starts from 5 s doubling, with full jitter: a random value of 1 gives the whole delay", () => {
    const strategy = createRetryStrategy()
    assert.deepStrictEqual(schedule(strategy, 1), [5, 10])
    assert.deepStrictEqual(schedule(strategy, 0.5), [3, 5])
  })

  it("retries any error", () => {
    const strategy = createRetryStrategy()
    assert.isTrue(strategy(new TypeError("x is undefined"), 1).shouldRetry)
    assert.isTrue(strategy(new Error(""), 1).shouldRetry)
  })
})

describe("createRetryStrategy backoff (no jitter)", () => {
  it("doubles from the initial delay: 5 s, 10 s, 20 s, 40 s …", () => {
    const strategy = createRetryStrategy({ maxAttempts: 6, jitter: JitterStrategy.NONE })
    assert.deepStrictEqual(schedule(strategy), [5, 10, 20, 40, 80])
  })

  it("is capped at maxDelay", () => {
    const strategy = createRetryStrategy({ maxAttempts: 8, jitter: JitterStrategy.NONE, maxDelay: { seconds: 30 } })
    assert.deepStrictEqual(schedule(strategy), [5, 10, 20, 30, 30, 30, 30])
  })

  it("is capped at 5 minutes by default", () => {
    const strategy = createRetryStrategy({ maxAttempts: 10, jitter: JitterStrategy.NONE })
    assert.deepStrictEqual(schedule(strategy), [5, 10, 20, 40, 80, 160, 300, 300, 300])
  })

  it("follows initialDelay and backoffRate", () => {
    const strategy = createRetryStrategy({ maxAttempts: 4, jitter: JitterStrategy.NONE, initialDelay: { seconds: 2 }, backoffRate: 3 })
    assert.deepStrictEqual(schedule(strategy), [2, 6, 18])
  })

  it("rounds delays to whole seconds", () => {
    const strategy = createRetryStrategy({ maxAttempts: 4, jitter: JitterStrategy.NONE, initialDelay: { seconds: 1.4 }, backoffRate: 1.5 })
    // 1.4 s, 2.1 s, 3.15 s
    assert.deepStrictEqual(schedule(strategy), [1, 2, 3])
  })

  it("never asks for less than 1 s", () => {
    const strategy = createRetryStrategy({ maxAttempts: 3, jitter: JitterStrategy.NONE, initialDelay: { seconds: 0.2 } })
    assert.deepStrictEqual(schedule(strategy), [1, 1])
  })

  it("rejects an invalid initialDelay or maxDelay when the strategy is created", () => {
    assert.throws(() => createRetryStrategy({ initialDelay: { seconds: -5 } }), /initialDelay\.seconds/)
    assert.throws(() => createRetryStrategy({ maxDelay: {} as { seconds: number } }), /maxDelay must set/)
  })
})

describe("createRetryStrategy jitter", () => {
  const base = { maxAttempts: 5, initialDelay: { seconds: 10 } } as const

  it("FULL spreads the delay over 0 … delay (then at least 1 s)", () => {
    const strategy = createRetryStrategy({ ...base, jitter: JitterStrategy.FULL })
    assert.deepStrictEqual(schedule(strategy, 0), [1, 1, 1, 1])
    assert.deepStrictEqual(schedule(strategy, 0.25), [3, 5, 10, 20])
    assert.deepStrictEqual(schedule(strategy, 0.999), [10, 20, 40, 80])
  })

  it("HALF spreads the delay over delay/2 … delay", () => {
    const strategy = createRetryStrategy({ ...base, jitter: JitterStrategy.HALF })
    assert.deepStrictEqual(schedule(strategy, 0), [5, 10, 20, 40])
    assert.deepStrictEqual(schedule(strategy, 0.5), [8, 15, 30, 60])
    assert.deepStrictEqual(schedule(strategy, 0.999), [10, 20, 40, 80])
  })

  it("applies after the cap, so jittered delays never exceed maxDelay", () => {
    const strategy = createRetryStrategy({ ...base, maxDelay: { seconds: 15 }, jitter: JitterStrategy.HALF })
    assert.deepStrictEqual(schedule(strategy, 0.999), [10, 15, 15, 15])
  })

  it("stays within bounds for any random value", () => {
    const full = createRetryStrategy({ ...base, jitter: JitterStrategy.FULL })
    const half = createRetryStrategy({ ...base, jitter: JitterStrategy.HALF })
    for (let i = 0; i < 100; i++) {
      const random = i / 100
      const fullDelays = schedule(full, random)
      const halfDelays = schedule(half, random)
      for (const [index, nominal] of [10, 20, 40, 80].entries()) {
        assert.isAtLeast(fullDelays[index]!, 1)
        assert.isAtMost(fullDelays[index]!, nominal)
        assert.isAtLeast(halfDelays[index]!, nominal / 2)
        assert.isAtMost(halfDelays[index]!, nominal)
      }
    }
  })

  it("withJitterSource restores the previous source afterwards, even when the body throws", () => {
    const strategy = createRetryStrategy({ ...base, jitter: JitterStrategy.FULL })
    withJitterSource(() => 0, () => {
      assert.throws(() => withJitterSource(() => 1, () => {
        throw new Error("inside")
      }), /inside/)
      assert.strictEqual(delaySeconds(strategy, 1), 1)
    })
  })
})

describe("createRetryStrategy: which errors are retried", () => {
  it("retryableErrors matches messages by substring or RegExp; others are not retried", () => {
    const strategy = createRetryStrategy({ retryableErrors: ["throttled", /^HTTP 5\d\d/] })
    assert.isTrue(strategy(new Error("request throttled, slow down"), 1).shouldRetry)
    assert.isTrue(strategy(new Error("HTTP 503 Service Unavailable"), 1).shouldRetry)
    assert.deepStrictEqual(strategy(new Error("HTTP 404 Not Found"), 1), { shouldRetry: false })
    assert.deepStrictEqual(strategy(new Error("card declined"), 1), { shouldRetry: false })
  })

  it("an empty retryableErrors retries nothing", () => {
    assert.isFalse(createRetryStrategy({ retryableErrors: [] })(failure, 1).shouldRetry)
  })

  it("a global RegExp gives the same answer every time (no lastIndex state between calls)", () => {
    const strategy = createRetryStrategy({ maxAttempts: 10, retryableErrors: [/timeout/g] })
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.isTrue(strategy(new Error("socket timeout"), attempt).shouldRetry, `attempt ${attempt}`)
    }
  })

  class ThrottleError extends Error {}
  class ValidationError extends Error {}

  it("retryableErrorTypes retries instances of the types given, subclasses included", () => {
    class HardThrottleError extends ThrottleError {}
    const strategy = createRetryStrategy({ retryableErrorTypes: [ThrottleError] })
    assert.isTrue(strategy(new ThrottleError("slow down"), 1).shouldRetry)
    assert.isTrue(strategy(new HardThrottleError("slow down more"), 1).shouldRetry)
  })

  it("giving only retryableErrorTypes stops \"retry everything\"", () => {
    const strategy = createRetryStrategy({ retryableErrorTypes: [ThrottleError] })
    assert.deepStrictEqual(strategy(new ValidationError("bad input"), 1), { shouldRetry: false })
    assert.deepStrictEqual(strategy(new Error("connection reset"), 1), { shouldRetry: false })
  })

  it("retryableErrors and retryableErrorTypes together retry an error matching either", () => {
    const strategy = createRetryStrategy({ retryableErrors: ["reset"], retryableErrorTypes: [ThrottleError] })
    assert.isTrue(strategy(new ThrottleError("slow down"), 1).shouldRetry)
    assert.isTrue(strategy(new Error("connection reset"), 1).shouldRetry)
    assert.isFalse(strategy(new ValidationError("bad input"), 1).shouldRetry)
  })

  it("a retryable error is still not retried once the attempts are used up", () => {
    const strategy = createRetryStrategy({ maxAttempts: 2, retryableErrorTypes: [ThrottleError] })
    assert.isTrue(strategy(new ThrottleError("slow down"), 1).shouldRetry)
    assert.isFalse(strategy(new ThrottleError("slow down"), 2).shouldRetry)
  })
})

describe("retryPresets", () => {
  it("default allows 6 attempts, 5 s doubling up to 60 s", () => {
    assert.deepStrictEqual(schedule(retryPresets.default, 0.999), [5, 10, 20, 40, 60])
  })

  it("default uses full jitter", () => {
    assert.deepStrictEqual(schedule(retryPresets.default, 0.5), [3, 5, 10, 20, 30])
  })

  it("noRetry never retries", () => {
    assert.deepStrictEqual(retryPresets.noRetry(failure, 1), { shouldRetry: false })
  })

  it("linear allows 6 attempts, 1 s more each time, without jitter", () => {
    assert.deepStrictEqual(schedule(retryPresets.linear, 0), [1, 2, 3, 4, 5])
  })
})

describe("createLinearRetryStrategy", () => {
  it("defaults to 6 attempts, 1 s plus 1 s per attempt", () => {
    const strategy = createLinearRetryStrategy({ jitter: JitterStrategy.NONE })
    assert.deepStrictEqual(schedule(strategy), [1, 2, 3, 4, 5])
  })

  it("follows initialDelay, increment, maxDelay and maxAttempts", () => {
    const strategy = createLinearRetryStrategy({
      maxAttempts: 7,
      initialDelay: { seconds: 10 },
      increment: { seconds: 5 },
      maxDelay: { seconds: 25 },
      jitter: JitterStrategy.NONE
    })
    assert.deepStrictEqual(schedule(strategy), [10, 15, 20, 25, 25, 25])
  })

  it("uses full jitter by default", () => {
    const strategy = createLinearRetryStrategy({ initialDelay: { seconds: 10 }, increment: { seconds: 10 } })
    assert.deepStrictEqual(schedule(strategy, 0.5), [5, 10, 15, 20, 25])
  })

  it("honours retryableErrors", () => {
    const strategy = createLinearRetryStrategy({ retryableErrors: ["reset"] })
    assert.isTrue(strategy(failure, 1).shouldRetry)
    const decision: RetryDecision = strategy(new Error("card declined"), 1)
    assert.deepStrictEqual(decision, { shouldRetry: false })
  })
})
