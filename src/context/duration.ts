/** AWS-style Duration objects and the limits on waits. */
import { InvalidDurationError } from "./errors.ts"

export type Duration =
  | { days: number; hours?: number; minutes?: number; seconds?: number }
  | { hours: number; minutes?: number; seconds?: number }
  | { minutes: number; seconds?: number }
  | { seconds: number }

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The shortest and longest wait. A year is taken as 366 days, so "one year from now" always fits. */
export const MIN_WAIT_MS = SECOND
export const MAX_WAIT_MS = 366 * DAY

const UNITS = [["days", DAY], ["hours", HOUR], ["minutes", MINUTE], ["seconds", SECOND]] as const

/** Milliseconds in a Duration; a clear error for anything that is not one. */
export const durationToMillis = (duration: Duration, what = "duration"): number => {
  if (typeof duration !== "object" || duration === null) {
    // A bare number is most often seconds meant: the example shows it so.
    const example = typeof duration === "number" && Number.isFinite(duration) && duration >= 0 ? duration : 30
    throw new InvalidDurationError(`${what} must be a Duration object such as { seconds: ${example} }, got ${describe(duration)}`)
  }
  let total = 0
  let units = 0
  for (const [unit, ms] of UNITS) {
    const value = (duration as Record<string, unknown>)[unit]
    if (value === undefined) continue
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new InvalidDurationError(`${what}.${unit} must be a non-negative finite number, got ${describe(value)}`)
    }
    total += value * ms
    units++
  }
  if (units === 0) {
    // Name what was given instead ({ second: 5 }, { ms: 500 }): "set one of" alone sent users looking for the typo.
    const given = Object.keys(duration)
    const instead = given.length === 0 ? "" : `, got ${given.map((key) => JSON.stringify(key)).join(", ")}`
    throw new InvalidDurationError(`${what} must set at least one of days, hours, minutes, seconds${instead}`)
  }
  return total
}

export const describeMillis = (ms: number): string =>
  ms >= DAY ? `${+(ms / DAY).toFixed(3)} days` : ms >= HOUR ? `${+(ms / HOUR).toFixed(3)} hours` : `${+(ms / SECOND).toFixed(3)} seconds`

/** Checks a wait length against 1 second … 1 year. */
export const checkWaitMillis = (ms: number, what: string): number => {
  // Written so that NaN fails too.
  if (!(ms >= MIN_WAIT_MS && ms <= MAX_WAIT_MS)) {
    throw new InvalidDurationError(
      `${what} must be between 1 second and 1 year (366 days), got ${describeMillis(ms)}`
    )
  }
  return ms
}

const describe = (value: unknown): string => {
  try {
    // Numbers as themselves: JSON.stringify would show NaN and Infinity as null.
    if (typeof value === "number") return String(value)
    return typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value)
  } catch {
    return String(value)
  }
}
