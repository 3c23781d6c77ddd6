/**
 * The event log: every fact an execution's history is made of (docs/design.md §3).
 * Events are validated with Schema when a store writes them and when it reads them back.
 */
import { Schema } from "effect"

export const OperationType = Schema.Literals(["EXECUTION", "STEP", "WAIT", "CALLBACK", "CHAINED_INVOKE", "CONTEXT"])
export type OperationType = typeof OperationType.Type

/**
 * What built an operation. `Fetch` is AWS's newer SDK's (here a step); `Now`, `Random`, `Uuid` and `Emit` are
 * Reprise's own: the recorded `ctx.now()` and friends, and `ctx.emit()`'s emissions.
 */
export const KNOWN_SUBTYPES = [
  "Step",
  "Wait",
  "Callback",
  "WaitForCallback",
  "WaitForCondition",
  "RunInChildContext",
  "Map",
  "MapIteration",
  "Parallel",
  "ParallelBranch",
  "ChainedInvoke",
  "Fetch",
  "Now",
  "Random",
  "Uuid",
  "Emit"
] as const
export type KnownSubType = typeof KNOWN_SUBTYPES[number]
/** A child context may name its own subtype (`runInChildContext(…, { subType })`), as in the AWS SDK. */
export const OperationSubType = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64))
export type OperationSubType = KnownSubType | (string & {})

/** Stack frames (`at fn (file:line:col)`), the user's only, size-limited (src/context/error-story.ts). */
const StackTrace = Schema.Array(Schema.String)
/** One link of an error's cause chain. */
export const ErrorCause = Schema.Struct({
  errorType: Schema.String,
  errorMessage: Schema.String,
  stackTrace: Schema.optionalKey(StackTrace),
  /**
   * An AggregateError's inner errors are kept among the causes with their message prefixed `[errors[i]] `
   * (error-story.ts). `false` marks a cause whose own message begins so: a cause all the same. Absent, the prefix
   * says (records written before the mark was made read as they did).
   */
  inner: Schema.optionalKey(Schema.Boolean)
})
export type ErrorCause = typeof ErrorCause.Type

/**
 * A serialised error. A failure recorded as an outcome also keeps its story: `stackTrace` (AWS's error objects
 * carry one too) and `causes`, nearest first. Both are optional, so logs written before them still decode.
 */
export const ErrorObject = Schema.Struct({
  errorType: Schema.String,
  errorMessage: Schema.String,
  errorData: Schema.optionalKey(Schema.String),
  stackTrace: Schema.optionalKey(StackTrace),
  causes: Schema.optionalKey(Schema.Array(ErrorCause))
})
export type ErrorObject = typeof ErrorObject.Type

const Seq = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Millis = Schema.Finite

const base = { seq: Seq, at: Millis }
/** Every operation event names the operation it belongs to. */
const op = {
  ...base,
  id: Schema.String,
  parentId: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String),
  type: OperationType,
  subType: OperationSubType
}
const payload = Schema.optionalKey(Schema.String)

export const ExecutionStarted = Schema.TaggedStruct("ExecutionStarted", {
  ...base,
  executionId: Schema.String,
  functionName: Schema.String,
  input: payload,
  timeoutAt: Millis,
  retentionMs: Millis,
  /** Set on an execution started by `ctx.invoke`: the operation that waits for it. */
  parent: Schema.optionalKey(Schema.Struct({ executionId: Schema.String, operationId: Schema.String })),
  /** The function's `version` label when the execution started (`durable(name, fn, { version })`). */
  version: Schema.optionalKey(Schema.String),
  /** W3C trace context of the start (the request's `traceparent`, or the invoking operation's span): trace-ids.ts. */
  traceparent: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
  /** Set on a fork (`POST …/fork`): the execution and the top-level operation it was copied from. */
  forkedFrom: Schema.optionalKey(Schema.Struct({ executionId: Schema.String, operationId: Schema.String })),
  /** Set on a run started by `ctx.continueAsNew`: the run it continues (the same logical execution). */
  continuedFrom: Schema.optionalKey(Schema.String),
  /**
   * Set when the start was queued by the function's flow control (docs/flow-control.md): the execution is QUEUED,
   * runs no user code, until ExecutionDequeued. The keys are those its limits are counted under.
   */
  queue: Schema.optionalKey(Schema.Struct({
    priority: Schema.Finite,
    concurrencyKey: Schema.optionalKey(Schema.String),
    rateKey: Schema.optionalKey(Schema.String),
    debounceKey: Schema.optionalKey(Schema.String),
    /** A debounced start runs no earlier than this (moved by each start that collapses into it). */
    notBefore: Schema.optionalKey(Millis)
  }))
})
/** A queued execution was let run: its timeout counts from here. */
export const ExecutionDequeued = Schema.TaggedStruct("ExecutionDequeued", { ...base, timeoutAt: Millis })
/** A debounced start collapsed into this queued execution: it will run with this input, no earlier than `notBefore`. */
export const ExecutionInputReplaced = Schema.TaggedStruct("ExecutionInputReplaced", { ...base, input: payload, notBefore: Millis })
export const ExecutionSucceeded = Schema.TaggedStruct("ExecutionSucceeded", { ...base, result: payload })
export const ExecutionFailed = Schema.TaggedStruct("ExecutionFailed", { ...base, error: ErrorObject })
export const ExecutionStopped = Schema.TaggedStruct("ExecutionStopped", { ...base, error: Schema.optionalKey(ErrorObject) })
export const ExecutionTimedOut = Schema.TaggedStruct("ExecutionTimedOut", { ...base })
/**
 * `ctx.continueAsNew(input)`: this run's log ends here and the logical execution goes on in a fresh log, the run
 * `nextExecutionId` (started before this event is written, so a crash between the two resumes nothing twice).
 */
export const ExecutionContinuedAsNew = Schema.TaggedStruct("ExecutionContinuedAsNew", {
  ...base,
  nextExecutionId: Schema.String,
  input: payload
})
/**
 * `POST …/rewind`: written after the terminal event of a FAILED, TIMED_OUT or STOPPED execution. The fold forgets
 * top-level operation `fromOperation` and every later one (with their children and patch markers) and the
 * execution runs again from there, with a fresh timeout (`timeoutAt`). The only event that may follow a terminal
 * one (design.md §3).
 */
export const ExecutionRewound = Schema.TaggedStruct("ExecutionRewound", {
  ...base,
  fromOperation: Schema.String,
  timeoutAt: Millis,
  /**
   * The `version` label of the function on the host that rewound it (absent: that registration has none). It
   * replaces the start's label, since the code deployed now runs the execution from here; older logs lack it.
   */
  version: Schema.optionalKey(Schema.String)
})
/**
 * A stop that reached an execution inside a saga (src/context/saga.ts): the saga runs its compensations, then the
 * execution ends STOPPED with this error. Not terminal; a second stop ends it at once.
 */
export const ExecutionStopRequested = Schema.TaggedStruct("ExecutionStopRequested", { ...base, error: Schema.optionalKey(ErrorObject) })
/**
 * `POST …/pause` and `…/resume`. While paused no new operation starts and no operation timer fires (a step already
 * running finishes and is recorded; callbacks are still accepted); timers that fell due fire on resume.
 */
export const ExecutionPaused = Schema.TaggedStruct("ExecutionPaused", { ...base })
export const ExecutionResumed = Schema.TaggedStruct("ExecutionResumed", { ...base })

export const StepStarted = Schema.TaggedStruct("StepStarted", { ...op, attempt: Schema.Int })
/**
 * A step attempt's outcome. Default (at-least-once) steps write no StepStarted: the outcome carries `startedAt`,
 * the time the attempt's body began, so one event per attempt holds everything.
 */
const attemptStart = Schema.optionalKey(Millis)
/**
 * With `nextAttemptAt`, a waitForCondition poll that says "not yet": `result` is the state it returned, and the
 * operation is PENDING until the next poll (AWS: a STEP RETRY with a payload; its history: StepSucceeded with
 * RetryDetails).
 */
export const StepSucceeded = Schema.TaggedStruct("StepSucceeded", {
  ...op,
  startedAt: attemptStart,
  attempt: Schema.Int,
  result: payload,
  nextAttemptAt: Schema.optionalKey(Millis)
})
/** A failed attempt; `nextAttemptAt` is set when a retry is scheduled (the operation is then PENDING). */
export const StepFailed = Schema.TaggedStruct("StepFailed", {
  ...op,
  startedAt: attemptStart,
  attempt: Schema.Int,
  error: ErrorObject,
  nextAttemptAt: Schema.optionalKey(Millis)
})

export const WaitStarted = Schema.TaggedStruct("WaitStarted", { ...op, until: Millis })
export const WaitSucceeded = Schema.TaggedStruct("WaitSucceeded", { ...op })

export const CallbackStarted = Schema.TaggedStruct("CallbackStarted", {
  ...op,
  callbackId: Schema.String,
  timeoutAt: Schema.optionalKey(Millis),
  heartbeatTimeoutMs: Schema.optionalKey(Millis),
  /** Its result is checked against a schema (createCallback's `schema`): a completion waits for the handler to check it. */
  checked: Schema.optionalKey(Schema.Literal(true))
})
export const CallbackSucceeded = Schema.TaggedStruct("CallbackSucceeded", { ...op, result: payload })
export const CallbackFailed = Schema.TaggedStruct("CallbackFailed", { ...op, error: ErrorObject })
export const CallbackHeartbeat = Schema.TaggedStruct("CallbackHeartbeat", { ...op })
export const CallbackTimedOut = Schema.TaggedStruct("CallbackTimedOut", {
  ...op,
  reason: Schema.Literals(["timeout", "heartbeat"])
})

export const InvokeStarted = Schema.TaggedStruct("InvokeStarted", {
  ...op,
  functionName: Schema.String,
  childExecutionId: Schema.String,
  input: payload
})
export const InvokeSucceeded = Schema.TaggedStruct("InvokeSucceeded", { ...op, result: payload })
export const InvokeFailed = Schema.TaggedStruct("InvokeFailed", { ...op, error: ErrorObject })
export const InvokeTimedOut = Schema.TaggedStruct("InvokeTimedOut", { ...op })
export const InvokeStopped = Schema.TaggedStruct("InvokeStopped", { ...op })

export const ContextStarted = Schema.TaggedStruct("ContextStarted", { ...op })
export const ContextSucceeded = Schema.TaggedStruct("ContextSucceeded", {
  ...op,
  result: payload,
  replayChildren: Schema.optionalKey(Schema.Boolean)
})
export const ContextFailed = Schema.TaggedStruct("ContextFailed", { ...op, error: ErrorObject })

/**
 * `ctx.patched(patchId)` (or `deprecatePatch`) took the new path here. Not an operation: it takes no positional id,
 * so a log written before the patch replays with the same ids. `contextId` is the context that called it (absent at
 * the root) and `position` how many operations that context had begun then; a replay returns true where a marker
 * for the patch is at or before its own position (see src/context/patch.ts).
 */
export const PatchMarked = Schema.TaggedStruct("PatchMarked", {
  ...base,
  patchId: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256)),
  contextId: Schema.optionalKey(Schema.String),
  position: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})

export const LogEvent = Schema.Union([
  ExecutionStarted,
  ExecutionSucceeded,
  ExecutionFailed,
  ExecutionStopped,
  ExecutionTimedOut,
  StepStarted,
  StepSucceeded,
  StepFailed,
  WaitStarted,
  WaitSucceeded,
  CallbackStarted,
  CallbackSucceeded,
  CallbackFailed,
  CallbackHeartbeat,
  CallbackTimedOut,
  InvokeStarted,
  InvokeSucceeded,
  InvokeFailed,
  InvokeTimedOut,
  InvokeStopped,
  ContextStarted,
  ContextSucceeded,
  ContextFailed,
  PatchMarked,
  ExecutionPaused,
  ExecutionResumed,
  ExecutionContinuedAsNew,
  ExecutionRewound,
  ExecutionDequeued,
  ExecutionInputReplaced,
  ExecutionStopRequested
]).pipe(Schema.toTaggedUnion("_tag"))
export type LogEvent = typeof LogEvent.Type
export type LogEventTag = LogEvent["_tag"]

/** The fields that identify an operation, carried by each of its events. */
export interface OperationRef {
  readonly id: string
  readonly parentId?: string
  readonly name?: string
  readonly type: OperationType
  readonly subType: OperationSubType
}

/** An event before the actor stamps it with its `seq` and (unless given) the time of the write. */
export type NewEvent = LogEvent extends infer E ?
  E extends LogEvent ? Omit<E, "seq" | "at"> & { readonly at?: number } : never :
  never

export type OperationEvent = Extract<LogEvent, { readonly id: string; readonly subType: OperationSubType }>
export const isOperationEvent = (event: LogEvent): event is OperationEvent => "subType" in event
