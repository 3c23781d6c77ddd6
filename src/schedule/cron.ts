/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week): `*`, values, ranges `a-b`, steps `*\/n`
 * and `a-b/n` and `a/n`, lists `a,b`, month and day names (JAN, MON), 7 as Sunday, and the macros @hourly, @daily
 * (@midnight), @weekly, @monthly, @yearly (@annually). As in Vixie cron, when both day fields are restricted a day
 * matches either; a field written from `*` (`*`, `*\/2`) counts as unrestricted.
 *
 * Written here rather than taken from cron-parser: that package brings Luxon for its zones, and Intl does that on
 * every runtime Reprise runs on (time-zone.ts).
 */
import { fromLocal, toLocal } from "./time-zone.ts"

export interface CronSpec {
  readonly source: string
  readonly minutes: ReadonlySet<number>
  readonly hours: ReadonlySet<number>
  readonly days: ReadonlySet<number>
  readonly months: ReadonlySet<number>
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekdays: ReadonlySet<number>
  readonly daysRestricted: boolean
  readonly weekdaysRestricted: boolean
}

/** A cron expression that does not parse; the message names the field and what is wrong. */
export class CronSyntaxError extends Error {
  override readonly name = "CronSyntaxError"
}

const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *"
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

interface FieldRule {
  readonly name: string
  readonly min: number
  readonly max: number
  /** Names for values, from `min`. */
  readonly names?: ReadonlyArray<string>
}

const FIELDS: ReadonlyArray<FieldRule> = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES },
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES }
]

const parseValue = (text: string, rule: FieldRule, expression: string): number => {
  const upper = text.toUpperCase()
  const named = rule.names?.indexOf(upper) ?? -1
  if (named >= 0) return named + rule.min
  if (!/^\d+$/.test(text)) {
    throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: ${JSON.stringify(text)} is not a ${rule.name}${rule.names === undefined ? "" : ` (a number or a name such as ${rule.names[1]})`}`)
  }
  const value = Number(text)
  if (value < rule.min || value > rule.max) {
    throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: ${rule.name} ${value} is outside ${rule.min}-${rule.max}`)
  }
  return value
}

const parseField = (field: string, rule: FieldRule, expression: string): Set<number> => {
  const values = new Set<number>()
  for (const item of field.split(",")) {
    const [range, stepText, extra] = item.split("/")
    if (extra !== undefined || range === undefined || range === "") {
      throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: ${JSON.stringify(item)} is not a valid ${rule.name} item`)
    }
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: the step ${JSON.stringify(stepText)} of the ${rule.name} must be a whole number from 1`)
      }
      step = Number(stepText)
    }
    let from: number
    let to: number
    if (range === "*") {
      from = rule.min
      to = rule.max
    } else {
      const bounds = range.split("-")
      if (bounds.length > 2 || bounds.some((b) => b === "")) {
        throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: ${JSON.stringify(range)} is not a valid ${rule.name} range`)
      }
      from = parseValue(bounds[0]!, rule, expression)
      // `a/n` runs from a to the end of the field.
      to = bounds.length === 2 ? parseValue(bounds[1]!, rule, expression) : stepText === undefined ? from : rule.max
      // A day-of-week range that ends on Sunday (FRI-SUN, MON-0) ends on its 7, as `5-7` does.
      if (rule.max === 7 && to === 0 && from > 0) to = 7
      if (to < from) throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: the ${rule.name} range ${range} runs backwards`)
    }
    for (let value = from; value <= to; value += step) values.add(value)
  }
  return values
}

/** Parses an expression; throws CronSyntaxError with the reason. */
export const parseCron = (expression: string): CronSpec => {
  if (typeof expression !== "string") throw new CronSyntaxError(`a cron expression must be a string, got ${typeof expression}`)
  const trimmed = expression.trim()
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed
  if (expanded.startsWith("@")) throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: unknown macro (use ${Object.keys(MACROS).join(", ")})`)
  const fields = expanded.split(/\s+/)
  if (fields.length !== 5) {
    throw new CronSyntaxError(`cron ${JSON.stringify(expression)}: needs 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`)
  }
  const [minutes, hours, days, months, weekdays] = fields.map((field, i) => parseField(field, FIELDS[i]!, expression)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>
  ]
  if (weekdays.delete(7)) weekdays.add(0)
  return {
    source: expression,
    minutes,
    hours,
    days,
    months,
    weekdays,
    daysRestricted: !fields[2]!.startsWith("*"),
    weekdaysRestricted: !fields[4]!.startsWith("*")
  }
}

const MINUTE_MS = 60_000

const dayMatches = (spec: CronSpec, date: Date): boolean => {
  const day = spec.days.has(date.getUTCDate())
  const weekday = spec.weekdays.has(date.getUTCDay())
  if (spec.daysRestricted && spec.weekdaysRestricted) return day || weekday
  if (spec.daysRestricted) return day
  if (spec.weekdaysRestricted) return weekday
  return true
}

/** The first local minute at or after `local` that the spec matches, within about 9 years (Feb 29 needs 8). */
const nextLocal = (spec: CronSpec, local: number): number | undefined => {
  const date = new Date(Math.ceil(local / MINUTE_MS) * MINUTE_MS)
  const limit = date.getTime() + 9 * 366 * 24 * 3600 * 1000
  while (date.getTime() <= limit) {
    if (!spec.months.has(date.getUTCMonth() + 1)) {
      date.setUTCMonth(date.getUTCMonth() + 1, 1)
      date.setUTCHours(0, 0, 0, 0)
    } else if (!dayMatches(spec, date)) {
      date.setUTCDate(date.getUTCDate() + 1)
      date.setUTCHours(0, 0, 0, 0)
    } else if (!spec.hours.has(date.getUTCHours())) {
      date.setUTCHours(date.getUTCHours() + 1, 0, 0, 0)
    } else if (!spec.minutes.has(date.getUTCMinutes())) {
      date.setUTCMinutes(date.getUTCMinutes() + 1, 0, 0)
    } else return date.getTime()
  }
  return undefined
}

/**
 * The instant a gap in the zone's wall clock ends, for a reading `local` inside it (clocks went forward past it):
 * the first minute whose reading is at or after `local`, between `local` read with the offset after the change and
 * with the offset before it.
 */
const gapEnd = (local: number, zone: string, shifted: number): number => {
  let low = Math.floor((local - 14 * 3600 * 1000) / MINUTE_MS) // no zone's offset changes by more than 14 h
  let high = Math.ceil(shifted / MINUTE_MS)
  low = Math.max(low, high - 24 * 60)
  while (low < high) {
    const middle = Math.floor((low + high) / 2)
    if (toLocal(middle * MINUTE_MS, zone) >= local) high = middle
    else low = middle + 1
  }
  return high * MINUTE_MS
}

/**
 * The first tick strictly after `after` (ms since the epoch) in the zone, or undefined when the expression never
 * matches (such as February 30). A wall-clock time that happens twice ticks once, at its first occurrence; one that
 * does not happen (clocks go forward) ticks when the gap ends, as Vixie cron runs it: the times of a gap all tick
 * once, then (`30 2` on a night that skips from 02:00 to 03:00 ticks at 03:00; `*\/15 2` too, once).
 */
export const nextTick = (spec: CronSpec, after: number, zone: string): number | undefined => {
  let local = toLocal(after, zone) + 1
  // Bounded: each round moves at least a minute; only clock changes make a round return nothing new.
  for (let round = 0; round < 1000; round++) {
    const found = nextLocal(spec, local)
    if (found === undefined) return undefined
    const shifted = fromLocal(found, zone)
    const instant = toLocal(shifted, zone) === found ? shifted : gapEnd(found, zone, shifted)
    if (instant > after) return instant
    local = found + MINUTE_MS
  }
  return undefined
}
