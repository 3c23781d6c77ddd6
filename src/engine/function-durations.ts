/**
 * A function's `executionTimeout` and `retention`, checked when it is defined (`durable()`): a bad one is a typed
 * error there, not a 500 at its first start in production, nor a timeout cut short without a word.
 */
import { describeMillis, durationToMillis, type Duration, MIN_WAIT_MS } from "../context/duration.ts"
import { InvalidDurationError } from "../context/errors.ts"

/** 366 days, as Lambda's service allows (and the default). */
export const MAX_EXECUTION_TIMEOUT_MS = 366 * 24 * 3600 * 1000
export const DEFAULT_RETENTION_MS = 14 * 24 * 3600 * 1000

export const checkFunctionDurations = (name: string, options: { readonly executionTimeout?: Duration; readonly retention?: Duration }): void => {
  if (options.executionTimeout !== undefined) {
    const ms = durationToMillis(options.executionTimeout, `The executionTimeout of durable function ${name}`)
    if (!(ms >= MIN_WAIT_MS && ms <= MAX_EXECUTION_TIMEOUT_MS)) {
      throw new InvalidDurationError(`The executionTimeout of durable function ${name} must be between 1 second and 366 days, got ${describeMillis(ms)}`)
    }
  }
  // Any length, 0 included (an ended execution's history is deleted at once).
  if (options.retention !== undefined) durationToMillis(options.retention, `The retention of durable function ${name}`)
}
