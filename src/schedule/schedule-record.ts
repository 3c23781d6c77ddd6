/**
 * How a schedule's record changes, as pure functions of the schedule and the record: made (or re-based on a changed
 * cron or zone), ticks skipped and counted, and the view the API answers. The scheduler decides when; these say what.
 */
import { Effect } from "effect"
import type { FunctionNotFound, InvalidRequest, RateLimited } from "../engine/engine-errors.ts"
import { nextTick } from "./cron.ts"
import type { Schedule } from "./schedule.ts"
import type { ScheduleView } from "./schedule-client.ts"
import { RECENT_SKIPS, type ScheduleRecord, type SkipReason } from "./schedule-store.ts"

/** The most ticks one delivery walks through; a longer outage is skipped as one run counted up to here. */
export const MAX_TICKS_PER_DELIVERY = 100_000

/**
 * A start saved in the record (`starting`: a trigger's, or a tick's under skip and buffer-one) counts as running
 * this long while its execution is not there yet: longer, its host died between the save and the start.
 */
const STARTING_MS = 60_000

/** A start saved on some host and maybe not made yet (see STARTING_MS). */
export const isStarting = (record: ScheduleRecord, now: number) => record.starting !== undefined && now - record.starting.at < STARTING_MS

/**
 * A tick's start saved in the record (not a trigger's, not the buffered start's) whose tick the record has moved past
 * without making it (a host that died after saving it, then a catch-up, a resume or a changed cron): dropped once it
 * is no longer fresh (a host may be making it until then), else it held off `skip` with nothing running.
 */
export const withoutPassedTick = (record: ScheduleRecord, now: number): ScheduleRecord => {
  const tickAt = savedTickAt(record)
  if (tickAt === undefined || isStarting(record, now)) return record
  return record.nextTickAt === undefined || tickAt < record.nextTickAt ? withoutStarting(record) : record
}

/** The time of the tick whose start the record holds saved; undefined when none is, or it is not a tick's. */
const savedTickAt = (record: ScheduleRecord): number | undefined =>
  isTickStart(record) ? Date.parse(record.starting!.executionId.slice(record.name.length + 1)) : undefined

/** Whether the start saved in the record is a tick's (not a trigger's, not the buffered start's release). */
const isTickStart = (record: ScheduleRecord) => {
  const id = record.starting?.executionId
  return id !== undefined && id !== record.buffered?.executionId && !id.startsWith(`${record.name}:trigger:`)
}

/** The record without a tick's saved start (re-based on a changed cron or zone: that tick is not one of the new). */
export const withoutTickStart = (record: ScheduleRecord): ScheduleRecord => (isTickStart(record) ? withoutStarting(record) : record)

/**
 * buffer-one: whether a saved start holds the buffered one back: a trigger's or a tick's under a minute old, not the
 * buffered start's own release, which any host makes at once (its host may have died).
 */
export const heldBack = (record: ScheduleRecord, now: number) => isStarting(record, now) && record.starting!.executionId !== record.buffered?.executionId

/** The record without a start saved in it. */
export const withoutStarting = (record: ScheduleRecord): ScheduleRecord => {
  const { starting: _, ...rest } = record
  return rest
}

/**
 * cancel-previous: whether a trigger's start saved in the record was overtaken by a later start (a trigger's or a
 * tick's) saved over it on another host, which runs instead: only its own settle clears it otherwise.
 */
export const overtakenTrigger = (entry: Schedule, record: ScheduleRecord, executionId: string) =>
  entry.overlap === "cancel-previous" && record.starting?.executionId !== executionId

/**
 * cancel-previous: whether an overtaken trigger's start made the execution it answers with (`started`), which its host
 * then stops. A debounced start that collapsed into one already waiting made none: that one is the later start's (made
 * between this one's save and its making), and stopping it left nothing running.
 */
export const madeByTrigger = (executionId: string, started: string) => started === executionId

/**
 * cancel-previous: whether a tick's start, saved then made, whose saved start the record no longer holds, was
 * overtaken by a trigger's saved over it on another host (still starting, or made and recorded as the last).
 */
export const overtakenTick = (record: ScheduleRecord, tickAt: number) =>
  // An earlier tick's saved start (left by a delivery whose record save failed) overtakes nothing (the review).
  (record.starting !== undefined && !((savedTickAt(record) ?? Infinity) < tickAt)) ||
  (record.lastExecutionId?.startsWith(`${record.name}:trigger:`) === true && (record.lastTickAt ?? 0) >= tickAt)

/**
 * A trigger's start made (`started`: the execution's id) or refused (undefined): its `starting` cleared. One overtaken
 * (cancel-previous) is counted, not recorded as the last: its host stops it.
 */
export const settledStart = (entry: Schedule, record: ScheduleRecord, executionId: string, tickAt: number, started: string | undefined): ScheduleRecord => {
  const cleared = record.starting?.executionId === executionId ? withoutStarting(record) : record
  if (started === undefined) return cleared
  const counted = { ...cleared, started: record.started + 1 }
  return overtakenTrigger(entry, record, executionId) ? counted : { ...counted, lastExecutionId: started, lastTickAt: Math.max(tickAt, record.lastTickAt ?? tickAt) }
}

/**
 * When the schedule is next to be delivered: its next tick, or sooner a buffered start held back by a saved start
 * (delivered again once that start is a minute old; else it waited for the next tick with nothing running).
 */
export const dueOf = (record: ScheduleRecord, now: number): number | undefined => {
  if (record.paused) return undefined
  const held = record.buffered !== undefined && heldBack(record, now) ? record.starting!.at + STARTING_MS : undefined
  return held === undefined ? record.nextTickAt : Math.min(held, record.nextTickAt ?? held)
}

export const specOf = (entry: Schedule) => `${entry.cron.source.trim()} @ ${entry.timezone}`

export const fresh = (entry: Schedule, now: number, previous?: ScheduleRecord): ScheduleRecord => {
  const next = nextTick(entry.cron, now, entry.timezone)
  return {
    started: 0,
    skipped: 0,
    recentSkips: [],
    ...previous,
    name: entry.name,
    spec: specOf(entry),
    paused: previous?.paused ?? false,
    ...(next === undefined ? {} : { nextTickAt: next })
  }
}

/** Records skipped ticks; a run that goes on from the last recorded one (the very next tick) extends it. */
export const skip = (entry: Schedule, record: ScheduleRecord, reason: SkipReason, firstTickAt: number, lastTickAt: number, count: number): ScheduleRecord => {
  const recent = [...record.recentSkips]
  const last = recent.at(-1)
  if (last !== undefined && last.reason === reason && nextTick(entry.cron, last.lastTickAt, entry.timezone) === firstTickAt) {
    recent[recent.length - 1] = { ...last, lastTickAt, count: last.count + count }
  } else recent.push({ reason, firstTickAt, lastTickAt, count })
  return { ...record, skipped: record.skipped + count, recentSkips: recent.slice(-RECENT_SKIPS) }
}

/** Ticks from `from` that are before `until` (exclusive): skipped as one run. Returns the first tick left. */
export const skipTicks = (entry: Schedule, record: ScheduleRecord, reason: SkipReason, from: number, until: number) => {
  let tick: number | undefined = from
  let last = from
  let count = 0
  while (tick !== undefined && tick < until && count < MAX_TICKS_PER_DELIVERY) {
    last = tick
    count++
    tick = nextTick(entry.cron, tick, entry.timezone)
  }
  if (tick !== undefined && tick < until) tick = nextTick(entry.cron, until - 1, entry.timezone)
  return { record: count === 0 ? record : skip(entry, record, reason, from, last, count), next: tick }
}

/**
 * A delivery whose save lost to a pause saved on another host: the ticks it had started run, so they are counted
 * and the next tick moves past them (else a resume would record them as skipped).
 */
export const countStarted = (entry: Schedule, record: ScheduleRecord, startedTicks: ReadonlyArray<{ readonly executionId: string; readonly tickAt: number }>) => {
  const unrecorded = startedTicks.filter((started) => record.nextTickAt !== undefined && started.tickAt >= record.nextTickAt)
  const last = unrecorded.at(-1)
  if (last === undefined) return record
  // A counted tick's saved start is made: no longer starting.
  const made = unrecorded.some((started) => started.executionId === record.starting?.executionId) ? withoutStarting(record) : record
  const { nextTickAt: _, ...rest } = made
  const next = nextTick(entry.cron, last.tickAt, entry.timezone)
  return {
    ...rest,
    lastExecutionId: last.executionId,
    lastTickAt: last.tickAt,
    started: record.started + unrecorded.length,
    ...(next === undefined ? {} : { nextTickAt: next })
  }
}

/**
 * The last tick this delivery started, when the record moved past it without recording it (a resume on another host
 * skipped it as paused while it was being made): recorded as the last execution, so that skip sees it running. Its
 * tick is then counted both as skipped and as started.
 */
export const lastStarted = (record: ScheduleRecord, startedTicks: ReadonlyArray<{ readonly executionId: string; readonly tickAt: number }>) => {
  const last = startedTicks.at(-1)
  if (last === undefined || record.nextTickAt === undefined || last.tickAt >= record.nextTickAt) return record
  if (record.lastTickAt !== undefined && record.lastTickAt >= last.tickAt) return record
  const made = record.starting?.executionId === last.executionId ? withoutStarting(record) : record // made: no longer starting
  return { ...made, lastExecutionId: last.executionId, lastTickAt: last.tickAt, started: record.started + 1 }
}

/** What releasing a buffered start did: the record, and the start made (`released`) or saved (`reserved`). */
export interface Released {
  readonly record: ScheduleRecord
  readonly released?: { readonly executionId: string; readonly tickAt: number }
  readonly reserved?: true
}

/** The buffered start a delivery made (`released`) while the record still holds it (a pause was saved first): recorded. */
export const releasedBefore = (record: ScheduleRecord, released: { readonly executionId: string; readonly tickAt: number } | undefined) => {
  if (released === undefined || record.buffered?.executionId !== released.executionId) return record
  const { buffered: _, ...rest } = record.starting?.executionId === released.executionId ? withoutStarting(record) : record
  return { ...rest, lastExecutionId: released.executionId, lastTickAt: Math.max(released.tickAt, record.lastTickAt ?? released.tickAt), started: record.started + 1 }
}

export const viewOf = (entry: Schedule, record: ScheduleRecord): ScheduleView => ({
  name: entry.name,
  functionName: entry.functionName,
  cron: entry.cron.source,
  timezone: entry.timezone,
  overlap: entry.overlap,
  catchUpSeconds: entry.catchUpMs / 1000,
  ...(entry.description === undefined ? {} : { description: entry.description }),
  paused: record.paused,
  ...(record.paused || record.nextTickAt === undefined ? {} : { nextTickAt: record.nextTickAt }),
  ...(record.lastTickAt === undefined ? {} : { lastTickAt: record.lastTickAt }),
  ...(record.lastExecutionId === undefined ? {} : { lastExecutionId: record.lastExecutionId }),
  ...(record.buffered === undefined ? {} : { buffered: record.buffered }),
  started: record.started,
  skipped: record.skipped,
  recentSkips: record.recentSkips
})

/** Handlers for Effect.catchTags: one for each way a function refuses a start. */
export const onRefused = <A>(handler: (error: FunctionNotFound | InvalidRequest | RateLimited) => A) => ({ FunctionNotFound: handler, InvalidRequest: handler, RateLimited: handler })

/**
 * A tick whose start the function refuses (its input fails a key function, a rate limit that refuses, the function
 * gone) is skipped and recorded, with one error line: retried, it failed the same way every 5 s and held every
 * later tick. A trigger's refusal goes back to the caller instead.
 */
export const refusedTick = (entry: Schedule, record: ScheduleRecord, tickAt: number, stopped?: string) => (error: FunctionNotFound | InvalidRequest | RateLimited) =>
  // A warning in the host's log (one line, JSON where the host writes JSON), naming the schedule. cancel-previous
  // stops the previous execution before the start (two never run at once), so a refused start leaves neither.
  Effect.logWarning(
    `skipped the tick of ${new Date(tickAt).toISOString()}: its start was refused (${error.message})${
      stopped === undefined ? "" : `; the previous execution ${stopped} was stopped first (cancel-previous)`
    }`
  ).pipe(
    Effect.annotateLogs({ schedule: entry.name, functionName: entry.functionName }),
    Effect.as({ record: skip(entry, record, "refused", tickAt, tickAt, 1), outcome: "skipped" as const, started: false })
  )
