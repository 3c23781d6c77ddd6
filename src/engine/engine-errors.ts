/** The typed errors of the engine's operations; the HTTP layer maps each to a problem+json type. */
import { Schema } from "effect"
import { clipText } from "../store/execution-summary.ts"

/** A name from a request, as an error message shows it: a valid one is at most 128 characters, so more is cut. */
export const shownName = (name: string): string => JSON.stringify(clipText(name, 129))

export class FunctionNotFound extends Schema.TaggedError<FunctionNotFound>()("FunctionNotFound", {
  functionName: Schema.String
}) {
  override get message() {
    return `No durable function is registered as ${shownName(this.functionName)}`
  }
}

export class ExecutionNotFound extends Schema.TaggedError<ExecutionNotFound>()("ExecutionNotFound", {
  executionId: Schema.String
}) {
  override get message() {
    return `No execution ${JSON.stringify(this.executionId)}`
  }
}

/** An idempotent start whose id already names an execution of another function or with another input. */
export class ExecutionAlreadyExists extends Schema.TaggedError<ExecutionAlreadyExists>()("ExecutionAlreadyExists", {
  executionId: Schema.String,
  reason: Schema.String,
  /** The function of the execution that holds the id, when it is another function's. */
  otherFunction: Schema.optionalKey(Schema.String)
}) {
  override get message() {
    return `Execution ${JSON.stringify(this.executionId)} already exists ${this.reason}`
  }
}

export class ExecutionNotRunning extends Schema.TaggedError<ExecutionNotRunning>()("ExecutionNotRunning", {
  executionId: Schema.String,
  status: Schema.String
}) {
  override get message() {
    return `Execution ${JSON.stringify(this.executionId)} is ${this.status}, not RUNNING`
  }
}

/** `resume` of an execution that is not paused (running, or ended). */
export class ExecutionNotPaused extends Schema.TaggedError<ExecutionNotPaused>()("ExecutionNotPaused", {
  executionId: Schema.String,
  status: Schema.String
}) {
  override get message() {
    return `Execution ${JSON.stringify(this.executionId)} is ${this.status}, not PAUSED`
  }
}

/** `rewind` of an execution that is running, paused, succeeded or continued as new. */
export class ExecutionNotRewindable extends Schema.TaggedError<ExecutionNotRewindable>()("ExecutionNotRewindable", {
  executionId: Schema.String,
  status: Schema.String
}) {
  override get message() {
    // As its siblings (not RUNNING, not PAUSED): the problem's title says what was refused, this says why.
    return `Execution ${JSON.stringify(this.executionId)} is ${this.status}, not FAILED, TIMED_OUT or STOPPED`
  }
}

/**
 * `delete` of an execution that has not ended (running, paused or queued): it must be stopped first. Or one that has
 * ended but whose parent (`parentNotTold`, the execution that invoked it) has not had its outcome yet.
 */
export class ExecutionNotEnded extends Schema.TaggedError<ExecutionNotEnded>()("ExecutionNotEnded", {
  executionId: Schema.String,
  status: Schema.String,
  parentNotTold: Schema.optionalKey(Schema.String)
}) {
  override get message() {
    return this.parentNotTold === undefined
      ? `Execution ${JSON.stringify(this.executionId)} is ${this.status}: only an ended execution can be deleted; stop it first`
      : `Execution ${JSON.stringify(this.executionId)} is ${this.status}, but its parent ${JSON.stringify(this.parentNotTold)} has not had its outcome yet; try again in a moment`
  }
}

/** An unknown, malformed or forged callback id. */
export class CallbackNotFound extends Schema.TaggedError<CallbackNotFound>()("CallbackNotFound", {
  callbackId: Schema.String
}) {
  override get message() {
    return "No such callback (the id is unknown, malformed or altered)"
  }
}

/** A callback that has already succeeded, failed or timed out; the first outcome is kept. */
export class CallbackAlreadyCompleted extends Schema.TaggedError<CallbackAlreadyCompleted>()("CallbackAlreadyCompleted", {
  callbackId: Schema.String,
  status: Schema.String
}) {
  override get message() {
    return `The callback is already ${this.status}`
  }
}

/** A request the engine refuses before writing anything (input too large, not serialisable …). */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  reason: Schema.String,
  /** Set when the request broke the payload limit (HTTP answers 413 rather than 400). */
  payloadTooLarge: Schema.optionalKey(Schema.Boolean)
}) {
  override get message() {
    return this.reason
  }
}

/** A start refused by its function's rate limit (`rateLimit.whenLimited: "refuse"`); HTTP 429 with Retry-After. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  functionName: Schema.String,
  retryAfterMs: Schema.Number
}) {
  override get message() {
    return `Durable function ${JSON.stringify(this.functionName)} is over its rate limit; retry in ${Math.ceil(this.retryAfterMs / 1000)} s`
  }
}

/** `fireTimer` of an operation that is not a wait still pending in a running, unpaused execution. */
export class TimerNotPending extends Schema.TaggedError<TimerNotPending>()("TimerNotPending", {
  executionId: Schema.String,
  operationId: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Operation ${JSON.stringify(this.operationId)} of execution ${JSON.stringify(this.executionId)} ${this.reason}`
  }
}

// Node's inspect (a failed test's report, console.log) shows these as the errors they are, with their message and
// stack: Effect's own inspect prints their fields alone, so a test runner's refusal read as `{ _tag, callbackId }`.
const asError = { value(this: Error) { return this }, configurable: true }
for (const ErrorClass of [
  FunctionNotFound,
  ExecutionNotFound,
  ExecutionAlreadyExists,
  ExecutionNotRunning,
  ExecutionNotPaused,
  ExecutionNotRewindable,
  ExecutionNotEnded,
  CallbackNotFound,
  CallbackAlreadyCompleted,
  InvalidRequest,
  RateLimited,
  TimerNotPending
]) Object.defineProperty(ErrorClass.prototype, Symbol.for("nodejs.util.inspect.custom"), asError)
