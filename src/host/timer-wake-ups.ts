/**
 * A wake-up source for stores that can say when their next alarm is (SQLite, the in-memory store): one timer armed
 * at the earliest alarm. When it goes off, the dispatcher delivers what is due; the timer is then armed at the next
 * alarm. An alarm set (or moved) earlier than the timer re-arms it: `watchAlarms` wraps a store's setAlarm to say
 * so, and a store's ports call `reschedule` after a move. The store is the truth; the timer is only a wake-up.
 * Runtime-neutral: the timer is an Effect sleep on the ambient Clock.
 */
import { Cause, Clock, Effect } from "effect"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { AlarmDispatcherShape, HostErrorReporter } from "./alarm-dispatcher.ts"
import type { AlarmEntry } from "./alarm-store.ts"
import type { WakeUpSourceShape } from "./wake-up-source.ts"

/** The longest delay a JavaScript timer takes (a longer one fires at once); longer waits re-arm in chunks. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** How long to wait before reading the store again after it failed. */
const STORE_RETRY_MS = 1000

export interface TimerWakeUps extends WakeUpSourceShape {
  /** An alarm is now at `at`: re-arms the timer if that is earlier. */
  reschedule(at: number): void
  /** When the timer will next go off (undefined: no alarm, or not started). */
  readonly armedAt: number | undefined
}

/** The store's earliest alarm after `after` (undefined: none). */
export type NextAlarm = (after: number) => Effect.Effect<AlarmEntry | undefined, StoreFailure>

/**
 * `onError` is told of a failed read of the store and of the timer's end; without one, they are lines of the log the
 * timer's fiber runs with (the host's, once the host starts it).
 */
export const makeTimerWakeUps = (nextAlarm: NextAlarm, onError?: HostErrorReporter): TimerWakeUps => {
  const report = (what: string, error: unknown) =>
    onError === undefined ? Effect.logError(`the alarm timer: ${what}`, Cause.fail(error)) : Effect.sync(() => onError(error))
  let running = false
  let armedAt: number | undefined
  /** A read of the next alarm is under way: any reschedule meanwhile must make the loop read again. */
  let reading = false
  /** Set when an earlier alarm came in since the store was last read. */
  let rearm = false
  let wake: (() => void) | undefined

  /** Reads the next alarm after `now` and arms at it; a reschedule during the read is not lost (see `reading`). */
  const arm = (now: number) =>
    Effect.suspend(() => {
      rearm = false
      reading = true
      return nextAlarm(now).pipe(
        Effect.map((next) => (next === undefined ? undefined : Math.min(next.at, now + MAX_TIMER_MS))),
        Effect.catch((error) => Effect.as(report(`reading the next alarm failed; reading again in ${STORE_RETRY_MS} ms`, error), now + STORE_RETRY_MS)),
        Effect.tap((at) => Effect.sync(() => {
          armedAt = at
          reading = false
        }))
      )
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
      if (!running || (!reading && armedAt !== undefined && at >= armedAt)) return
      rearm = true
      wake?.()
    },
    start: (dispatcher) =>
      Effect.acquireRelease(
        Effect.sync(() => void (running = true)).pipe(
          Effect.andThen(Effect.forkScoped(loop(dispatcher).pipe(Effect.catchCause((cause) => report("it stopped", Cause.squash(cause))))))
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
