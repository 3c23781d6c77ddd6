/**
 * The RPC surface of an execution's Durable Object. Every method names the execution first: the object checks it
 * is its own (the execution id is the object's name). Answers are Wire values (see wire.ts).
 */
import type { CallbackOutcome, ChildOutcome, ExecutionView, ForkRequest, HistoryPage, StartAndView, StartRequest, StartResult, StopOptions } from "reprise/engine"
import type { ErrorObject, ExecutionSummary, LogEvent } from "reprise/store"
import type { Wire } from "./wire.ts"

type Answer<A> = Promise<Wire<A>>

/** What a queued start is counted under (its ExecutionStarted's `queue`). */
export interface QueueKeys {
  readonly priority: number
  readonly concurrencyKey?: string
  readonly rateKey?: string
  readonly debounceKey?: string
  readonly notBefore?: number
}

export interface ExecutionRpc {
  start(request: StartRequest & { readonly executionId: string }): Answer<StartResult>
  /** A start, then the view once the execution ended or `waitMs` passed (0: at once): `?wait` in one call. */
  startAndDescribe(request: StartRequest & { readonly executionId: string }, waitMs: number): Answer<StartAndView>
  describe(executionId: string): Answer<ExecutionView>
  history(executionId: string, page?: HistoryPage): Answer<ReadonlyArray<LogEvent>>
  summary(executionId: string): Answer<ExecutionSummary | undefined>
  /** Waits up to `maxMs` for the end, then describes the execution. */
  awaitEnd(executionId: string, maxMs: number): Answer<ExecutionView>
  /** Stops the execution and, unless `options.children` is false, the children it still waits for. */
  stop(executionId: string, error?: ErrorObject, options?: StopOptions): Answer<void>
  pause(executionId: string): Answer<void>
  resume(executionId: string): Answer<void>
  /** Makes a fork's log (built by the Worker with `forkedLog`) this object's execution, and runs it. */
  adopt(executionId: string, events: ReadonlyArray<LogEvent>): Answer<void>
  /** Deletes the ended execution now (its storage and its index row), as its retention would; not a running one. */
  deleteExecution(executionId: string): Answer<void>
  /** Runs a FAILED, TIMED_OUT or STOPPED execution again from a top-level operation. */
  rewind(executionId: string, request: ForkRequest): Answer<void>
  completeCallback(executionId: string, callbackId: string, outcome: CallbackOutcome): Answer<void>
  heartbeatCallback(executionId: string, callbackId: string): Answer<void>
  /** A child execution (started by this one's `invoke`) ended. */
  childFinished(executionId: string, operationId: string, outcome: ChildOutcome): Answer<void>
  /** Publishes this execution's summary to the index again; false when there is no such execution. */
  republish(executionId: string): Answer<boolean>
  /** This execution's outcome once it has ended (undefined while it runs), for its parent. */
  outcome(executionId: string): Answer<ChildOutcome | undefined>

  // Flow control (flow-object.ts: the function's FlowObject calls these).
  /** Writes the start QUEUED (ExecutionStarted with `queue`, no alarm); a repeat answers as a start does. */
  enqueue(request: StartRequest & { readonly executionId: string }, queue: QueueKeys): Answer<StartResult>
  /** Starts it now, holding the slot the FlowObject took for it. */
  startAdmitted(request: StartRequest & { readonly executionId: string }): Answer<StartResult>
  /**
   * Lets a QUEUED execution run (idempotent): "run" when it runs (or ran), "gone" when it is not there or ended.
   * `admittedAt` is the FlowObject's time of the decision, recorded as the ExecutionDequeued's time.
   */
  dequeue(executionId: string, admittedAt: number): Promise<"run" | "gone">
  /** A debounced start: the QUEUED execution takes this input and waits until `notBefore`; false when not QUEUED. */
  replaceInput(executionId: string, request: StartRequest, notBefore: number): Answer<boolean>
  /** The FlowObject gave this execution a slot it asked for. */
  slotGranted(executionId: string): Promise<void>
  /** A step body of this execution waiting under a step-level limit may run (step-gate.ts). */
  stepTurn(executionId: string, token: string): Promise<void>
}
