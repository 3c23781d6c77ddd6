/** reprise: durable functions. The user API, registration, errors, retry and duration helpers. */
export { durable } from "./engine/registry.ts"
export type { DurableExecutionHandler, DurableFunction, DurableFunctionOptions, DurableHandler } from "./engine/registry.ts"
export { FlowConfigError } from "./engine/flow-options.ts"
export type { ConcurrencyOptions, DebounceOptions, FlowKey, FlowOptions, RateLimitOptions } from "./engine/flow-options.ts"
export type {
  CallbackSubmitter,
  ChildConfig,
  CreateCallbackConfig,
  DurableContext,
  StepConfig,
  StepContext,
  StepFunc,
  WaitForCallbackConfig
} from "./context/types.ts"
export { DurablePromise } from "./context/durable-promise.ts"
export type { Duration } from "./context/duration.ts"
export {
  createLinearRetryStrategy,
  createRetryStrategy,
  JitterStrategy,
  retryPresets,
  StepSemantics
} from "./context/retry.ts"
export type {
  LinearRetryStrategyConfig,
  LinearRetryStrategyOptions,
  RetryDecision,
  RetryStrategy,
  RetryStrategyConfig,
  RetryStrategyOptions
} from "./context/retry.ts"
export { createClassSerdes, createClassSerdesWithDates, defaultSerdes } from "./context/serdes.ts"
export type { AnySerdes, AnySerdesDeserializer, Serdes, SerdesConfig, SerdesContext } from "./context/serdes.ts"
export type { DurableContextLogger, DurableLogData, DurableLogger, DurableLoggingContext, LoggerConfig, LogLevel } from "./context/logger.ts"
export {
  CallbackError,
  CallbackExternalError,
  CallbackSubmitterError,
  CallbackTimeoutError,
  ChildContextError,
  DurableOperationError,
  InvalidDurationError,
  InvokeError,
  NonDeterministicExecutionError,
  PayloadTooLargeError,
  PromiseCombinatorError,
  SerdesFailedError,
  StepError,
  StepInterruptedError,
  StepTimeoutError,
  ExecutionStoppedError,
  FetchError,
  WaitForConditionError
} from "./context/errors.ts"
export { BatchCompletionError, BatchResult, completeBatch, CompletionOutcome, continueBatch } from "./context/batch-result.ts"
export type {
  BatchItem,
  CompletionConfig,
  CompletionDecision,
  CompletionItemStatus,
  CompletionReason,
  CompletionStatus,
  CustomCompletionConfig,
  ThresholdCompletionConfig
} from "./context/batch-result.ts"
export { BatchItemStatus, NestingType, OperationStatus, OperationSubType, OperationType } from "./context/aws-enums.ts"
export type { Nesting } from "./context/batch.ts"
export type { BatchConfig, MapConfig, MapFunc, NamedParallelBranch, ParallelBranchOutput, ParallelConfig, ParallelFunc } from "./context/types.ts"
export { ConfigurationError, ContextUsageError, RecordedError } from "./context/errors.ts"
export type { InvokeConfig } from "./context/invoke.ts"
export { MAX_EMISSION_BYTES } from "./context/emit.ts"
export type { Emission } from "./context/emit.ts"
export type { FetchConfig, FetchResponse, FetchTransport } from "./context/fetch.ts"
export type { InvocationInfo, LambdaContext, LogLineStyle } from "./context/session.ts"
export type { ErrorObject, LogEvent } from "./log/events.ts"
export type { ExecutionStatus } from "./log/fold.ts"
export { createWaitStrategy } from "./context/wait-strategy.ts"
export type { WaitStrategy, WaitStrategyConfig } from "./context/wait-strategy.ts"
export type {
  WaitForConditionCheck,
  WaitForConditionCheckFunc,
  WaitForConditionConfig,
  WaitForConditionContext,
  WaitForConditionDecision,
  WaitForConditionProgress,
  WaitForConditionWaitStrategyFunc
} from "./context/wait-for-condition.ts"
export { withRetry } from "./context/with-retry.ts"
export { CompensationError, saga } from "./context/saga.ts"
export type { Saga, SagaBody, SagaStepConfig } from "./context/saga.ts"
export type { RetryableFunc, WithRetryConfig } from "./context/with-retry.ts"
export type { PromiseCombinators } from "./context/promise-combinators.ts"
export { schedule, ScheduleConfigError } from "./schedule/schedule.ts"
export type { OverlapPolicy, Schedule, ScheduleOptions } from "./schedule/schedule.ts"
export type { ScheduleView, TriggerResult } from "./schedule/schedule-client.ts"
