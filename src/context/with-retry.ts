/**
 * `withRetry`: retry a whole block of durable code (steps, waits, callbacks, invokes …), as the AWS SDK's helper does.
 * By default the retry loop runs inside one child context (named `name`), so every attempt's operations and the
 * backoff waits between attempts are its children; between attempts it sleeps on a durable wait named
 * `"<name>-backoff-<attempt>"` (anonymous when there is no name). On replay the earlier attempts replay from the log:
 * their operations give the same results and errors, and the strategy gives the same decisions.
 */
import type { ContextCore } from "./context-core.ts"
import { DurablePromise } from "./durable-promise.ts"
import { isError, safeString } from "./error-text.ts"
import { type RetryStrategy, withJitterSource } from "./retry.ts"
import type { ChildConfig, DurableContext } from "./types.ts"

export interface WithRetryConfig<T> {
  /** Asked after each failed attempt (1-based), as for steps: `createRetryStrategy` and `retryPresets` fit. */
  readonly retryStrategy: RetryStrategy
  /**
   * Run the loop inside one child context (default true). A final failure then comes out as ChildContextError with
   * the last attempt's error as `cause`; without the child context, the last attempt's error itself is thrown.
   */
  readonly wrapWithRunInChildContext?: boolean
  /** Passed to the wrapping `runInChildContext`; ignored without it. */
  readonly childContextConfig?: ChildConfig<T>
}

/** One attempt: `attempt` is 1-based; `context` is the wrapping child context (or the given one when not wrapped). */
export type RetryableFunc<T> = (context: DurableContext, attempt: number) => Promise<T>

export function withRetry<T>(context: DurableContext, name: string | undefined, func: RetryableFunc<T>, config: WithRetryConfig<T>): DurablePromise<T>
export function withRetry<T>(context: DurableContext, func: RetryableFunc<T>, config: WithRetryConfig<T>): DurablePromise<T>
export function withRetry<T>(context: DurableContext, ...args: Array<any>): DurablePromise<T> {
  const [name, func, config] = (typeof args[0] === "string" || args[0] === undefined ? args : [undefined, ...args]) as [
    string | undefined,
    RetryableFunc<T>,
    WithRetryConfig<T> | undefined
  ]
  if (typeof func !== "function" || typeof config?.retryStrategy !== "function") {
    return new DurablePromise<T>(Promise.reject(new TypeError("withRetry needs a function and a config with a retryStrategy")))
  }
  const loop = async (ctx: DurableContext): Promise<T> => {
    for (let attempt = 1;; attempt++) {
      try {
        return await func(ctx, attempt)
      } catch (error) {
        const decision = decide(ctx, () => config.retryStrategy(asError(error), attempt))
        if (!decision.shouldRetry) throw error
        const delay = decision.delay ?? { seconds: 1 }
        if (name === undefined) await ctx.wait(delay)
        else await ctx.wait(`${name}-backoff-${attempt}`, delay)
      }
    }
  }
  if (config.wrapWithRunInChildContext === false) return new DurablePromise(loop(context))
  return context.runInChildContext(name, loop, config.childContextConfig)
}

/** Jitter reads the execution's Random, as it does for step retries (only the first run's delay is ever used). */
const decide = <A>(ctx: DurableContext, ask: () => A): A => {
  const core = (ctx as { core?: ContextCore }).core
  return core === undefined ? ask() : withJitterSource(core.session.random, ask)
}

const asError = (error: unknown): Error => (isError(error) ? error : new Error(safeString(error)))
