/** reprise/engine: what adapters drive (the engine service and its errors). */
export { Engine, makeEngine, DEFAULT_MAX_PAYLOAD_BYTES } from "./engine.ts"
export { DEFAULT_RETENTION_MS, MAX_EXECUTION_TIMEOUT_MS } from "./function-durations.ts"
export type { EngineShape } from "./engine.ts"
export type { EngineOptions } from "./engine-options.ts"
export type { EvictOptions } from "./eviction.ts"
export { ExecutionClient } from "./execution-client.ts"
export { isLiveStatus, LIVE_STATUSES } from "./execution-view.ts"
export { nextRunId } from "./continue-as-new.ts"
export type {
  CallbackFailure,
  ExecutionClientShape,
  ExecutionView,
  FunctionInfo,
  HistoryPage,
  ParentRef,
  ReadFailure,
  StartFailure,
  StartAndView,
  StartRequest,
  StartResult,
  StopOptions,
  ForkRequest
} from "./execution-client.ts"
export { serviceRunsInvokes } from "./invoker.ts"
export { HAND_OVER, Ownership } from "./ownership.ts"
export { FlowLedger } from "./flow-ledger.ts"
export { rateRefusedUntil } from "./rate-refusal.ts"
export type { FlowLedgerShape, LedgerAnswer, LedgerEntry, LedgerTake } from "./flow-ledger.ts"
export type { OwnershipShape, Revocation } from "./ownership.ts"
export { DEFAULT_POLL_MS, watchByPolling } from "./watch-by-polling.ts"
export type { ChildStart, InvokerShape } from "./invoker.ts"
export { WATCHDOG_MS } from "./actor-alarm.ts"
export { uuidV7Of } from "./secure-random.ts"
export { scopedExecutionId, startWithKey } from "./keyed-start.ts"
export { errorText, LifecycleLogs, lifecycleLine, UserLogLevel } from "./lifecycle-log.ts"
export type { LifecycleLine } from "./lifecycle-log.ts"
export type { CallbackOutcome, ChildOutcome } from "./actor-messages.ts"
export { plainCallbackIds } from "./callback-ids.ts"
export type { CallbackIdCodec, CallbackRef } from "./callback-ids.ts"
export {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotEnded,
  ExecutionNotFound,
  ExecutionNotPaused,
  ExecutionNotRewindable,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest,
  RateLimited,
  TimerNotPending
} from "./engine-errors.ts"
export type { FlowSlot } from "./flow-slots.ts"
export type { FlowControl } from "./flow-options.ts"
export { keyFor, validPriority } from "./flow-options.ts"
export { checkedInput, sameExecution, startedEvent } from "./start-request.ts"
export { checkedStopError } from "./stop-error.ts"
export { ExecutionObserver } from "./observer.ts"
export type { ExecutionObserverShape } from "./observer.ts"
export { measurementsOf, spansOf } from "./trace-spans.ts"
export type { Attributes, Measurement, PlannedSpan, SpanError } from "./trace-spans.ts"
export type { LifecycleChange, LifecycleFilter } from "./lifecycle-feed.ts"
export { LifecycleBus } from "./lifecycle-bus.ts"
export type { LifecycleBusShape } from "./lifecycle-bus.ts"
export { formatTraceparent, parseTraceparent, spanIdOf, stepTraceparent, traceIdOf } from "../log/trace-ids.ts"
export { forkedLog } from "./fork-rewind.ts"
