/**
 * The Deno adapter's wake-up source: `setAlarm` enqueues `{ reprise: "alarm", executionId, at }` with a delay
 * (kv-store.ts), and `handle` is the `kv.listenQueue` handler that turns those messages into deliveries by the
 * host's dispatcher. A periodic sweep delivers alarms whose message was lost (a crash while it was being handled).
 *
 * The store's alarm key is the truth; a message is only a wake-up. Deno's queue cannot cancel a message and may
 * deliver one more than once, so a message asks for a delivery only if the stored alarm is due now:
 *
 * - no alarm (deleted, execution gone): stale, nothing happens;
 * - an alarm in the future: if it is the message's own time, the message came early (or its delay was capped at
 *   KV's 30 days) and is enqueued again for the rest; otherwise the alarm moved and its own message is on the way;
 * - a due alarm: the dispatcher delivers it, once even when several messages (or a sweep) ask at the same moment.
 *
 * Once stopping, messages are refused (the handler rejects), so that the queue delivers them again later.
 */
import { Clock, Effect, Schedule } from "effect"
import type { AlarmDispatcherShape, WakeUpSourceShape } from "reprise/host"
import { isAlarmMessage } from "./kv-keys.ts"
import type { DenoKvStore } from "./kv-store.ts"

export interface QueueWakeUpsOptions {
  readonly store: Pick<DenoKvStore, "alarmAt" | "requeue">
  /** Registers the handler with the queue (`kv.listenQueue`), when the wake-ups start. */
  readonly listen?: (handler: (message: unknown) => Promise<void>) => void
  /** How often alarms overdue by more than `sweepGraceMs` are delivered from the store (default 30 s; 0: never). */
  readonly sweepEveryMs?: number
  /** How late an alarm must be before the sweep delivers it instead of its queue message (default 5 s). */
  readonly sweepGraceMs?: number
}

export interface QueueWakeUpsStats {
  /** Messages handed to `handle`. */
  received: number
  /** Messages for an alarm that had moved or gone: nothing done. */
  stale: number
  /** Messages that came before their alarm was due: enqueued again. */
  early: number
  /** Messages that are not Reprise alarms. */
  ignored: number
  /** The dispatcher's counters: deliveries to the engine (from messages and sweeps), requests that joined a
   * delivery already running, alarms postponed because a delivery left them in place. */
  readonly delivered: number
  readonly joined: number
  readonly postponed: number
}

export interface QueueWakeUps extends WakeUpSourceShape {
  readonly stats: QueueWakeUpsStats
  /** The `kv.listenQueue` handler. Rejects only while stopping (or before the start), so that the queue redelivers. */
  handle(message: unknown): Promise<void>
}

/** Refused while stopping: the queue delivers the message again later. */
const refusal = () => new Error("reprise: shutting down; the queue will deliver this alarm again")

export const makeQueueWakeUps = (options: QueueWakeUpsOptions): QueueWakeUps => {
  const { store } = options
  let dispatcher: AlarmDispatcherShape | undefined
  /** The last dispatcher started, whose counters the stats show (also after the stop). */
  let counted: AlarmDispatcherShape | undefined
  const stats: QueueWakeUpsStats = {
    received: 0,
    stale: 0,
    early: 0,
    ignored: 0,
    get delivered() {
      return counted?.stats.delivered ?? 0
    },
    get joined() {
      return counted?.stats.joined ?? 0
    },
    get postponed() {
      return counted?.stats.postponed ?? 0
    }
  }
  /** Messages being handled (a handler reads the store before it asks for a delivery). */
  const handling = new Set<Promise<void>>()

  const handleNow = async (message: unknown): Promise<void> => {
    stats.received++
    if (!isAlarmMessage(message)) return void stats.ignored++
    if (dispatcher === undefined) throw refusal()
    const { executionId } = message
    const at = await store.alarmAt(executionId)
    if (at === undefined) return void stats.stale++
    if (at > Date.now()) {
      if (at !== message.at) return void stats.stale++
      stats.early++
      return store.requeue(executionId, at)
    }
    if (dispatcher === undefined) throw refusal() // stopped while the alarm was read
    await Effect.runPromise(dispatcher.deliver(executionId).pipe(Effect.mapError(refusal)))
  }

  const sweep = (ready: AlarmDispatcherShape) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => ready.deliverDue(now - (options.sweepGraceMs ?? 5000)))

  const wakeUps: QueueWakeUps = {
    stats,
    handle: (message) => {
      const handled = handleNow(message)
      handling.add(handled)
      const forget = () => void handling.delete(handled)
      handled.then(forget, forget)
      return handled
    },
    start: (ready) =>
      Effect.gen(function*() {
        dispatcher = counted = ready
        yield* Effect.addFinalizer(() =>
          Effect.promise(() => {
            dispatcher = undefined
            return Promise.allSettled([...handling])
          })
        )
        options.listen?.(wakeUps.handle)
        const every = options.sweepEveryMs ?? 30_000
        if (every > 0) yield* Effect.forkScoped(Effect.delay(Effect.repeat(sweep(ready), Schedule.spaced(every)), every))
      })
  }
  return wakeUps
}
