/**
 * Start-up recovery (design.md §8), run in the background once the host is up, so that a server can listen (and
 * answer its health checks) while it runs. Each phase takes a bounded batch from the store at a time:
 *
 * 1. Overdue alarms (a delivery moves its alarm past now, so each batch takes new ones).
 * 2. Alarms due within the watchdog: the executions that were running when the last process died (their watchdog
 *    is at most WATCHDOG_MS away). A delivery may leave an alarm inside that window (a wait due in 10 s), so a later
 *    batch sees it again: only executions not yet delivered by this recovery are taken, and the next batch is read
 *    past those (they come due through the wake-up source).
 * 3. Running executions without any alarm, where the store can list them (AlarmStore.runningWithoutAlarm), page by
 *    page: each is delivered an alarm, which loads it and resumes it.
 */
import { Cause, Effect } from "effect"
import { type EngineShape, WATCHDOG_MS } from "../engine/index.ts"
import type { AlarmDispatcherShape, HostErrorReporter } from "./alarm-dispatcher.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { AlarmStoreShape } from "./alarm-store.ts"

/** How many alarms or executions recovery takes from the store at a time. */
export const RECOVERY_BATCH = 256
/** Batches before recovery leaves the rest to the wake-up source (bounds the work of one start). */
const MAX_BATCHES = 1000

export interface RecoveryReport {
  /** Alarms delivered at start: overdue, or due within the watchdog. */
  readonly due: number
  /** Running executions found without an alarm, and resumed. */
  readonly unwatched: number
}

export interface RecoveryOptions {
  readonly dispatcher: AlarmDispatcherShape
  readonly alarms: AlarmStoreShape
  readonly engine: EngineShape
  readonly concurrency: number
  readonly onError: HostErrorReporter
  readonly batch?: number | undefined
  /**
   * When the host started, read before anything could start an execution: "due within the watchdog" counts from
   * here. Recovery runs in the background and reading the clock itself came after the host's first starts, whose
   * watchdogs phase 2 then took (an Alarm they did not need, racing the host's own work).
   */
  readonly startedAt: number
}

export const recover = Effect.fn("Host.recover")(function*(options: RecoveryOptions) {
  const { alarms, dispatcher, engine, onError } = options
  const batch = Math.max(1, Math.floor(options.batch ?? RECOVERY_BATCH))
  const now = options.startedAt
  /** Executions this recovery delivered: a batch that finds only these ends its phase. */
  const delivered = new Set<string>()
  let due = 0
  /** Delivers the alarms due by `horizon`, a batch at a time (a delivery already running is joined). */
  const drain = (horizon: number) =>
    Effect.gen(function*() {
      let limit = batch
      for (let round = 0; round < MAX_BATCHES; round++) {
        const found = yield* alarms.dueAlarms(horizon, limit)
        const fresh = found.filter((alarm) => !delivered.has(alarm.executionId))
        // Executions delivered here whose alarm is still in the window (a 1 s wait) come first again, earliest
        // first: the next batch reads past them. Stopping at a batch of only those left the watchdogs behind them
        // to fire on their own, up to WATCHDOG_MS later (found by a probe: 514 one-second loops at a kill -9).
        const exhausted = found.length < limit
        limit = found.length - fresh.length + batch
        if (fresh.length === 0) {
          if (exhausted) return
          continue
        }
        for (const alarm of fresh) delivered.add(alarm.executionId)
        due += fresh.length
        // A few deliveries at a time, with a turn of the event loop before each: the actors they wake run on
        // microtasks, and requests (health checks) must get their turns while recovery runs.
        for (let i = 0; i < fresh.length; i += options.concurrency) {
          yield* Effect.sleep(0)
          yield* Effect.forEach(fresh.slice(i, i + options.concurrency), (alarm) => Effect.ignore(dispatcher.deliver(alarm.executionId, horizon)), {
            concurrency: "unbounded",
            discard: true
          })
        }
        if (exhausted) return
      }
    })
  const reported = (phase: Effect.Effect<void, StoreFailure>) => Effect.catch(phase, (error) => Effect.sync(() => onError(error)))
  yield* reported(drain(now))
  // 1 ms short of the watchdog, so that the watchdogs phase 1 re-armed (WATCHDOG_MS after now or later) are not taken.
  yield* reported(drain(now + WATCHDOG_MS - 1))

  let unwatched = 0
  if (alarms.runningWithoutAlarm !== undefined) {
    let after: string | undefined
    for (let round = 0; round < MAX_BATCHES; round++) {
      const page = yield* alarms.runningWithoutAlarm(after, batch).pipe(
        Effect.catch((error) => Effect.as(Effect.sync(() => onError(error)), undefined))
      )
      if (page === undefined) break
      unwatched += page.executionIds.length
      yield* Effect.forEach(page.executionIds, (executionId) =>
        engine.alarm(executionId).pipe(Effect.catchCause((cause) => Effect.sync(() => onError(Cause.squash(cause), executionId)))), {
        concurrency: options.concurrency,
        discard: true
      })
      if (page.next === undefined) break
      after = page.next
    }
  }
  return { due, unwatched } satisfies RecoveryReport
})
