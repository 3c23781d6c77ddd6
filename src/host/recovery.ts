/**
 * Start-up recovery (design.md §8), run in the background once the host is up, so that a server can listen (and
 * answer its health checks) while it runs:
 *
 * 1. Alarms due within the watchdog, a bounded batch at a time: the executions that were running when the last
 *    process died (their watchdog is at most WATCHDOG_MS away) and whatever is overdue. The horizon stops 1 ms short
 *    of WATCHDOG_MS, so an alarm a delivery re-arms (at least WATCHDOG_MS after now) is never taken again by a later
 *    batch; later alarms come due through the wake-up source as usual.
 * 2. Running executions without any alarm, where the store can list them (AlarmStore.runningWithoutAlarm), page by
 *    page: each is delivered an alarm, which loads it and resumes it.
 */
import { Cause, Clock, Effect } from "effect"
import { type EngineShape, WATCHDOG_MS } from "../engine/index.ts"
import type { AlarmDispatcherShape, HostErrorReporter } from "./alarm-dispatcher.ts"
import type { AlarmStoreShape } from "./alarm-store.ts"

/** How many alarms or executions recovery takes from the store at a time. */
export const RECOVERY_BATCH = 256
/** Batches before recovery leaves the rest to the wake-up source (bounds the work of one start). */
const MAX_BATCHES = 1000

export interface RecoveryReport {
  /** Alarms found due within the watchdog at start. */
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
}

export const recover = Effect.fn("Host.recover")(function*(options: RecoveryOptions) {
  const { alarms, dispatcher, engine, onError } = options
  const batch = Math.max(1, Math.floor(options.batch ?? RECOVERY_BATCH))
  const horizon = (yield* Clock.currentTimeMillis) + WATCHDOG_MS - 1
  let due = 0
  for (let round = 0; round < MAX_BATCHES; round++) {
    const found = yield* dispatcher.deliverDue(horizon, batch)
    due += found
    if (found < batch) break
  }

  let unwatched = 0
  if (alarms.runningWithoutAlarm !== undefined) {
    let after: string | undefined
    for (let round = 0; round < MAX_BATCHES; round++) {
      const page = yield* alarms.runningWithoutAlarm(after, batch)
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
