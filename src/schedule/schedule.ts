/**
 * Declaring a schedule: `schedule(name, { function, cron, timezone?, overlap?, catchUp?, input? })`, registered
 * beside the functions (`serve({ functions, schedules })`, `createTestRunner({ functions, schedules })`). A
 * configuration that cannot work is refused here, when the schedule is declared, with a ScheduleConfigError.
 */
import { type Duration, durationToMillis } from "../context/duration.ts"
import type { DurableFunction } from "../engine/registry.ts"
import { type CronSpec, nextTick, parseCron } from "./cron.ts"
import { canonicalTimeZone } from "./time-zone.ts"

/**
 * What a tick does while the previous execution started by this schedule is still running:
 * - `skip`: nothing (the tick is recorded as skipped);
 * - `buffer-one`: one start waits for the previous to end (more ticks meanwhile are skipped);
 * - `allow`: start anyway;
 * - `cancel-previous`: stop the previous one, then start.
 */
export type OverlapPolicy = "skip" | "buffer-one" | "allow" | "cancel-previous"

export const OVERLAP_POLICIES: ReadonlyArray<OverlapPolicy> = ["skip", "buffer-one", "allow", "cancel-previous"]

export interface ScheduleOptions {
  /** The durable function each tick starts (its name, or the function itself). */
  readonly function: string | DurableFunction
  /** Five-field cron (minute hour day-of-month month day-of-week), see cron.ts. */
  readonly cron: string
  /** IANA time zone the cron reads its wall clock in (default "UTC"). */
  readonly timezone?: string
  /** Default "skip". */
  readonly overlap?: OverlapPolicy
  /**
   * How late a missed tick may still start (after downtime, or a tick delivered late). Older missed ticks are
   * skipped and recorded. Default one minute: enough for a restart, not a replay of a night of downtime.
   */
  readonly catchUp?: Duration
  /** The input of every execution it starts (JSON). */
  readonly input?: unknown
  readonly description?: string
}

export interface Schedule {
  readonly name: string
  readonly functionName: string
  readonly cron: CronSpec
  readonly timezone: string
  readonly overlap: OverlapPolicy
  readonly catchUpMs: number
  /** The input serialised once, when declared. */
  readonly inputPayload?: string
  readonly description?: string
}

/** A schedule that cannot work as configured: refused when it is declared or registered. */
export class ScheduleConfigError extends TypeError {
  override readonly name = "ScheduleConfigError"
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export const DEFAULT_CATCH_UP_MS = 60_000
/** The shortest catch-up window: a tick delivered on time is still a little late. */
export const MIN_CATCH_UP_MS = 1_000

export const schedule = (name: string, options: ScheduleOptions): Schedule => {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new ScheduleConfigError(`A schedule name must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit; got ${JSON.stringify(name)}`)
  }
  const fail = (reason: string) => new ScheduleConfigError(`Schedule ${JSON.stringify(name)}: ${reason}`)
  if (typeof options !== "object" || options === null) throw fail("needs options { function, cron }")
  const functionName = typeof options.function === "string" ? options.function : options.function?.name
  if (typeof functionName !== "string" || functionName === "") throw fail("needs the function it starts (`function`: a name or a durable function)")
  let cron: CronSpec
  try {
    cron = parseCron(options.cron)
  } catch (error) {
    throw fail((error as Error).message)
  }
  const given = options.timezone ?? "UTC"
  const timezone = typeof given === "string" ? canonicalTimeZone(given) : undefined
  if (timezone === undefined) {
    throw fail(`unknown time zone ${JSON.stringify(given)} (use an IANA name such as "Europe/Paris" or "UTC")`)
  }
  if (nextTick(cron, Date.UTC(2000, 0, 1), timezone) === undefined) throw fail(`cron ${JSON.stringify(options.cron)} never matches a date`)
  const overlap = options.overlap ?? "skip"
  if (!OVERLAP_POLICIES.includes(overlap)) throw fail(`overlap must be one of ${OVERLAP_POLICIES.join(", ")}; got ${JSON.stringify(overlap)}`)
  let catchUpMs = DEFAULT_CATCH_UP_MS
  if (options.catchUp !== undefined) {
    try {
      catchUpMs = durationToMillis(options.catchUp, "catchUp")
    } catch (error) {
      throw fail((error as Error).message)
    }
    // A tick is delivered a little after its time (a timer, an alarm), so a shorter window skipped it as missed: with
    // 0, every tick was skipped on a server, while the test runner, whose clock lands on each tick, ran them all.
    if (catchUpMs < MIN_CATCH_UP_MS) {
      throw fail(`catchUp must be at least 1 second, got ${catchUpMs} ms: a tick is delivered a little after its time, and one later than catchUp is skipped`)
    }
  }
  let inputPayload: string | undefined
  try {
    inputPayload = options.input === undefined ? undefined : JSON.stringify(options.input)
  } catch (error) {
    throw fail(`the input is not serialisable as JSON: ${(error as Error).message}`)
  }
  // JSON has no form for a function or a symbol: each tick would have started with no input at all, silently.
  if (options.input !== undefined && inputPayload === undefined) throw fail(`the input is not serialisable as JSON: a ${typeof options.input}`)
  return {
    name,
    functionName,
    cron,
    timezone,
    overlap,
    catchUpMs,
    ...(inputPayload === undefined ? {} : { inputPayload }),
    ...(options.description === undefined ? {} : { description: options.description })
  }
}

/** Checks the schedules against the functions they start (at registration); returns them by name. */
export const makeScheduleRegistry = (
  schedules: ReadonlyArray<Schedule>,
  functions: ReadonlyArray<DurableFunction>
): ReadonlyMap<string, Schedule> => {
  const names = new Set(functions.map((fn) => fn.name))
  const registry = new Map<string, Schedule>()
  for (const entry of schedules) {
    if (registry.has(entry.name)) throw new ScheduleConfigError(`Two schedules are named ${JSON.stringify(entry.name)}`)
    if (!names.has(entry.functionName)) {
      throw new ScheduleConfigError(`Schedule ${JSON.stringify(entry.name)} starts ${JSON.stringify(entry.functionName)}, which is not among the registered functions`)
    }
    registry.set(entry.name, entry)
  }
  return registry
}

/** The execution a tick starts: derived from the schedule and the tick time, so that a tick never starts twice. */
export const tickExecutionId = (name: string, tickAt: number): string => `${name}:${new Date(tickAt).toISOString().replace(".000Z", "Z")}`

/** The execution a manual trigger starts (the trigger's time to the millisecond). */
export const triggerExecutionId = (name: string, at: number): string => `${name}:trigger:${new Date(at).toISOString()}`

/** Whether an id ends as those two do (a client's execution name must not: the HTTP API refuses it). */
export const endsLikeScheduledId = (id: string): boolean => /:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$/.test(id)
