/**
 * From whatever an engine effect failed with to a problem kind and a detail fit to show a client. Typed engine
 * errors keep their message (it names only what the client sent); store and log failures and defects get a
 * generic detail, and are handed to the app's `onError` for the operator's logs. A store failure is the one
 * server-side failure a retry can help with: 503 with `Retry-After`, naming the store operation that failed.
 */
import { Cause, Predicate } from "effect"
import { HAND_OVER } from "../engine/ownership.ts"
import { WRITES_FAILING } from "../store/store-errors.ts"
import { HttpProblem, type ProblemExtensions, type ProblemKind } from "./problem.ts"

export interface MappedProblem {
  readonly kind: ProblemKind
  readonly detail: string
  readonly headers?: Readonly<Record<string, string>>
  readonly extensions?: ProblemExtensions
  /** True for failures on the server's side (500 and 503): worth logging. */
  readonly internal: boolean
}

/** How long a client should wait before retrying after a store failure (the store is down, full or throttled). */
export const STORE_RETRY_AFTER_SECONDS = 1

const byTag: Readonly<Record<string, ProblemKind>> = {
  FunctionNotFound: "function-not-found",
  ExecutionNotFound: "execution-not-found",
  CallbackNotFound: "callback-not-found",
  ScheduleNotFound: "schedule-not-found",
  ScheduleContended: "server-busy",
  CallbackAlreadyCompleted: "callback-already-completed",
  ExecutionNotRunning: "execution-not-running",
  ExecutionNotPaused: "execution-not-paused",
  TimerNotPending: "timer-not-pending",
  ExecutionNotRewindable: "execution-not-rewindable",
  ExecutionNotEnded: "execution-not-ended",
  ExecutionAlreadyExists: "execution-already-exists",
  InvalidRequest: "invalid-request",
  RateLimited: "too-many-requests",
  LogCorrupted: "log-corrupted",
  StoreFailure: "store-failure"
}


const messageOf = (error: object): string =>
  "message" in error && Predicate.isString(error.message) ? error.message : "The request failed"

/** A StoreFailure's own reason, for the failures whose reason is written for the client (a hand-over, a backoff). */
const reasonOf = (error: object): string =>
  Predicate.hasProperty(error, "reason") && Predicate.isString(error.reason) ? error.reason : messageOf(error)

/** `Retry-After` in whole seconds (at least 1) from an error's `retryAfterMs` (a backoff, a rate limit), else 1 s. */
const retryAfterOf = (error: object): { readonly "retry-after": string } => {
  const ms = Predicate.hasProperty(error, "retryAfterMs") && Predicate.isNumber(error.retryAfterMs) ? error.retryAfterMs : 1000
  return { "retry-after": String(Math.max(1, Math.ceil(ms / 1000))) }
}

export const mapError = (error: unknown): MappedProblem => {
  if (error instanceof HttpProblem) {
    return { kind: error.kind, detail: error.detail, ...(error.headers === undefined ? {} : { headers: error.headers }), internal: false }
  }
  const tag = Predicate.hasProperty(error, "_tag") && Predicate.isString(error._tag) ? error._tag : undefined
  const kind = tag !== undefined && Object.hasOwn(byTag, tag) ? byTag[tag] : undefined
  if (kind === undefined || !Predicate.isObject(error)) {
    return { kind: "internal-error", detail: "An unexpected error occurred; it has been logged", internal: true }
  }
  switch (kind) {
    case "log-corrupted": {
      const id = Predicate.hasProperty(error, "executionId") ? String(error.executionId) : "?"
      return { kind, detail: `The stored history of execution ${JSON.stringify(id)} cannot be read; it has been logged`, internal: true }
    }
    case "store-failure": {
      // The operation names a port method (append, load …); the store's own reason may hold internals: logs only.
      const operation = Predicate.hasProperty(error, "operation") && Predicate.isString(error.operation) ? error.operation : "unknown"
      if (operation === HAND_OVER) {
        // Several hosts: the holder runs user code and kept the execution past the bound. Nothing is wrong.
        return { kind: "execution-busy", detail: reasonOf(error), headers: { "retry-after": String(STORE_RETRY_AFTER_SECONDS) }, internal: false }
      }
      if (operation === WRITES_FAILING) {
        // The host's backoff (store-failure-retry.ts): the write failure was logged when it happened; its own reason
        // names only the execution and the wait.
        return { kind, detail: reasonOf(error), headers: retryAfterOf(error), extensions: { operation }, internal: false }
      }
      return {
        kind,
        detail: `The store failed during ${operation}; the request may be retried`,
        headers: { "retry-after": String(STORE_RETRY_AFTER_SECONDS) },
        extensions: { operation },
        internal: true
      }
    }
    case "invalid-request": {
      const detail = messageOf(error)
      const tooLarge = "payloadTooLarge" in error && error.payloadTooLarge === true
      return { kind: tooLarge ? "payload-too-large" : kind, detail, internal: false }
    }
    case "server-busy":
      // A schedule's record kept changing under this host (other hosts' saves): nothing was done, try again.
      return { kind, detail: messageOf(error), headers: { "retry-after": String(STORE_RETRY_AFTER_SECONDS) }, internal: false }
    case "too-many-requests": {
      // A function's refusing rate limit (flow control): the client retries when a start fits the window again.
      return { kind, detail: messageOf(error), headers: retryAfterOf(error), internal: false }
    }
    default:
      return { kind, detail: messageOf(error), internal: false }
  }
}

/**
 * Maps a failed exit's cause: its first typed error, else its defect (the engine dies on a few impossible states).
 * Interrupted with no error of its own, the runtime is closing (a shutdown): try again, elsewhere or later.
 */
export const mapCause = (cause: Cause.Cause<unknown>): MappedProblem & { readonly error: unknown } => {
  if (Cause.hasInterruptsOnly(cause)) {
    return { kind: "server-busy", detail: "The server is shutting down; try again", headers: { "retry-after": "1" }, internal: false, error: Cause.squash(cause) }
  }
  const failure = Cause.findErrorOption(cause)
  const error = failure._tag === "Some" ? failure.value : Cause.squash(cause)
  return { ...mapError(error), error }
}
