/** reprise/engine: what adapters drive (the engine service and its errors). */
export { Engine, makeEngine, DEFAULT_MAX_PAYLOAD_BYTES } from "./engine.ts"
export { DEFAULT_RETENTION_MS, MAX_EXECUTION_TIMEOUT_MS } from "./start-request.ts"
export type { EngineOptions, EngineShape } from "./engine.ts"
export type { EvictOptions } from "./eviction.ts"
export { ExecutionClient } from "./execution-client.ts"
export type {
  CallbackFailure,
  ExecutionClientShape,
  ExecutionView,
  FunctionInfo,
  HistoryPage,
  ParentRef,
  ReadFailure,
  StartFailure,
  StartRequest,
  StartResult,
  StopOptions
} from "./execution-client.ts"
export { serviceRunsInvokes } from "./invoker.ts"
export { DEFAULT_POLL_MS, watchByPolling } from "./watch-by-polling.ts"
export type { ChildStart, InvokerShape } from "./invoker.ts"
export { WATCHDOG_MS } from "./actor.ts"
export { errorText, LifecycleLogs, lifecycleLine } from "./lifecycle-log.ts"
export type { LifecycleLine } from "./lifecycle-log.ts"
export type { CallbackOutcome, ChildOutcome } from "./actor-messages.ts"
export { plainCallbackIds } from "./callback-ids.ts"
export type { CallbackIdCodec, CallbackRef } from "./callback-ids.ts"
export {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotFound,
  ExecutionNotPaused,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest
} from "./engine-errors.ts"
