/**
 * The alarm dispatcher: the one way a host delivers the store's alarms to the engine, whatever woke it (a timer, a
 * queue message, a sweep, the start-up recovery).
 *
 * - One delivery per execution at a time: a second request for an execution being delivered joins it (FiberMap).
 * - At most `concurrency` deliveries at once (a Semaphore).
 * - A delivery must move the alarm (the actor sets the next one, or deletes it). One that leaves it in place (the
 *   delivery failed, the function is not registered, the log is corrupt) is postponed on the backoff Schedule
 *   (1 s doubling to 5 min), never dropped: a redeploy that brings the function back resumes the execution. One
 *   that moved it to a time already due is delivered again, and so is one delivered before it was due (recovery
 *   delivers alarms due within the watchdog) that fell due while the delivery ran.
 * - An alarm refused while its execution's writes fail (the engine's load gate, WRITES_FAILING) is left where it is,
 *   unreported: the host's store-failure retry delivers it.
 * - An alarm the engine declines (another host holds the execution, and delivers it itself) is left exactly where
 *   it is: the store's alarms are shared by the hosts, and moving it would take it from under the holder, whose
 *   timer is armed at the old time (a chase the holder can lose for good: issue 15, docs/postgres.md).
 */
import { Cause, Clock, Context, Data, Duration, Effect, Fiber, FiberMap, Option, Schedule, Semaphore, type Scope } from "effect"
import { isWritesFailing } from "../store/store-errors.ts"
import { AlarmStore } from "./alarm-store.ts"
import { hostErrorLog } from "./host-error-log.ts"

/** Where failures of background work go; the dispatcher never throws them. */
export type HostErrorReporter = (error: unknown, executionId?: string) => void

/** A dispatcher without a reporter (the host gives its own): JSON lines on stderr, at error level (host-error-log.ts). */
export const defaultHostErrorReporter: HostErrorReporter = (error, executionId) =>
  hostErrorLog({}, () => undefined).background(error, executionId)

/** 1 s, doubling, at most 5 min. */
export const defaultAlarmBackoff: Schedule.Schedule<Duration.Duration> = Schedule.min([
  Schedule.exponential("1 second"),
  Schedule.spaced("5 minutes")
])

/** What one delivery came to; "gated": refused while the execution's writes fail (WRITES_FAILING). */
type Outcome = "delivered" | "elsewhere" | "failed" | "gated"

/** Rounds of one delivery whose alarm keeps moving to a time already due (then the next wake-up takes over). */
const MAX_ROUNDS = 5

export interface AlarmDispatcherOptions {
  /**
   * Delivers one execution's alarm (the host passes the engine's `alarm`). `false`: not this host's to deliver
   * (another host holds the execution and delivers it): the alarm is left in place, neither retried nor postponed.
   */
  readonly deliver: (executionId: string) => Effect.Effect<boolean | void, unknown>
  /** Deliveries at once (default 32). */
  readonly concurrency?: number
  /** The delays between deliveries that leave an alarm in place (default: `defaultAlarmBackoff`). */
  readonly backoff?: Schedule.Schedule<Duration.Duration>
  readonly onError?: HostErrorReporter
}

export interface AlarmDispatcherStats {
  /** Deliveries to the engine. */
  delivered: number
  /** Requests for an execution whose delivery was running: joined it. */
  joined: number
  /** Alarms postponed because a delivery left them in place. */
  postponed: number
}

/** The dispatcher is shutting down: the request was not taken (a queue can deliver its message again later). */
export class DispatcherClosed extends Data.TaggedError("DispatcherClosed")<{ readonly executionId: string }> {
  override get message() {
    return `reprise: shutting down; the alarm of execution ${this.executionId} was not delivered`
  }
}

export interface AlarmDispatcherShape {
  /**
   * Delivers the execution's alarm if it is due by `horizon` (default: now); joins a delivery of it already
   * running. Delivery failures are reported, not returned.
   */
  deliver(executionId: string, horizon?: number): Effect.Effect<void, DispatcherClosed>
  /** Delivers the alarms due by `horizon`, earliest first, `limit` at a time until none is left, and waits for them; returns how many. */
  deliverDue(horizon: number, limit?: number): Effect.Effect<number>
  /** Deliveries running now. */
  readonly inFlight: Effect.Effect<number>
  readonly stats: Readonly<AlarmDispatcherStats>
  /** Refuses new requests and waits for the deliveries running (the host does it at shutdown). */
  readonly close: Effect.Effect<void>
}

export class AlarmDispatcher extends Context.Service<AlarmDispatcher, AlarmDispatcherShape>()("reprise/host/AlarmDispatcher") {}

export const makeAlarmDispatcher = Effect.fnUntraced(function*(
  options: AlarmDispatcherOptions
): Effect.fn.Return<AlarmDispatcherShape, never, AlarmStore | Scope.Scope> {
  const alarms = yield* AlarmStore
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 32))
  const permits = yield* Semaphore.make(concurrency)
  const running = yield* FiberMap.make<string, void, never>()
  const backoff = options.backoff ?? defaultAlarmBackoff
  const onError = options.onError ?? defaultHostErrorReporter
  /** The backoff of each execution whose alarm did not move, stepped once per postponement. */
  const retries = new Map<string, (now: number, input: unknown) => Effect.Effect<[Duration.Duration, Duration.Duration], unknown>>()
  const stats: AlarmDispatcherStats = { delivered: 0, joined: 0, postponed: 0 }
  let open = true

  const report = (error: unknown, executionId?: string) =>
    Effect.sync(() => {
      try {
        onError(error, executionId)
      } catch {
        // nowhere left to report it
      }
    })

  /** The delivery left the alarm at `at`: move it on by the next backoff delay. */
  const postpone = (executionId: string, at: number, failed: boolean) =>
    Effect.gen(function*() {
      let step = retries.get(executionId)
      if (step === undefined) {
        step = (yield* Schedule.toStep(backoff)) as NonNullable<typeof step>
        retries.set(executionId, step)
      }
      const now = yield* Clock.currentTimeMillis
      const [, delay] = yield* step(now, undefined)
      const retryAt = now + Duration.toMillis(delay)
      if (!(yield* alarms.moveAlarm(executionId, at, retryAt))) return void retries.delete(executionId)
      stats.postponed++
      if (!failed) {
        const when = (ms: number) => new Date(ms).toISOString()
        yield* report(new Error(`the alarm at ${when(at)} was delivered but not moved; retrying at ${when(retryAt)}`), executionId)
      }
    })

  /** Delivers while the alarm is due; postpones it when a delivery leaves it where it was. */
  const deliverUntilMoved = (executionId: string, horizon: number | undefined) =>
    Effect.gen(function*() {
      let delivered: number | undefined
      /** The last delivery came before its alarm was due (recovery's horizon): leaving it in place was right then. */
      let early = false
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const now = yield* Clock.currentTimeMillis
        const at = yield* alarms.alarmAt(executionId)
        // The first round takes what is due by the horizon; later rounds only what is due now.
        if (at === undefined || at > (round === 0 ? horizon ?? now : now)) return void retries.delete(executionId)
        // Left in place by a delivery made when it was due: postponed. One made before it was due (and that fell
        // due meanwhile) is delivered again now, not held back by the backoff (issue 19, item 5).
        if (at === delivered && !early) return yield* postpone(executionId, at, false)
        early = at > now
        const outcome = yield* options.deliver(executionId).pipe(
          Effect.map((taken): Outcome => (taken === false ? "elsewhere" : "delivered")),
          Effect.catchCause((cause): Effect.Effect<Outcome> => {
            const error = Cause.squash(cause)
            return isWritesFailing(error) ? Effect.succeed("gated") : Effect.as(report(error, executionId), "failed")
          })
        )
        // Left where it is. "elsewhere": another host's, whose holder delivers it at its own timer (moving it here
        // would pull it from under that timer). "gated": its writes fail, and this host's store-failure retry delivers
        // it (the failed write was reported); moving it would be a write to the failing store, and a host that takes
        // over after this one dies finds it due at once.
        if (outcome === "elsewhere" || outcome === "gated") return void retries.delete(executionId)
        stats.delivered++
        if (outcome === "failed") return yield* postpone(executionId, at, true)
        // The engine answers once the alarm's events are written and the alarm is moved (actor.ts, "Alarm").
        delivered = at
      }
    }).pipe(
      Effect.catchCause((cause) => report(Cause.squash(cause), executionId)),
      (delivery) => permits.withPermit(delivery)
    )

  const deliver = (executionId: string, horizon?: number): Effect.Effect<void, DispatcherClosed> =>
    Effect.suspend(() => {
      const current = FiberMap.getUnsafe(running, executionId)
      if (Option.isSome(current)) {
        stats.joined++
        return Fiber.join(current.value)
      }
      if (!open) return Effect.fail(new DispatcherClosed({ executionId }))
      return Effect.flatMap(FiberMap.run(running, executionId, deliverUntilMoved(executionId, horizon)), Fiber.join)
    })

  /**
   * Batch after batch of `limit`, until a batch is not full: with one batch per sweep, 100,000 executions due at
   * once were delivered 10,000 per sweep, the next sweep only when the next alarm came due (their watchdogs, 30 s
   * on): 274-308 s to wake them all (bench:node). An alarm this sweep already took (left in place for another host,
   * or moved to a time still due) is not taken again by it; a batch of only such alarms ends the sweep.
   */
  const deliverDue = (horizon: number, limit = 10_000): Effect.Effect<number> =>
    Effect.gen(function*() {
      const taken = new Set<string>()
      for (;;) {
        if (!open) return taken.size
        const due = yield* alarms.dueAlarms(horizon, limit)
        const fresh = due.filter((alarm) => !taken.has(alarm.executionId))
        for (const alarm of fresh) taken.add(alarm.executionId)
        // What is being delivered already is skipped: that delivery checks the alarm again when it ends.
        const idle = fresh.filter((alarm) => !FiberMap.hasUnsafe(running, alarm.executionId))
        yield* Effect.forEach(idle, (alarm) => Effect.ignore(deliver(alarm.executionId, horizon)), { concurrency, discard: true })
        if (due.length < limit || fresh.length === 0) return taken.size
      }
    }).pipe(Effect.catchCause((cause) => Effect.as(report(Cause.squash(cause)), 0)))

  return {
    deliver,
    deliverDue,
    inFlight: FiberMap.size(running),
    stats,
    close: Effect.suspend(() => {
      open = false
      return FiberMap.awaitEmpty(running)
    })
  }
})
