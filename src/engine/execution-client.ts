/**
 * What clients call: the execution API that the HTTP app depends on. The engine implements it in-process; the
 * Cloudflare Worker implements it by forwarding to Durable Objects, the Lambda control plane by calling Lambda's
 * durable-execution API. Each implements all of it: there are no host controls or test hooks here.
 */
import { Context, type Effect, type Stream } from "effect"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { ListPage } from "../store/execution-summary.ts"
import type { SearchQuery } from "../store/list-search.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { CallbackOutcome } from "./actor-messages.ts"
import type { LifecycleChange, LifecycleFilter } from "./lifecycle-feed.ts"
import type {
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

/** A function the API can start, as listed by `GET /v1/functions`. */
export interface FunctionInfo {
  readonly name: string
  readonly description?: string
}

export interface StartRequest {
  readonly functionName: string
  readonly input?: unknown
  /** The input already serialised as JSON (used instead of `input`). */
  readonly inputPayload?: string
  /** Makes the start idempotent: a second start with the same id returns the first execution. */
  readonly executionId?: string
  /** The invoke operation that waits for this execution. */
  readonly parent?: ParentRef
  /** W3C trace context (the start request's `traceparent` header): recorded when valid, ignored otherwise. */
  readonly traceparent?: string
  /** Set by `ctx.continueAsNew`: the run this one continues. */
  readonly continuedFrom?: string
  /**
   * Where the start goes in its function's queue when flow control holds it (an integer from -1000 to 1000, higher
   * first; default the function's `priority(input)`, else 0). Ignored by functions without flow control.
   */
  readonly priority?: number
}

export interface StopOptions {
  /** Whether the running children started by `ctx.invoke` are stopped too (default true). */
  readonly children?: boolean
}

/** The invoke operation of a parent execution that waits for a child. */
export interface ParentRef {
  readonly executionId: string
  readonly operationId: string
}

export interface StartResult {
  readonly executionId: string
  /** False when the id already named an execution (an idempotent repeat, or a debounced start that collapsed). */
  readonly created: boolean
  /** True when the execution waits in its function's queue (status QUEUED). */
  readonly queued?: boolean
}

/** What `startAndDescribe` answers. */
export interface StartAndView {
  readonly started: StartResult
  readonly view: ExecutionView
}

export interface ExecutionView {
  readonly executionId: string
  readonly functionName: string
  /** The function's version label when the execution started. */
  readonly version?: string
  /** PAUSED for a RUNNING execution that is paused. */
  readonly status: ExecutionState["status"]
  readonly input?: string
  readonly result?: string
  readonly error?: ErrorObject
  readonly startedAt: number
  readonly endedAt?: number
  /** A fork's source: the execution and the top-level operation its log was copied up to (not including). */
  readonly forkedFrom?: { readonly executionId: string; readonly operationId: string }
  /** The run before this one of the same logical execution (`ctx.continueAsNew`). */
  readonly continuedFrom?: string
  /** The run after this one (status CONTINUED_AS_NEW). */
  readonly continuedAs?: string
  /** How many times the execution was rewound. */
  readonly rewinds?: number
  /** A QUEUED execution's place in its function's queue, 1 first (absent where no engine in the process holds it). */
  readonly queuePosition?: number
  readonly operations: ReadonlyArray<OperationState>
}

/** `fork` and `rewind`: the top-level operation to run again from, and (fork only) a new input. */
export interface ForkRequest {
  readonly fromOperation: string
  readonly input?: unknown
  /** The input already serialised as JSON (used instead of `input`). */
  readonly inputPayload?: string
}

/** A page of an execution's history: the events with seq > `after` (default 0), at most `limit` (default all). */
export interface HistoryPage {
  readonly after?: number
  readonly limit?: number
}

/** Reading an execution that may be missing, corrupt, or behind a failing store. */
export type ReadFailure = ExecutionNotFound | LogCorrupted | StoreFailure

export type StartFailure = FunctionNotFound | ExecutionAlreadyExists | InvalidRequest | RateLimited | LogCorrupted | StoreFailure

export type CallbackFailure = CallbackNotFound | CallbackAlreadyCompleted | ExecutionNotRunning | InvalidRequest | LogCorrupted | StoreFailure

export interface ExecutionClientShape {
  /** The functions that can be started here. */
  readonly functions: ReadonlyArray<FunctionInfo>
  start(request: StartRequest): Effect.Effect<StartResult, StartFailure>
  /**
   * Optional: a start and the execution's view in one call, the view taken after waiting up to `waitMs` for the
   * end of a RUNNING or QUEUED execution (0: at once). For a client that forwards each call to another process (the
   * Cloudflare Worker): one round trip where start, describe and awaitEnd would be three. `start` is the fallback.
   */
  readonly startAndDescribe?: (request: StartRequest, waitMs: number) => Effect.Effect<StartAndView, StartFailure | ReadFailure>
  describe(executionId: string): Effect.Effect<ExecutionView, ReadFailure>
  /** Waits until the execution has ended (callers bound it with a timeout) and describes it. */
  awaitEnd(executionId: string): Effect.Effect<ExecutionView, ReadFailure>
  /** The log, or a page of it read without the rest where the store can (an implementation may return more). */
  history(executionId: string, page?: HistoryPage): Effect.Effect<ReadonlyArray<LogEvent>, ReadFailure>
  /**
   * The history after `afterSeq` (0: all of it), then each event as it is written, each exactly once and in order;
   * the stream ends after the terminal event (at once if the execution had already ended). The engine pushes the
   * events its actors write; clients without an engine in the process poll the history (watch-by-polling.ts).
   */
  watch(executionId: string, afterSeq: number): Stream.Stream<LogEvent, ReadFailure>
  /** Newest first; a time range and input text are searched over the store's listing (store/list-search.ts). */
  list(query: SearchQuery): Effect.Effect<ListPage, StoreFailure | InvalidRequest>
  /**
   * Every execution's lifecycle changes as they are written (live: no cursor), filtered. The engine has it; a
   * client without one leaves it out and `GET /v1/events` polls `list` instead (lifecycle-feed.ts).
   */
  watchLifecycle?(filter: LifecycleFilter): Stream.Stream<LifecycleChange, StoreFailure | InvalidRequest>
  /**
   * Stops a running execution. By default the children its `ctx.invoke` started and that still run are stopped
   * too (and theirs, in turn); `children: false` leaves them running.
   */
  stop(executionId: string, error?: ErrorObject, options?: StopOptions): Effect.Effect<void, ReadFailure | ExecutionNotRunning | InvalidRequest>
  /** Pauses a RUNNING execution: no new operation starts and no timer fires until `resume` (design.md §4). */
  pause(executionId: string): Effect.Effect<void, ReadFailure | ExecutionNotRunning | InvalidRequest>
  resume(executionId: string): Effect.Effect<void, ReadFailure | ExecutionNotPaused | InvalidRequest>
  /**
   * A development aid (`reprise dev`, or an app created with `devTools`): the pending wait succeeds now instead of
   * at its time. The engine has it; a client forwarding to another runtime may leave it out.
   */
  readonly fireTimer?: (executionId: string, operationId: string) => Effect.Effect<void, ReadFailure | TimerNotPending>
  /**
   * Starts a new execution of the same function whose log is a copy of this one's up to (not including) top-level
   * operation `fromOperation`, linked to it (`forkedFrom`); the source is untouched. Its input is the source's
   * unless one is given.
   */
  fork(executionId: string, request: ForkRequest): Effect.Effect<StartResult, ReadFailure | InvalidRequest | FunctionNotFound>
  /**
   * Runs a FAILED, TIMED_OUT or STOPPED execution again from top-level operation `fromOperation`, under the same
   * id: an ExecutionRewound event makes the fold forget that operation and every later one (design.md §3).
   */
  rewind(executionId: string, request: ForkRequest): Effect.Effect<void, ReadFailure | ExecutionNotRewindable | InvalidRequest | FunctionNotFound>
  /**
   * Deletes an ended execution now (its log, alarm and listing row), as its retention would when it runs out; a
   * running, paused or queued one is ExecutionNotEnded. Optional: Lambda's service keeps the log and has no delete.
   */
  readonly delete?: (executionId: string) => Effect.Effect<void, ReadFailure | ExecutionNotEnded>
  completeCallback(callbackId: string, outcome: CallbackOutcome): Effect.Effect<void, CallbackFailure>
  heartbeatCallback(callbackId: string): Effect.Effect<void, CallbackFailure>
}

export class ExecutionClient extends Context.Service<ExecutionClient, ExecutionClientShape>()("reprise/engine/ExecutionClient") {}
