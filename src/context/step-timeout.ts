/**
 * A step attempt's deadline (`ctx.step(…, { timeout })`). A body runs in real time, also under the test runner
 * (whose virtual clock moves only while nothing runs), so the deadline is a wall-clock timer. At the deadline the
 * attempt fails with StepTimeoutError and the body's AbortSignal fires; the body cannot be killed, and what it
 * does afterwards is ignored.
 */
import { durationToMillis, type Duration } from "./duration.ts"
import { InvalidDurationError, StepTimeoutError } from "./errors.ts"
import { realClearTimeout, realSetTimeout } from "./real-timers.ts"

/** The longest timer the runtimes keep (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** The timeout in milliseconds, or undefined for none; an InvalidDurationError for anything else. */
export const stepTimeoutMillis = (timeout: Duration | undefined): number | undefined => {
  if (timeout === undefined) return undefined
  const ms = durationToMillis(timeout, "The step timeout")
  if (!(ms > 0 && ms <= MAX_TIMEOUT_MS)) {
    throw new InvalidDurationError(`The step timeout must be more than 0 and at most 24 days, got ${ms} ms`)
  }
  return ms
}

/**
 * Runs `body` with a signal; past `timeoutMs` the result is a StepTimeoutError and the signal fires with it. The
 * signal also fires when `stopped` (the execution's stop) does.
 */
export const withDeadline = <T>(
  timeoutMs: number | undefined,
  describe: () => string,
  body: (signal: AbortSignal) => T | Promise<T>,
  stopped?: AbortSignal
): T | Promise<T> =>
  // Without a timeout the body's own result, not wrapped in one more promise: the caller awaits it anyway, and
  // every step pays for each extra promise turn.
  timeoutMs === undefined ? body(stopped ?? new AbortController().signal) : raceDeadline(timeoutMs, describe, body, stopped)

const raceDeadline = async <T>(
  timeoutMs: number,
  describe: () => string,
  body: (signal: AbortSignal) => T | Promise<T>,
  stopped: AbortSignal | undefined
): Promise<T> => {
  const controller = new AbortController()
  const signal = stopped === undefined ? controller.signal : AbortSignal.any([controller.signal, stopped])
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => {
      const error = new StepTimeoutError(`${describe()} timed out after ${timeoutMs} ms`)
      controller.abort(error)
      reject(error)
    }, timeoutMs)
  })
  try {
    return await Promise.race([body(signal), expired])
  } finally {
    realClearTimeout(timer)
  }
}
