/** The public shapes of the user API, after the AWS durable SDK's. */
import type { DurablePromise } from "./durable-promise.ts"
import type { Duration } from "./duration.ts"
import type { DurableContextLogger, LoggerConfig } from "./logger.ts"
import type { RetryStrategy, StepSemantics } from "./retry.ts"
import type { Serdes, SerdesConfig } from "./serdes.ts"

export interface StepContext {
  readonly logger: DurableContextLogger
  /** 1-based attempt number. */
  readonly attempt: number
  /** Execution id + operation id: the same on every attempt and replay, for downstream idempotency. */
  readonly idempotencyKey: string
}

export type StepFunc<T> = (context: StepContext) => Promise<T> | T

export interface StepConfig<T> {
  readonly retryStrategy?: RetryStrategy
  readonly semantics?: StepSemantics
  readonly serdes?: Serdes<T>
}

export interface CreateCallbackConfig<T = string> {
  readonly timeout?: Duration
  readonly heartbeatTimeout?: Duration
  readonly serdes?: Pick<Serdes<T>, "deserialize">
}

export interface WaitForCallbackConfig<T = string> extends CreateCallbackConfig<T> {
  /** Retries of the submitter step. */
  readonly retryStrategy?: RetryStrategy
}

export type CallbackSubmitter = (callbackId: string, context: { readonly logger: DurableContextLogger }) => Promise<void> | void

export interface ChildConfig<T> {
  readonly serdes?: Serdes<T>
}

export interface DurableContext {
  readonly executionId: string
  /** The AWS SDK's `executionContext`, for code moved over from it. */
  readonly executionContext: { readonly durableExecutionArn: string }
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

  /** The current time, recorded on first run so that replays see the same instant. */
  now(): DurablePromise<Date>
  /** A double in [0, 1), recorded on first run. */
  random(): DurablePromise<number>
  /** A version 4 UUID, recorded on first run. */
  uuid(): DurablePromise<string>

  configureSerdes(config: SerdesConfig): void
  configureLogger(config: LoggerConfig): void
}
