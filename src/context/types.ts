/** The public shapes of the user API, after the AWS durable SDK's. */
import type { Schema } from "effect"
import type { BatchResult, CompletionConfig } from "./batch-result.ts"
import type { Nesting } from "./batch.ts"
import type { DurablePromise } from "./durable-promise.ts"
import type { DurableOperationError } from "./errors.ts"
import type { InvokeConfig } from "./invoke.ts"
import type { Duration } from "./duration.ts"
import type { DurableContextLogger, LoggerConfig } from "./logger.ts"
import type { RetryStrategy, StepSemantics } from "./retry.ts"
import type { Serdes, SerdesConfig } from "./serdes.ts"

/**
 * What a step body gets. `logger`, `idempotencyKey` and `traceparent` are made when read (getters): read them from
 * the context, or pass the context itself on; a spread copy of it holds `attempt` and `signal` only.
 */
export interface StepContext {
  readonly logger: DurableContextLogger
  /** 1-based attempt number. */
  readonly attempt: number
  /** Execution id + operation id: the same on every attempt and replay, for downstream idempotency. */
  readonly idempotencyKey: string
  /**
   * Fires when the attempt is given up: its `timeout` passed (the reason is a StepTimeoutError), or the execution
   * was stopped (an ExecutionStoppedError). Pass it to fetch.
   */
  readonly signal: AbortSignal
  /**
   * W3C trace context of this attempt's span (the same on every run of the attempt): send it on as a `traceparent`
   * header, or run the body under it with `reprise/otel`'s `contextOf` so its spans nest under the step.
   */
  readonly traceparent: string
}

export type StepFunc<T> = (context: StepContext) => Promise<T> | T

export interface StepConfig<T> {
  readonly retryStrategy?: RetryStrategy
  readonly semantics?: StepSemantics
  readonly serdes?: Serdes<T>
  /** Recorded as the operation's subtype instead of Step, and checked on replay (AWS's newer SDK). */
  readonly subType?: string
  /**
   * The longest one attempt may run (wall-clock time, up to 24 days): past it the attempt fails with a
   * StepTimeoutError, which goes to the retry strategy, and the step context's `signal` fires.
   */
  readonly timeout?: Duration
  /**
   * With `limit`: at most `limit` bodies of steps with this key run at once across the executions of this host
   * process (a downstream API's cap), or of every host sharing one PostgreSQL database, or on Cloudflare with the
   * `FLOW_CONTROL` binding; a body waits, in order, for its turn. Both or neither.
   */
  readonly concurrencyKey?: string
  /** A positive integer; see `concurrencyKey`. */
  readonly limit?: number
}

export interface CreateCallbackConfig<T = string> {
  readonly timeout?: Duration
  readonly heartbeatTimeout?: Duration
  readonly serdes?: Pick<Serdes<T>, "deserialize">
  /** Recorded as the callback operation's subtype instead of Callback, and checked on replay (AWS's newer SDK). */
  readonly subType?: string
  /**
   * The payload's Schema: the result is decoded from its JSON, and a completion that does not match is refused
   * (over HTTP: 400, naming the field). Given a `serdes` too, the serdes decodes and the schema only checks.
   */
  readonly schema?: Schema.Decoder<T>
}

export interface WaitForCallbackConfig<T = string> extends CreateCallbackConfig<T> {
  /** Retries of the submitter step. */
  readonly retryStrategy?: RetryStrategy
}

export type CallbackSubmitter = (callbackId: string, context: { readonly logger: DurableContextLogger }) => Promise<void> | void

export interface ChildConfig<T> {
  readonly serdes?: Serdes<T>
  /** Recorded as the operation's subtype instead of RunInChildContext. */
  readonly subType?: string
  /** Stored instead of a result over 256 KiB; the body then re-runs on replay, its operations replaying. */
  readonly summaryGenerator?: (result: T) => string
  /** Maps the ChildContextError the caller sees (on first run and on replay alike). */
  readonly errorMapper?: (error: DurableOperationError) => DurableOperationError
}

export interface BatchConfig<O> {
  /** How many items run at once (default: all). 0 or less is a ConfigurationError. */
  readonly maxConcurrency?: number
  readonly completionConfig?: CompletionConfig
  readonly serdes?: Serdes<BatchResult<O>>
  readonly itemSerdes?: Serdes<O>
  /** Stored instead of the aggregate when it is over 256 KiB (default: a summary of item statuses). */
  readonly summaryGenerator?: (result: BatchResult<O>) => string
  /** NESTED (default): a CONTEXT operation per item. FLAT: virtual item contexts, fewer operations. */
  readonly nesting?: Nesting
}

export interface MapConfig<I, O> extends BatchConfig<O> {
  /** The name of each item's context (default "map-item-<index>"). */
  readonly itemNamer?: (item: I, index: number) => string
}

export type MapFunc<I, O> = (context: DurableContext, item: I, index: number, items: ReadonlyArray<I>) => Promise<O>
export type ParallelFunc<O> = (context: DurableContext) => Promise<O>
export interface NamedParallelBranch<O> {
  readonly name?: string
  readonly func: ParallelFunc<O>
}
export type ParallelConfig<O> = BatchConfig<O>

/** What a branch (a function or a named branch) resolves to: the union over branches that return different types. */
export type ParallelBranchOutput<B> = B extends ParallelFunc<infer O> ? O : B extends NamedParallelBranch<infer O> ? O : never
type ParallelBranches = ReadonlyArray<ParallelFunc<unknown> | NamedParallelBranch<unknown>>

export interface DurableContext {
  readonly executionId: string
  /** The AWS SDK's `executionContext`, for code moved over from it. */
  readonly executionContext: { readonly durableExecutionArn: string }
  /** AWS's `lambdaContext`: the Lambda context of the invocation on Lambda (its `tenantId` too); undefined elsewhere. */
  readonly lambdaContext: import("./session.ts").LambdaContext | undefined
  readonly logger: DurableContextLogger

  step<T>(name: string | undefined, fn: StepFunc<T>, config?: StepConfig<T>): DurablePromise<T>
  step<T>(fn: StepFunc<T>, config?: StepConfig<T>): DurablePromise<T>

  /** Waits for a Duration (1 second to 1 year) or until a Date. */
  wait(name: string | undefined, duration: Duration | Date): DurablePromise<void>
  wait(duration: Duration | Date): DurablePromise<void>

  createCallback<T = string>(name: string | undefined, config?: CreateCallbackConfig<T>): DurablePromise<[DurablePromise<T>, string]>
  createCallback<T = string>(config?: CreateCallbackConfig<T>): DurablePromise<[DurablePromise<T>, string]>

  waitForCallback<T = string>(name: string | undefined, submitter: CallbackSubmitter, config?: WaitForCallbackConfig<T>): DurablePromise<T>
  waitForCallback<T = string>(submitter: CallbackSubmitter, config?: WaitForCallbackConfig<T>): DurablePromise<T>

  runInChildContext<T>(name: string | undefined, fn: (context: DurableContext) => Promise<T>, config?: ChildConfig<T>): DurablePromise<T>
  runInChildContext<T>(fn: (context: DurableContext) => Promise<T>, config?: ChildConfig<T>): DurablePromise<T>

  /** Runs another registered durable function as a child execution and waits for its result (InvokeError if it fails). */
  invoke<I, O>(name: string | undefined, functionName: string, input?: I, config?: InvokeConfig<I, O>): DurablePromise<O>
  invoke<I, O>(functionName: string, input?: I, config?: InvokeConfig<I, O>): DurablePromise<O>

  /**
   * An HTTP request made durably (AWS's newer SDK): recorded once, never sent again on replay. Resolves with the
   * response for any HTTP status; rejects with FetchError only when no response came (transport failure, timeout).
   */
  fetch(name: string | undefined, url: string, config?: import("./fetch.ts").FetchConfig): DurablePromise<import("./fetch.ts").FetchResponse>
  fetch(url: string, config?: import("./fetch.ts").FetchConfig): DurablePromise<import("./fetch.ts").FetchResponse>

  map<I, O>(name: string | undefined, items: ReadonlyArray<I>, fn: MapFunc<I, O>, config?: MapConfig<I, O>): DurablePromise<BatchResult<O>>
  map<I, O>(items: ReadonlyArray<I>, fn: MapFunc<I, O>, config?: MapConfig<I, O>): DurablePromise<BatchResult<O>>

  parallel<O>(name: string | undefined, branches: ReadonlyArray<ParallelFunc<O> | NamedParallelBranch<O>>, config?: ParallelConfig<O>): DurablePromise<BatchResult<O>>
  parallel<O>(branches: ReadonlyArray<ParallelFunc<O> | NamedParallelBranch<O>>, config?: ParallelConfig<O>): DurablePromise<BatchResult<O>>
  // Branches returning different types (AWS's inference overloads): a BatchResult of their union, not a type error.
  // The named one last: a wrong call's error is the last overload's, and most calls name their batch.
  parallel<B extends ParallelBranches>(branches: B, config?: ParallelConfig<ParallelBranchOutput<B[number]>>): DurablePromise<BatchResult<ParallelBranchOutput<B[number]>>>
  parallel<B extends ParallelBranches>(name: string | undefined, branches: B, config?: ParallelConfig<ParallelBranchOutput<B[number]>>): DurablePromise<BatchResult<ParallelBranchOutput<B[number]>>>

  /** The current time, recorded on first run so that replays see the same instant. */
  now(): DurablePromise<Date>
  /** A double in [0, 1), recorded on first run. */
  random(): DurablePromise<number>
  /** A version 4 UUID, recorded on first run. */
  uuid(): DurablePromise<string>

  /**
   * Progress for clients: records `value` (JSON, 64 KiB at most) under `topic` in the log, once (a replay finds it
   * and writes nothing), and streams it to `GET /v1/executions/:id/emissions`. Resolves once it is durable.
   */
  emit(topic: string, value?: unknown): DurablePromise<void>

  /** Polls `check` durably (each poll recorded, the next one on a durable timer) until the wait strategy says stop. */
  waitForCondition<T>(
    name: string | undefined,
    check: import("./wait-for-condition.ts").WaitForConditionCheck<T>,
    config: import("./wait-for-condition.ts").WaitForConditionConfig<T>
  ): DurablePromise<T>
  waitForCondition<T>(
    check: import("./wait-for-condition.ts").WaitForConditionCheck<T>,
    config: import("./wait-for-condition.ts").WaitForConditionConfig<T>
  ): DurablePromise<T>

  /** Durable Promise.all / allSettled / any / race over durable promises already created; the outcome is recorded. */
  readonly promise: import("./promise-combinators.ts").PromiseCombinators

  /**
   * Versioning: true on a first run (and records a marker in the log), and on a replay whose log recorded the
   * marker at this point; false on a replay of a log written before the patch. Guard the new code with it, keep the
   * old path in the else branch until no execution started before the change remains.
   */
  patched(patchId: string): boolean
  /** Once no old execution remains: the new path is the only one; new runs still record the marker. */
  deprecatePatch(patchId: string): void

  /**
   * Ends this run and goes on in a fresh log with `input` (JSON): the next run `<id>~2` (then `~3` …) runs the same
   * function from the top, linked to this one (`continuedFrom` / `continuedAs` in describe). For loops that would
   * grow one log without bound. Nothing after the call runs; the returned promise never settles.
   */
  continueAsNew(input?: unknown): Promise<never>

  configureSerdes(config: SerdesConfig): void
  configureLogger(config: LoggerConfig): void
}
