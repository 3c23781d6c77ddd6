/**
 * The Node adapter's wake-up source: one timer armed at the earliest alarm in the SQLite file. When it goes off,
 * the host's dispatcher delivers what is due; the timer is then armed at the next alarm. An alarm set (or moved)
 * earlier than the timer re-arms it: `watchAlarms` wraps the store's setAlarm to say so, and the ports' moveAlarm
 * (sqlite-ports.ts) does too. The store is the truth; the timer is only a wake-up.
 */
import { Cause, Clock, Effect } from "effect"
import type { AlarmDispatcherShape, HostErrorReporter, WakeUpSourceShape } from "reprise/host"
import type { ExecutionStoreShape } from "reprise/store"
import type { SqliteStore } from "./sqlite-store.ts"

/** The longest delay a Node timer takes (a longer one fires at once); longer waits re-arm in chunks. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** How long to wait before reading the store again after it failed. */
const STORE_RETRY_MS = 1000

export interface TimerWakeUps extends WakeUpSourceShape {
  /** An alarm is now at `at`: re-arms the timer if that is earlier. */
  reschedule(at: number): void
  /** When the timer will next go off (undefined: no alarm, or not started). */
  readonly armedAt: number | undefined
}

export const makeTimerWakeUps = (
  store: Pick<SqliteStore, "nextAlarm">,
  onError: HostErrorReporter = (error) => console.error("reprise: alarm timer:", error)
): TimerWakeUps => {
  let running = false
  let armedAt: number | undefined
  /** Set when an earlier alarm came in since the store was last read. */
  let rearm = false
  let wake: (() => void) | undefined

  /** Reads the next alarm after `now` and arms at it, in one synchronous turn (no reschedule can slip between). */
  const arm = (now: number) =>
    Effect.sync(() => {
      rearm = false
      try {
        const next = store.nextAlarm(now)
        armedAt = next === undefined ? undefined : Math.min(next.at, now + MAX_TIMER_MS)
      } catch (error) {
        onError(error)
        armedAt = now + STORE_RETRY_MS
      }
      return armedAt
    })

  const rearmed = Effect.callback<void>((resume) => {
    if (rearm) return resume(Effect.void)
    wake = () => resume(Effect.void)
    return Effect.sync(() => void (wake = undefined))
  })

  const loop = (dispatcher: AlarmDispatcherShape) =>
    Effect.gen(function*() {
      while (true) {
        const now = yield* Clock.currentTimeMillis
        // Not awaited: a slow delivery must not hold back the timer (the dispatcher bounds the deliveries).
        yield* Effect.forkChild(dispatcher.deliverDue(now))
        const at = yield* arm(now)
        yield* at === undefined ? rearmed : Effect.race(Effect.sleep(Math.max(0, at - now)), rearmed)
      }
    })

  return {
    get armedAt() {
      return armedAt
    },
    reschedule: (at) => {
      if (!running || (armedAt !== undefined && at >= armedAt)) return
      rearm = true
      wake?.()
    },
    start: (dispatcher) =>
      Effect.acquireRelease(
        Effect.sync(() => void (running = true)).pipe(
          Effect.andThen(Effect.forkScoped(loop(dispatcher).pipe(Effect.catchCause((cause) => Effect.sync(() => onError(Cause.squash(cause)))))))
        ),
        () =>
          Effect.sync(() => {
            running = false
            armedAt = undefined
          })
      ).pipe(Effect.asVoid)
  }
}

/** The store with its alarm writes (setAlarm, and an append that carries one) telling the wake-ups, so that an alarm earlier than the timer re-arms it. */
export const watchAlarms = <S extends ExecutionStoreShape>(store: S, wakeUps: Pick<TimerWakeUps, "reschedule">): S => ({
  ...store,
  append: (executionId, events, expectedSeq, options) => {
    const append = store.append(executionId, events, expectedSeq, options)
    const at = options?.alarmAt
    return at === undefined ? append : Effect.tap(append, () => Effect.sync(() => wakeUps.reschedule(at)))
  },
  setAlarm: (executionId: string, at: number) => Effect.tap(store.setAlarm(executionId, at), () => Effect.sync(() => wakeUps.reschedule(at)))
})
