/**
 * The error classes user code sees, with the AWS durable SDK's names and `errorType`s.
 * Errors are stored as { errorType, errorMessage, errorData? }; an outcome's failure also keeps its stack and causes
 * (error-story.ts).
 */
import type { ErrorCause, ErrorObject } from "../log/events.ts"
import { bounded, isError, isInstance, MAX_MESSAGE_CHARS, MAX_TYPE_CHARS, readSafely, safeString } from "./error-text.ts"

/** The error shape of AWS's API (`toErrorObject()`, `fromErrorObject()`, a callback failure sent to Lambda). */
export interface AwsErrorObject {
  readonly ErrorType?: string | undefined
  readonly ErrorMessage?: string | undefined
  readonly ErrorData?: string | undefined
  readonly StackTrace?: ReadonlyArray<string> | undefined
}

/** The errorData an error carries, or failing that the first one down its `cause` chain (AWS's rule). */
export const surfacedErrorData = (error: DurableOperationError): string | undefined => {
  let node: unknown = error
  for (let depth = 0; depth < 10 && node instanceof Error; depth++) {
    const data = (node as { errorData?: unknown }).errorData
    if ((node instanceof DurableOperationError || node instanceof RecordedError) && typeof data === "string") return data
    node = node.cause
  }
  return undefined
}

/**
 * The base of the durable operations' errors. Its constructor is AWS's, `(message?, cause?, errorData?)`: code
 * written for AWS's SDK that builds one (an `errorMapper`, a step that throws a StepError with data) moves as it is.
 */
export abstract class DurableOperationError extends Error {
  abstract readonly errorType: string
  readonly errorData: string | undefined
  /** AWS's field, unset: Reprise keeps a failure's stack in its record (`stackTrace` and `causes`). */
  stackTrace: ReadonlyArray<string> | undefined

  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message ?? "")
    // Own, enumerable `cause` and `name`: an error returned inside a result serialises as AWS's does,
    // `{ cause: { name }, name, errorType }`, not as `{ errorType }` alone.
    if (cause !== undefined) this.cause = cause
    this.errorData = errorData
    Object.defineProperty(this, "name", { get: () => this.errorType, enumerable: true, configurable: true })
  }

  /** AWS's shape: `{ ErrorType, ErrorMessage, ErrorData }`, the data surfaced from the causes when it has none. */
  toErrorObject(): AwsErrorObject {
    return { ErrorType: this.errorType, ErrorMessage: this.message, ErrorData: surfacedErrorData(this), StackTrace: undefined }
  }

  /**
   * The error a stored failure stands for, as AWS's `fromErrorObject` rebuilds it: the class of its type (a type
   * that is none of these comes back as a StepError), caused by the record itself. Takes AWS's shape or Reprise's
   * (`{ errorType, errorMessage, errorData }`, as the HTTP API and the history show it).
   */
  static fromErrorObject(errorObject: AwsErrorObject | ErrorObject): DurableOperationError {
    return rebuilt(recordOf(errorObject))
  }

  /**
   * True when `error` (or the error it wraps, at any depth) was caused by `type`: an error class, matched by
   * `instanceof` or, for a cause read back from the log (a RecordedError), by its recorded type, which is the
   * class's name; or an error type given as a string. The same answer on a first run and on replay.
   */
  static isCausedBy(error: unknown, type: string | (abstract new(...args: Array<any>) => Error)): boolean {
    const wanted = typeof type === "string" ? type : type.name
    let node: unknown = error
    for (let depth = 0; depth < 16 && node instanceof Error; depth++) {
      if (typeof type === "string" ? node.name === wanted : node instanceof type) return true
      if (node instanceof RecordedError && node.name === wanted) return true
      node = node.cause
    }
    return false
  }
}

/** The error that a stored ErrorObject stands for, with its original type as `name` (serialised as `{ name }`). */
export class RecordedError extends Error {
  declare readonly errorData: string | undefined
  declare readonly errorObject: ErrorObject
  constructor(errorObject: ErrorObject, options?: { readonly cause?: unknown }) {
    // Its recorded causes are its `cause` chain, as the thrown error's were on the first run: a replay asking
    // `isCausedBy` (or reading `cause.name`) gets the same answer (the replay probe: a cause two levels down was lost).
    super(errorObject.errorMessage, options?.cause !== undefined ? options : causeOption(errorObject.causes))
    this.name = errorObject.errorType
    Object.defineProperty(this, "errorObject", { value: errorObject })
    Object.defineProperty(this, "errorData", { value: errorObject.errorData })
    // Its stack is the recorded one, the user's frames where it was thrown: a logger given it shows that line, not
    // the place in Reprise that read it back from the log (which is all the stack of a new Error would name).
    const frames = (errorObject.stackTrace ?? []).map((frame) => `\n    ${frame.trim()}`)
    this.stack = `${errorObject.errorType}: ${errorObject.errorMessage}${frames.join("")}`
  }
}

/** How an AggregateError's inner error's message begins in a story (error-story.ts): `[errors[1]] …`. */
export const INNER_ERROR_PREFIX = "[errors["

/** Whether an entry of a recorded story is an AggregateError's inner error (a cause may begin as one does). */
const isInnerError = (cause: ErrorCause): boolean => cause.inner ?? cause.errorMessage.startsWith(INNER_ERROR_PREFIX)

/** The causes in a recorded story that were causes (not an AggregateError's inner errors or a count left out). */
const chainOf = (causes: ReadonlyArray<ErrorCause>): ReadonlyArray<ErrorCause> =>
  causes.filter((cause) => cause.errorType !== "OmittedCauses" && !isInnerError(cause))

/** The first of a record's causes, as a RecordedError whose own cause is the next (undefined: it has none). */
export const recordedCause = (error: ErrorObject): RecordedError | undefined => causeOption(error.causes)?.cause

const causeOption = (causes: ReadonlyArray<ErrorCause> | undefined): { readonly cause: RecordedError } | undefined => {
  const chain = causes === undefined ? [] : chainOf(causes)
  const [first, ...rest] = chain
  if (first === undefined) return undefined
  return { cause: new RecordedError({ ...first, ...(rest.length === 0 ? {} : { causes: rest }) }) }
}

/** A step failed for good (after its retries); `cause` is the last attempt's error. */
export class StepError extends DurableOperationError {
  readonly errorType = "StepError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Step failed", cause, errorData)
  }
}

/** The base of every callback failure (CallbackExternalError, CallbackTimeoutError, CallbackSubmitterError). */
export class CallbackError extends DurableOperationError {
  readonly errorType: string = "CallbackError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Callback failed", cause, errorData)
  }
}

/** A callback was completed with a failure from outside (over the API, or from a test). */
export class CallbackExternalError extends CallbackError {
  override readonly errorType: string = "CallbackExternalError"
}

/** A callback was not completed in time, or missed its heartbeat. */
export class CallbackTimeoutError extends CallbackError {
  override readonly errorType = "CallbackTimeoutError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Callback timed out", cause, errorData)
  }
}

/** The submitter of waitForCallback failed (after its retries). */
export class CallbackSubmitterError extends CallbackError {
  override readonly errorType = "CallbackSubmitterError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Callback submitter failed", cause, errorData)
  }
}

export class InvokeError extends DurableOperationError {
  readonly errorType = "InvokeError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Invoke failed", cause, errorData)
  }
}

/** `ctx.fetch` got no response: the transport failed or the timeout passed (any HTTP status is a response). */
export class FetchError extends DurableOperationError {
  readonly errorType = "FetchError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Fetch failed", cause, errorData)
  }
}

/** Anything thrown out of a child context. */
export class ChildContextError extends DurableOperationError {
  readonly errorType = "ChildContextError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Child context failed", cause, errorData)
  }

  /**
   * What a child context's caller sees for its failure: on the first run `thrown` (passed on when it is a
   * ChildContextError already, a nested context's), else one that wraps it; on replay the same shape from the record
   * (a recorded ChildContextError comes back as one caused by its recorded causes, not wrapped once more).
   */
  static forContext(error: ErrorObject, thrown: unknown): ChildContextError {
    if (thrown instanceof ChildContextError) return thrown
    if (thrown === undefined && error.errorType === "ChildContextError") {
      return new ChildContextError(error.errorMessage, new RecordedError(error).cause, error.errorData)
    }
    return new ChildContextError(error.errorMessage, thrown ?? new RecordedError(error), error.errorData)
  }
}

/** Kept for AWS parity of names; a waitForCondition that fails throws StepError, as AWS's does. */
export class WaitForConditionError extends DurableOperationError {
  readonly errorType = "WaitForConditionError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Wait for condition failed", cause, errorData)
  }
}

export class PromiseCombinatorError extends DurableOperationError {
  readonly errorType = "PromiseCombinatorError"
  constructor(message?: string, cause?: unknown, errorData?: string) {
    super(message || "Promise combinator failed", cause, errorData)
  }
}

export type OperationErrorClass = new(message?: string, cause?: unknown, errorData?: string) => DurableOperationError

/** The classes a stored type comes back as (AWS's `fromErrorObject`); any other type is a StepError. */
const byType: ReadonlyMap<string, OperationErrorClass> = new Map<string, OperationErrorClass>([
  ["StepError", StepError],
  ["CallbackError", CallbackError],
  ["CallbackExternalError", CallbackExternalError],
  ["CallbackTimeoutError", CallbackTimeoutError],
  ["CallbackSubmitterError", CallbackSubmitterError],
  ["InvokeError", InvokeError],
  ["FetchError", FetchError],
  ["ChildContextError", ChildContextError],
  ["WaitForConditionError", WaitForConditionError],
  ["PromiseCombinatorError", PromiseCombinatorError]
])

/** Reprise's record of an error in either shape. */
const recordOf = (error: AwsErrorObject | ErrorObject): ErrorObject => {
  if ("errorType" in error || "errorMessage" in error) return error as ErrorObject
  const aws = error as AwsErrorObject
  return {
    errorType: aws.ErrorType || "Error",
    errorMessage: aws.ErrorMessage ?? "",
    ...(aws.ErrorData === undefined ? {} : { errorData: aws.ErrorData }),
    ...(aws.StackTrace === undefined ? {} : { stackTrace: [...aws.StackTrace] })
  }
}

/** The class of a durable operation's error type (undefined: the type is none of them). */
export const durableErrorClass = (errorType: string): OperationErrorClass | undefined => byType.get(errorType)

/** `record` as the error of its type (else a StepError), caused by the record itself, its data kept. */
const rebuilt = (record: ErrorObject): DurableOperationError => revived(byType.get(record.errorType) ?? StepError, record)

/** `record` as an error of class `As`, caused by the record itself (a RecordedError), its data kept. */
export const revived = <E extends DurableOperationError>(As: new(message?: string, cause?: unknown, errorData?: string) => E, record: ErrorObject): E =>
  new As(record.errorMessage, new RecordedError(record), record.errorData)

/**
 * An AtMostOncePerRetry step whose attempt started and never recorded an outcome (the process died mid-body).
 * It is handed to the step's retry strategy.
 */
export class StepInterruptedError extends Error {
  override readonly name = "StepInterruptedError"
}

/**
 * A step attempt ran longer than the step's `timeout`. The attempt fails with it and goes to the retry strategy;
 * the body's AbortSignal fires with it. The body itself cannot be killed: what it does afterwards is ignored.
 */
export class StepTimeoutError extends Error {
  override readonly name = "StepTimeoutError"
}

/**
 * The execution was stopped while a step body ran: the body's AbortSignal fires with it. Nothing the body does
 * afterwards is recorded, and no step body starts after the stop.
 */
export class ExecutionStoppedError extends Error {
  override readonly name = "ExecutionStoppedError"
}

/** Replay found a different operation at a position than the one the log recorded. Fails the execution. */
export class NonDeterministicExecutionError extends Error {
  override readonly name = "NonDeterministicExecutionError"
  /** The operation where the calls differ (for logs). */
  readonly operationId: string | undefined
  constructor(message: string, operationId?: string) {
    super(message)
    this.operationId = operationId
  }
}

/** A wait or timeout that is not a valid Duration, or outside 1 second … 1 year. */
export class InvalidDurationError extends Error {
  override readonly name = "InvalidDurationError"
}

/** A durable operation called on a context that does not own the calling code. Fails the execution. */
export class ContextUsageError extends Error {
  override readonly name = "ContextUsageError"
}

/** An operation's configuration is invalid (for example `maxConcurrency` of 0); raised before it starts. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError"
}

/** A serialised payload over the limit (256 KiB by default). */
export class PayloadTooLargeError extends Error {
  override readonly name = "PayloadTooLargeError"
}

/** A Serdes threw, or produced something that is not a string. */
export class SerdesFailedError extends Error {
  override readonly name = "SerdesFailedError"
}

/**
 * Turns anything thrown into the stored error shape, without its story (for results, such as a BatchResult's).
 * Never throws, and bounds the type and message (error-text.ts).
 */
export const toErrorObject = (error: unknown): ErrorObject => {
  const object = rawErrorObject(error)
  return {
    ...object,
    errorType: bounded(object.errorType, MAX_TYPE_CHARS),
    errorMessage: bounded(object.errorMessage, MAX_MESSAGE_CHARS)
  }
}

const rawErrorObject = (error: unknown): ErrorObject => {
  if (isInstance(error, DurableOperationError)) {
    const errorData = surfacedErrorData(error)
    return { errorType: error.errorType, errorMessage: error.message, ...(errorData === undefined ? {} : { errorData }) }
  }
  if (isInstance(error, RecordedError)) return error.errorObject
  if (isError(error)) {
    const name = readSafely(() => error.name)
    const message = readSafely(() => error.message)
    const data = readSafely(() => (error as { errorData?: unknown }).errorData)
    return {
      errorType: typeof name === "string" && name !== "" ? name : "Error",
      errorMessage: typeof message === "string" ? message : message === undefined ? "" : safeString(message),
      ...(typeof data === "string" ? { errorData: data } : {})
    }
  }
  return { errorType: "Error", errorMessage: typeof error === "string" ? error : safeString(error) }
}
