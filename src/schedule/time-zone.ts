/**
 * Wall-clock time in an IANA time zone through `Intl.DateTimeFormat` (every runtime has it; no tz database to ship).
 * A "local" time is a wall-clock reading encoded as if it were UTC milliseconds, so that the calendar arithmetic of
 * the cron search (cron.ts) can use Date's UTC methods.
 */

const formatters = new Map<string, Intl.DateTimeFormat>()

/** The zone's formatter; throws a RangeError for a zone the runtime does not know. */
const formatterOf = (zone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(zone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    })
    formatters.set(zone, formatter)
  }
  return formatter
}

/**
 * The zone's own name ("Europe/Paris" for "europe/paris"), undefined for a zone the runtime does not know. A
 * schedule keeps this one: its stored record compares the zone, and a change of letter case alone reset its next tick.
 */
export const canonicalTimeZone = (zone: string): string | undefined => {
  try {
    return formatterOf(zone).resolvedOptions().timeZone
  } catch {
    return undefined
  }
}

/** True when the runtime knows the zone (an IANA name such as "Europe/Paris", or "UTC"). */
export const isKnownTimeZone = (zone: string): boolean => canonicalTimeZone(zone) !== undefined

/** The wall-clock reading of `instant` in `zone`, as local milliseconds (seconds kept, milliseconds dropped). */
export const toLocal = (instant: number, zone: string): number => {
  const fields: Record<string, number> = {}
  for (const part of formatterOf(zone).formatToParts(new Date(instant))) {
    if (part.type !== "literal") fields[part.type] = Number(part.value)
  }
  return Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!)
}

/** The zone's offset from UTC at `instant`, in ms (whole minutes: the zones in use have no second offsets). */
const offsetAt = (instant: number, zone: string): number => toLocal(instant, zone) - Math.floor(instant / 1000) * 1000

const DAY_MS = 24 * 3600 * 1000

/**
 * The instant that a wall-clock reading names in the zone. A reading that happens twice (clocks go back) is its
 * first occurrence; one that does not happen (clocks go forward) is moved forward by the gap, as a clock that was
 * not changed would read it (the "compatible" choice of Temporal and of most cron daemons).
 */
export const fromLocal = (local: number, zone: string): number => {
  const before = offsetAt(local - DAY_MS, zone)
  const after = offsetAt(local + DAY_MS, zone)
  const candidates = [local - before, local - after].filter((instant) => toLocal(instant, zone) === local)
  if (candidates.length > 0) return Math.min(...candidates)
  return local - before
}
