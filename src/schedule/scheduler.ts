/**
 * The scheduler: runtime-neutral, written once. Each schedule keeps a record (schedule-store.ts) whose `nextTickAt`
 * is its durable alarm; a host runs the scheduler's wake-up loop (`run`: one Clock sleep until the earliest tick),
 * the test runner moves its virtual clock from tick to tick instead. When a tick is due, the ticks due are handled in
 * order: each starts the execution whose id is derived from the schedule and the tick time, so a tick handled twice
 * (a crash between the start and the record's save, a second delivery) starts nothing new; ticks older than the
 * catch-up window are skipped and recorded; the overlap policy decides what a tick does while the previous
 * execution runs. Then the record is saved with the next tick.
 *
 * Why not the store's alarm index: SQLite's alarms reference an execution row (ON DELETE CASCADE), so a schedule
 * could only have one there through a schema migration; the record is the durable truth, the loop only a wake-up.
 */
import { Cause, Clock, Context, Duration, Effect, FiberMap, Semaphore, type Scope } from "effect"
import { ExecutionClient, type ExecutionClientShape } from "../engine/execution-client.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import { nextTick } from "./cron.ts"
import type { Schedule } from "./schedule.ts"
import { tickExecutionId, triggerExecutionId } from "./schedule.ts"
import { type ScheduleClientShape, ScheduleContended, ScheduleNotFound, type TriggerResult } from "./schedule-client.ts"
import { countStarted, dueOf, fresh, heldBack, isStarting, lastStarted, madeByTrigger, MAX_TICKS_PER_DELIVERY, onRefused, overtakenTick, overtakenTrigger, type Released, releasedBefore, refusedTick, settledStart, skip, skipTicks, specOf, viewOf, withoutPassedTick, withoutStarting, withoutTickStart } from "./schedule-record.ts"
import { scheduleStarts } from "./schedule-starts.ts"
import { type ScheduleRecord, ScheduleStore } from "./schedule-store.ts"

/** The loop reads its schedules again at least this often (a cheap in-memory check). */
const MAX_SLEEP_MS = 60_000

/** After a failed delivery (the store failed), the schedule is tried again this much later. */
const RETRY_MS = 5_000

/**
 * How many times a decision is read, made and saved again when another host saved the record first. Each loss
 * means another host's save went through, so only many hosts writing one schedule at once exhaust it.
 */
export const MAX_SAVE_ATTEMPTS = 10

/**
 * How often the loop reads every schedule's record again: with several hosts on one store, a pause or resume made
 * on one host is seen by the others then (found by the PostgreSQL probe: a schedule resumed on a host that then
 * died ticked on no other host until one restarted).
 */
export const RESYNC_MS = 15_000

export interface SchedulerShape extends ScheduleClientShape {
  /** Brings every schedule's record and alarm in line with the registered schedules (the host does it at start). */
  readonly start: Effect.Effect<void, StoreFailure | ScheduleContended>
  /** The schedule's tick is due (or an execution it waits for ended): handles what is due. */
  alarm(name: string): Effect.Effect<void, unknown>
  /** The wake-up loop of a long-running host: delivers each schedule's ticks when due, until the scope closes. */
  readonly run: Effect.Effect<void, never, Scope.Scope>
  /** The earliest tick due among the schedules not paused (known after `start`). */
  nextDueAt(): number | undefined
  /** Reads every schedule's record again (what other hosts on the store changed); the loop does every RESYNC_MS. */
  readonly refresh: Effect.Effect<void>
  /** The schedule names, in registration order. */
  readonly names: ReadonlyArray<string>
}

export class Scheduler extends Context.Service<Scheduler, SchedulerShape>()("reprise/schedule/Scheduler") {}

export interface SchedulerOptions {
  readonly schedules: ReadonlyMap<string, Schedule>
  /** Where failures of background work (the buffer-one watchers) go. */
  readonly onError?: (error: unknown, schedule: string) => void
}

export const makeScheduler = Effect.fnUntraced(function*(
  options: SchedulerOptions
): Effect.fn.Return<SchedulerShape, never, ExecutionClient | ScheduleStore | Scope.Scope> {
  const client: ExecutionClientShape = yield* ExecutionClient
  const records = yield* ScheduleStore
  const clock = yield* Clock.Clock
  const onError = options.onError ?? ((error, name) => console.error(`reprise: schedule ${name}:`, error))
  const locks = new Map<string, Semaphore.Semaphore>()
  for (const name of options.schedules.keys()) locks.set(name, yield* Semaphore.make(1))
  /** buffer-one: a fiber per schedule and execution ahead of a buffered start, waiting for it to end. */
  const watchers = yield* FiberMap.make<string>()

  const definition = (name: string) =>
    Effect.suspend(() => {
      const entry = options.schedules.get(name)
      return entry === undefined ? Effect.fail(new ScheduleNotFound({ name })) : Effect.succeed(entry)
    })
  const locked = <A, E>(name: string, work: Effect.Effect<A, E>) => locks.get(name)!.withPermit(work)

  /** The record, created (or re-based on a changed cron or zone) when needed. */
  const recordOf = (entry: Schedule, now: number) =>
    Effect.map(records.load(entry.name), (record) => {
      if (record === undefined) return fresh(entry, now)
      if (record.spec !== specOf(entry)) {
        const { nextTickAt: _, ...rest } = record
        return fresh(entry, now, withoutTickStart(rest)) // a tick of the old cron is no start of the new one
      }
      stored.add(record)
      return record
    })

  /** Records returned as the store holds them: a decision that keeps one as it is has nothing to save. */
  const stored = new WeakSet<ScheduleRecord>()

  /** When each schedule is next due (in memory; the records are the truth), and how to wake the loop early. */
  const due = new Map<string, number>()
  let wake: (() => void) | undefined

  /** Saves the record over the version it was read at, then tells the loop when the schedule is next due. */
  const commit = (record: ScheduleRecord) =>
    Effect.gen(function*() {
      // Unchanged (a host's start, a pause of a paused schedule): not saved, so hosts starting together do not
      // contend for the record (more than MAX_SAVE_ATTEMPTS of them failed with ScheduleContended: the review).
      if (!stored.has(record) && !(yield* records.save(record))) return false
      const at = dueOf(record, yield* clock.currentTimeMillis)
      if (at === undefined) due.delete(record.name)
      else due.set(record.name, at)
      wake?.()
      return true
    })

  /**
   * Reads the record, decides and saves; when another host saved it first, reads and decides again (a bounded
   * number of times), so that no host's save undoes another's (a pause, a start). A decision may have started a
   * tick's execution before losing: its id is the tick's, so the next decision finds it there and counts it.
   */
  const decided = <A, E>(entry: Schedule, decide: (record: ScheduleRecord, now: number) => Effect.Effect<readonly [ScheduleRecord, A], E>) =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
        const now = yield* clock.currentTimeMillis
        const [decided, answer] = yield* decide(yield* recordOf(entry, now), now)
        const record = withoutPassedTick(decided, now)
        if (yield* commit(record)) return [record, answer] as const
      }
      return yield* new ScheduleContended({ name: entry.name, attempts: MAX_SAVE_ATTEMPTS })
    })

  const nextDueAt = () => (due.size === 0 ? undefined : Math.min(...due.values()))

  /** Delivers what is due; a failure is reported and the schedule tried again a little later. */
  const deliverDue = Effect.gen(function*() {
    const now = yield* clock.currentTimeMillis
    for (const [name, at] of [...due]) {
      if (at > now) continue
      yield* alarm(name).pipe(Effect.catchCause((cause) =>
        Effect.sync(() => {
          onError(Cause.squash(cause), name)
          due.set(name, now + RETRY_MS)
        })))
    }
  })

  const woken = Effect.callback<void>((resume) => {
    wake = () => resume(Effect.void)
    return Effect.sync(() => void (wake = undefined))
  })

  /** Each schedule's next tick as its record says now (a failed read leaves what is known). */
  const refresh = Effect.gen(function*() {
    for (const entry of options.schedules.values()) {
      const record = yield* Effect.orElseSucceed(records.load(entry.name), () => null)
      if (record === null || record === undefined || record.spec !== specOf(entry)) continue
      const at = dueOf(record, yield* clock.currentTimeMillis)
      if (at === undefined) due.delete(entry.name)
      else due.set(entry.name, at) // the store is the truth: a tick another host delivered moves it on
    }
  })

  const loop = Effect.gen(function*() {
    let refreshedAt = yield* clock.currentTimeMillis
    while (true) {
      yield* deliverDue
      const now = yield* clock.currentTimeMillis
      if (now - refreshedAt >= RESYNC_MS) {
        yield* refresh
        refreshedAt = now
        continue
      }
      const next = nextDueAt()
      const delay = Math.min(MAX_SLEEP_MS, RESYNC_MS - (now - refreshedAt), Math.max(0, (next ?? Infinity) - now))
      yield* Effect.race(clock.sleep(Duration.millis(delay)), woken)
    }
  })

  // A schedule's executions are `<schedule>:…` (schedule names have no ':'; a debounced start's may be any id).
  const { awaitChainEnd, bufferIdle, isRunning, exists, startExecution, stopAll } = scheduleStarts(client, (id) => options.schedules.get(id.split(":", 1)[0]!)?.functionName)

  /**
   * One tick (or trigger) under the overlap policy. `startedHere`: the execution an earlier tick of the same
   * delivery started. The ticks of one delivery are all due at the same instant, when that one had just begun, so
   * it overlaps them whatever its status by the time the walk gets here: asking it made a catch-up start one tick
   * or several depending on how fast the execution ended (the crash test on a loaded machine started two).
   */
  const handle = (entry: Schedule, held: ScheduleRecord, executionId: string, tickAt: number, reason: "tick" | "trigger", startedHere?: string) =>
    Effect.gen(function*() {
      const now = yield* clock.currentTimeMillis
      // This tick's own start, saved by an earlier decision (of this delivery, or of a host that died after it); a
      // trigger's id is only its millisecond, so a trigger in one already taken is skipped, not started again.
      const own = reason === "tick" && held.starting?.executionId === executionId
      const record = own ? withoutStarting(held) : held
      if (reason === "trigger" && (yield* exists(executionId))) return { record: skip(entry, record, "overlap", tickAt, tickAt, 1), outcome: "skipped" as const, started: false }
      // Already started, by a delivery whose record save did not happen: it is this tick's start, counted now.
      if (yield* exists(executionId)) {
        // cancel-previous: a tick whose own saved start the record holds is the newest start, though a trigger made
        // in the tick's first seconds has a later time (the review: recorded as last, it was not stopped).
        const later = (own && entry.overlap === "cancel-previous") || record.lastTickAt === undefined || tickAt >= record.lastTickAt
        const counted = { ...record, started: record.started + 1 }
        // cancel-previous: a trigger's start saved over this tick's (on another host) runs instead: this one stops.
        if (entry.overlap === "cancel-previous" && !own && overtakenTick(record, tickAt)) {
          yield* stopAll(entry, [executionId], `a later start was saved while its tick at ${new Date(tickAt).toISOString()} was being made`)
          return { record: counted, outcome: "started" as const, started: false }
        }
        return { record: later ? { ...counted, lastExecutionId: executionId, lastTickAt: tickAt } : counted, outcome: "started" as const, started: false }
      }
      // A start made earlier in this delivery overlaps this tick, even when a tick in between found its execution
      // already there (a delivery cut off before its save) and made that one the last: it ended long ago, and
      // asking it started a second execution in one catch-up (the crash test, when it crossed a minute).
      const previous = startedHere ?? record.lastExecutionId
      // A start saved on another host (maybe not made yet) holds off skip and buffer-one; cancel-previous stops it.
      const starting = isStarting(record, now) || (yield* isRunning(record.starting?.executionId))
      const previousRunning = entry.overlap === "allow"
        ? false
        : startedHere !== undefined || starting || (yield* isRunning(record.lastExecutionId))
      if (previousRunning && entry.overlap !== "cancel-previous") {
        if (entry.overlap === "skip" || record.buffered !== undefined) return { record: skip(entry, record, "overlap", tickAt, tickAt, 1), outcome: "skipped" as const, started: false }
        return { record: { ...record, buffered: { tickAt, executionId } }, outcome: "buffered" as const, started: false }
      }
      // cancel-previous: what it stops, once this start is saved (a trigger's: see trigger).
      const stops = previousRunning ? [previous, record.starting?.executionId] : []
      // A trigger's start is saved in the record first, and made only by the host whose save won (trigger).
      if (reason === "trigger") return { record: { ...record, starting: { executionId, at: tickAt } }, outcome: "started" as const, started: false, stops }
      // Under all but allow a tick's start is saved first too (`reserved`: the delivery decides again), so that a
      // trigger on another host sees it; a crash after the save loses nothing (the tick is still due). One saved over
      // a minute ago (its host died) is saved again: a trigger may have passed it meanwhile. (The later ticks of one
      // delivery under cancel-previous follow the first, made in this decision: its saved start covers them.)
      if (!(own && isStarting(held, now)) && startedHere === undefined && entry.overlap !== "allow") {
        const overtaken = entry.overlap === "cancel-previous" ? record.starting?.executionId : undefined // see alarm
        return { record: { ...record, starting: { executionId, at: now } }, outcome: "started" as const, started: false, reserved: true, overtaken }
      }
      yield* stopAll(entry, stops, `its ${reason} at ${new Date(tickAt).toISOString()} started ${executionId}`)
      const stopped = previousRunning ? previous : undefined
      return yield* startExecution(entry, record, executionId, tickAt).pipe(
        Effect.map((next) => ({ record: next, outcome: "started" as const, started: true })),
        Effect.catchTags(onRefused(refusedTick(entry, record, tickAt, stopped)))
      )
    })

  /**
   * buffer-one: starts the buffered execution once the one ahead of it has ended, else keeps watching it. Its start
   * is saved first (`reserved`: the delivery saves it and decides again), as a tick's is, so that a trigger on
   * another host meanwhile does not run beside it.
   */
  const releaseBuffered = (entry: Schedule, held: ScheduleRecord): Effect.Effect<Released, unknown> =>
    Effect.gen(function*() {
      const buffered = held.buffered
      if (buffered === undefined) return { record: held }
      const own = held.starting?.executionId === buffered.executionId
      // The trigger starting elsewhere is ahead of it: its host watches it once started (trigger).
      if (!own && isStarting(held, yield* clock.currentTimeMillis)) return { record: held }
      // Ahead of it: the last execution, or a start saved and made whose record was not settled (a trigger's).
      const ahead = (yield* isRunning(held.lastExecutionId)) ? held.lastExecutionId : !own && (yield* isRunning(held.starting?.executionId)) ? held.starting!.executionId : undefined
      if (ahead !== undefined) {
        yield* watch(entry.name, ahead)
        return { record: held }
      }
      if (!own) return { record: { ...held, starting: { executionId: buffered.executionId, at: yield* clock.currentTimeMillis } }, reserved: true }
      const { buffered: _, ...rest } = withoutStarting(held)
      return yield* startExecution(entry, rest, buffered.executionId, buffered.tickAt).pipe(
        Effect.map((record) => ({ record, released: buffered })),
        Effect.catchTags(onRefused((error) => Effect.map(refusedTick(entry, rest, buffered.tickAt)(error), (refused) => ({ record: refused.record }))))
      )
    })

  const watch = (name: string, executionId: string) =>
    FiberMap.run(
      watchers,
      `${name}\u0000${executionId}`,
      awaitChainEnd(executionId).pipe(
        Effect.andThen(alarm(name)),
        Effect.catchCause((cause) => (Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.sync(() => onError(Cause.squash(cause), name))))
      ),
      { onlyIfMissing: true }
    )

  /** buffer-one: watches the execution ahead of a buffered start (not a trigger still starting: its host does). */
  const watchAhead = (record: ScheduleRecord, now: number) =>
    !record.paused && record.buffered !== undefined && record.lastExecutionId !== undefined && !heldBack(record, now)
      ? watch(record.name, record.lastExecutionId)
      : Effect.void

  /** What is due now: a buffered start whose way is clear, then the ticks up to now. */
  const alarm = (name: string): Effect.Effect<void, unknown> =>
    Effect.gen(function*() {
      const entry = options.schedules.get(name)
      if (entry === undefined) return yield* new ScheduleNotFound({ name })
      yield* locked(name, Effect.gen(function*() {
        /** The ticks this delivery started, kept across decisions: one that lost to a pause still counts them. */
        const startedTicks: Array<{ readonly executionId: string; readonly tickAt: number }> = []
        const decide = () => decided(entry, (current, now) =>
          Effect.gen(function*() {
            overtaken = undefined
            // A paused schedule starts nothing, its buffered start included (released once it is resumed). A tick
            // this delivery started that a resume on another host skipped meanwhile is recorded as the last one.
            const made = lastStarted(current, startedTicks)
            const released = current.paused ? { record: countStarted(entry, releasedBefore(made, releasedHere), startedTicks) } : yield* releaseBuffered(entry, made)
            if (released.released !== undefined) releasedHere = released.released
            if (released.reserved === true) {
              reserved = released.record.starting!.executionId
              return [released.record, now] as const
            }
            let record = released.record
            if (!record.paused && record.nextTickAt !== undefined && record.nextTickAt <= now) {
              // A tick whose start was just saved (by the decision before this one) is not late now.
              const saved = isStarting(record, now) && record.starting!.executionId === tickExecutionId(name, record.nextTickAt)
              const late = saved ? { record, next: record.nextTickAt } : skipTicks(entry, record, "catch-up", record.nextTickAt, now - entry.catchUpMs)
              record = late.record
              let tick = late.next
              let startedHere: string | undefined
              for (let count = 0; tick !== undefined && tick <= now && count < MAX_TICKS_PER_DELIVERY; count++) {
                const handled = yield* handle(entry, record, tickExecutionId(name, tick), tick, "tick", startedHere)
                if ("reserved" in handled) {
                  // Saved with the tick still due (what came before it is decided): the next decision makes it.
                  reserved = handled.record.starting!.executionId
                  overtaken = handled.overtaken
                  return [{ ...handled.record, nextTickAt: tick }, now] as const
                }
                record = handled.record
                if (handled.started) {
                  startedHere = record.lastExecutionId
                  startedTicks.push({ executionId: startedHere!, tickAt: tick })
                }
                tick = nextTick(entry.cron, tick, entry.timezone)
              }
              const { nextTickAt: _, ...rest } = record
              record = tick === undefined ? rest : { ...rest, nextTickAt: tick }
            }
            return [record, now] as const
          })).pipe(Effect.tap(() => stopAll(entry, [overtaken], `its tick's start ${reserved} was saved over this one's`)))
        /** The start (a tick's, the buffered one) a decision saved; the delivery decides again to make it. */
        let reserved: string | undefined
        /** cancel-previous: the start (another host's, maybe made) that the tick's saved start replaced, stopped once saved. */
        let overtaken: string | undefined
        /** The buffered start this delivery made, kept across decisions: one that lost to a pause still records it. */
        let releasedHere: { readonly executionId: string; readonly tickAt: number } | undefined
        let [record, now] = yield* decide()
        // Each decision that saves a start is followed by one that makes it; a buffered start left with nothing
        // ahead (the start it waited for was refused) is released at once. Bounded: a buffered start, then a tick.
        for (let round = 0; round < 4 && (reserved !== undefined || (yield* bufferIdle(record, now))); round++) {
          reserved = undefined
          ;[record, now] = yield* decide()
        }
        yield* watchAhead(record, now)
      }))
    })

  const get = (name: string) =>
    Effect.gen(function*() {
      const entry = yield* definition(name)
      return viewOf(entry, yield* recordOf(entry, yield* clock.currentTimeMillis))
    })

  const setPaused = (name: string, paused: boolean) =>
    Effect.gen(function*() {
      const entry = yield* definition(name)
      return yield* locked(name, Effect.gen(function*() {
        const [record, now] = yield* decided(entry, (current, now) => {
          if (current.paused === paused) return Effect.succeed([current, now] as const)
          let record = current
          if (!paused && record.nextTickAt !== undefined) {
            // The ticks that came while paused are skipped; the next one is after now.
            const missed = skipTicks(entry, record, "paused", record.nextTickAt, now + 1)
            const { nextTickAt: _, ...rest } = missed.record
            record = missed.next === undefined ? rest : { ...rest, nextTickAt: missed.next }
          }
          return Effect.succeed([{ ...record, paused }, now] as const)
        })
        if (!paused && record.buffered !== undefined) {
          // A start buffered while paused: the next delivery (now) releases it if the execution ahead has ended.
          due.set(name, now)
          wake?.()
        }
        return viewOf(entry, record)
      }))
    })

  /** Clears a trigger's `starting` once its start is made (`started`: the execution's id) or refused (undefined). */
  const settleStart = (entry: Schedule, executionId: string, tickAt: number, started: string | undefined) =>
    decided(entry, (record) => Effect.succeed([settledStart(entry, record, executionId, tickAt, started), overtakenTrigger(entry, record, executionId)] as const))

  const trigger = (name: string) =>
    Effect.gen(function*() {
      const entry = yield* definition(name)
      return yield* locked(name, Effect.gen(function*() {
        const [record, { handled, executionId, now }] = yield* decided(entry, (current, now) => {
          const executionId = triggerExecutionId(name, now)
          return Effect.map(handle(entry, current, executionId, now, "trigger"), (handled) => [handled.record, { handled, executionId, now }] as const)
        })
        if (handled.outcome !== "started") {
          if (handled.outcome === "buffered") yield* watchAhead(record, now)
          return { executionId, outcome: handled.outcome } satisfies TriggerResult
        }
        // The start is this host's to make: its `starting` is saved, so a trigger elsewhere sees it as running.
        if ("stops" in handled && handled.stops !== undefined) yield* stopAll(entry, handled.stops, `its trigger at ${new Date(now).toISOString()} started ${executionId}`)
        // Started: the execution's own id, which a debounced function's start gives (the one already waiting).
        const started = (yield* startExecution(entry, record, executionId, now).pipe(
          Effect.tapError(() => settleStart(entry, executionId, now, undefined).pipe(Effect.ignore))
        )).lastExecutionId!
        // The execution runs: a record that cannot be settled now is told, not the caller (a 503 after a start
        // invited a retry that started a second: the review). Its `starting` names the execution, which counts as
        // running while it runs (handle).
        const settled = yield* settleStart(entry, executionId, now, started).pipe(
          Effect.catch((error) =>
            Effect.as(
              Effect.logWarning(`triggered ${started}, but its record could not be updated: ${error.message}`).pipe(
                Effect.annotateLogs({ schedule: entry.name })
              ),
              undefined
            ))
        )
        // cancel-previous: a start saved over this one (on another host, before it was made) runs instead, so what this
        // start made stops (madeByTrigger). A failed settle: the stored record says (no later start names this one).
        const overtaken = settled === undefined
          ? entry.overlap === "cancel-previous" && (yield* Effect.orElseSucceed(Effect.map(records.load(name), (stored) => stored !== undefined && overtakenTrigger(entry, stored, executionId)), () => false))
          : settled[1]
        if (overtaken && madeByTrigger(executionId, started)) yield* stopAll(entry, [started], `a later start was saved while its trigger at ${new Date(now).toISOString()} was being made`)
        if (settled !== undefined) yield* watchAhead(settled[0], now)
        return { executionId: started, outcome: "started" } satisfies TriggerResult
      }))
    })

  return {
    names: [...options.schedules.keys()],
    start: Effect.gen(function*() {
      for (const entry of options.schedules.values()) {
        yield* locked(entry.name, Effect.gen(function*() {
          const [record, now] = yield* decided(entry, (current, now) => Effect.succeed([current, now] as const))
          yield* watchAhead(record, now)
        }))
      }
    }),
    alarm,
    run: Effect.asVoid(Effect.forkScoped(loop)),
    nextDueAt,
    refresh,
    list: () =>
      Effect.gen(function*() {
        const now = yield* clock.currentTimeMillis
        return yield* Effect.forEach([...options.schedules.values()], (entry) => Effect.map(recordOf(entry, now), (record) => viewOf(entry, record)))
      }),
    get,
    pause: (name) => setPaused(name, true),
    resume: (name) => setPaused(name, false),
    trigger
  }
})
