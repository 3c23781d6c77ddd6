/**
 * The Deno adapter's alarms (DESIGN section 8): `setAlarm` enqueues `{ reprise: "alarm", executionId, at }` with a
 * delay (kv-store.ts), and this is the `kv.listenQueue` handler that turns those messages into engine alarms.
 *
 * The store's alarm key is the truth; a message is only a wake-up. Deno's queue cannot cancel a message and may
 * deliver one more than once, so a message delivers the alarm only if the stored alarm is due now:
 *
 * - no alarm (deleted, execution gone): stale, nothing happens;
 * - an alarm in the future: if it is the message's own time, the message came early (or its delay was capped at
 *   KV's 30 days) and is enqueued again for the rest; otherwise the alarm moved and its own message is on the way;
 * - a due alarm: delivered to the engine once, even when several messages (or a sweep) ask at the same moment.
 *
 * A delivery must move the alarm (the actor sets the next one, or deletes it). One that leaves it in place (the
 * delivery failed, the function is not registered, the log is corrupt) is postponed with exponential backoff,
 * never dropped. `sweep` delivers what is due by a horizon straight from the store's time index: at start (what
 * was running when the last process stopped, within its watchdog) and periodically (a message lost in a crash).
 */
import type { AlarmEntry, DenoKvStore } from "./kv-store.ts"
import { isAlarmMessage } from "./kv-keys.ts"

export interface AlarmQueueOptions {
  readonly store: Pick<DenoKvStore, "alarmAt" | "moveAlarm" | "requeue" | "dueAlarms">
  /** Delivers one execution's alarm (the engine's `alarm`); a rejection is reported and the alarm retried later. */
  readonly deliver: (executionId: string) => Promise<void>
  /** The time, in ms since the epoch (default Date.now). */
  readonly now?: () => number
  /** Where failures go (default console.error); the handler never throws them, except while stopping. */
  readonly onError?: (error: unknown, executionId?: string) => void
  /** The first retry delay of an alarm that did not move (default 1 s), doubled each time up to `maxRetryMs`. */
  readonly retryMs?: number
  /** The longest retry delay (default 5 min). */
  readonly maxRetryMs?: number
  /** Deliveries at once during a sweep (default 32). */
  readonly concurrency?: number
}

export interface AlarmQueueStats {
  /** Messages handed to `handle`. */
  received: number
  /** Deliveries to the engine (from messages and sweeps). */
  delivered: number
  /** Messages for an alarm that had moved or gone: nothing done. */
  stale: number
  /** Messages that came before their alarm was due: enqueued again. */
  early: number
  /** Messages or sweep entries for an execution whose delivery was already running: joined it. */
  joined: number
  /** Alarms postponed because a delivery left them in place. */
  postponed: number
  /** Messages that are not Reprise alarms. */
  ignored: number
}

const defaultOnError = (error: unknown, executionId?: string) =>
  console.error(`reprise: alarm${executionId === undefined ? "" : ` of execution ${executionId}`}:`, error)

export class AlarmQueue {
  readonly stats: AlarmQueueStats = { received: 0, delivered: 0, stale: 0, early: 0, joined: 0, postponed: 0, ignored: 0 }
  readonly #store: AlarmQueueOptions["store"]
  readonly #deliver: (executionId: string) => Promise<void>
  readonly #now: () => number
  readonly #onError: (error: unknown, executionId?: string) => void
  readonly #retryMs: number
  readonly #maxRetryMs: number
  readonly #concurrency: number
  readonly #inFlight = new Map<string, Promise<void>>()
  /** Messages being handled (a handler reads the store before it delivers). */
  readonly #handling = new Set<Promise<void>>()
  readonly #retries = new Map<string, number>()
  #running = true

  constructor(options: AlarmQueueOptions) {
    this.#store = options.store
    this.#deliver = options.deliver
    this.#now = options.now ?? Date.now
    this.#onError = options.onError ?? defaultOnError
    this.#retryMs = options.retryMs ?? 1000
    this.#maxRetryMs = options.maxRetryMs ?? 300_000
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 32))
  }

  /** Deliveries running now. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /** The `kv.listenQueue` handler. Rejects only while stopping (so that the queue delivers the message again later). */
  readonly handle = (message: unknown): Promise<void> => {
    const handling = this.#handle(message)
    this.#handling.add(handling)
    const forget = () => void this.#handling.delete(handling)
    handling.then(forget, forget)
    return handling
  }

  async #handle(message: unknown): Promise<void> {
    this.stats.received++
    if (!isAlarmMessage(message)) {
      this.stats.ignored++
      return
    }
    const refuse = () => new Error("reprise: shutting down; the queue will deliver this alarm again")
    if (!this.#running) throw refuse()
    const { executionId } = message
    const at = await this.#store.alarmAt(executionId)
    if (at === undefined) {
      this.stats.stale++
      return
    }
    if (at > this.#now()) {
      if (at === message.at) {
        this.stats.early++
        await this.#store.requeue(executionId, at)
      } else {
        this.stats.stale++
      }
      return
    }
    if (!this.#running) throw refuse()
    await this.#fire(executionId, at)
  }

  /** Delivers every alarm at or before `horizon` (earliest first, bounded concurrency); returns how many. */
  async sweep(horizon: number, limit = 10_000): Promise<number> {
    if (!this.#running) return 0
    const due = await this.#store.dueAlarms(horizon, limit)
    let next = 0
    const worker = async () => {
      while (next < due.length && this.#running) {
        const alarm: AlarmEntry = due[next++]!
        await this.#fire(alarm.executionId, alarm.at)
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, due.length) }, worker))
    return due.length
  }

  /** Stops delivering (messages handled from now on are refused, so redelivered later) and waits for deliveries. */
  async stop(): Promise<void> {
    this.#running = false
    await Promise.allSettled([...this.#handling])
    await Promise.all(this.#inFlight.values())
  }

  /** One delivery per execution at a time; a second request joins the one running (which re-checks at its end). */
  #fire(executionId: string, at: number): Promise<void> {
    const running = this.#inFlight.get(executionId)
    if (running !== undefined) {
      this.stats.joined++
      return running
    }
    const delivery = this.#deliverUntilMoved(executionId, at).catch((error: unknown) => this.#onError(error, executionId))
      .finally(() => this.#inFlight.delete(executionId))
    this.#inFlight.set(executionId, delivery)
    return delivery
  }

  async #deliverUntilMoved(executionId: string, at: number): Promise<void> {
    let current = at
    for (let round = 0; round < 5; round++) {
      try {
        await this.#deliver(executionId)
      } catch (error) {
        this.#onError(error, executionId)
      }
      this.stats.delivered++
      const after = await this.#store.alarmAt(executionId)
      if (after === undefined || after > this.#now()) {
        this.#retries.delete(executionId) // moved on (or gone): done
        return
      }
      if (after === current) return this.#postpone(executionId, current)
      current = after // moved, but to a time that is already due: deliver again
    }
  }

  /** The delivery left the alarm where it was: try again later, each time later. */
  async #postpone(executionId: string, at: number): Promise<void> {
    const retries = this.#retries.get(executionId) ?? 0
    const retryAt = this.#now() + Math.min(this.#retryMs * 2 ** retries, this.#maxRetryMs)
    if (await this.#store.moveAlarm(executionId, at, retryAt)) {
      this.#retries.set(executionId, retries + 1)
      this.stats.postponed++
      this.#onError(
        new Error(`the alarm at ${new Date(at).toISOString()} was delivered but not moved; retrying at ${new Date(retryAt).toISOString()}`),
        executionId
      )
    }
  }
}

export const makeAlarmQueue = (options: AlarmQueueOptions): AlarmQueue => new AlarmQueue(options)
