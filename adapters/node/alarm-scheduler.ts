/**
 * The Node adapter's alarms (DESIGN section 8): one timer armed at the earliest alarm in the store. When it goes
 * off, every due alarm is delivered (to the engine's `alarm`) with bounded concurrency; at start, everything already
 * overdue is. The store is the truth: the timer is only a wake-up, re-armed after each round, after each delivery
 * and whenever an earlier alarm is set (`withAlarmScheduler` wraps a store's setAlarm to tell it).
 *
 * A delivery must move the alarm (the actor sets the next one, or deletes it). An alarm still in place after its
 * delivery (the delivery failed, the function is not registered, the log is corrupt) is postponed with exponential
 * backoff, never dropped: a redeploy that brings the function back resumes the execution.
 */
import { Effect } from "effect"
import type { ExecutionStoreShape } from "../../src/store/execution-store.ts"
import type { AlarmEntry } from "./sqlite-store.ts"

/** The longest delay a Node timer takes (a longer one fires at once); longer waits re-arm in chunks. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** What the scheduler reads from the store (synchronous; SqliteStore provides it). */
export interface AlarmSource {
  nextAlarm(after?: number): AlarmEntry | undefined
  dueAlarms(now: number, limit: number): ReadonlyArray<AlarmEntry>
  postponeAlarm(executionId: string, from: number, to: number): boolean
}

export interface AlarmSchedulerOptions {
  readonly source: AlarmSource
  /** Delivers one execution's alarm (the engine's `alarm`); a rejection is logged and the alarm retried later. */
  readonly deliver: (executionId: string) => Promise<void>
  /** Deliveries at once (default 32). */
  readonly concurrency?: number
  /** The time, in ms since the epoch (default Date.now): inject it to control time in tests. */
  readonly now?: () => number
  /** Where failures go (default console.error); the scheduler never throws them. */
  readonly onError?: (error: unknown, executionId?: string) => void
  /** The first retry delay of an alarm that did not move (default 1 s), doubled each time up to `maxRetryMs`. */
  readonly retryMs?: number
  /** The longest retry delay (default 5 min). */
  readonly maxRetryMs?: number
  /** Keep the process alive while only the timer is pending (default false). */
  readonly ref?: boolean
}

const defaultOnError = (error: unknown, executionId?: string) =>
  console.error(`reprise: alarm${executionId === undefined ? "" : ` of execution ${executionId}`}:`, error)

export class AlarmScheduler {
  readonly #source: AlarmSource
  readonly #deliver: (executionId: string) => Promise<void>
  readonly #concurrency: number
  readonly #now: () => number
  readonly #onError: (error: unknown, executionId?: string) => void
  readonly #retryMs: number
  readonly #maxRetryMs: number
  readonly #ref: boolean
  readonly #inFlight = new Map<string, Promise<void>>()
  /** Consecutive deliveries of each execution that left its alarm in place. */
  readonly #retries = new Map<string, number>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #armedAt: number | undefined
  #running = false
  #delivered = 0

  constructor(options: AlarmSchedulerOptions) {
    this.#source = options.source
    this.#deliver = options.deliver
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 32))
    this.#now = options.now ?? Date.now
    this.#onError = options.onError ?? defaultOnError
    this.#retryMs = options.retryMs ?? 1000
    this.#maxRetryMs = options.maxRetryMs ?? 300_000
    this.#ref = options.ref ?? false
  }

  /** When the timer will next wake (undefined: no timer, because there is no alarm or deliveries will re-check). */
  get armedAt(): number | undefined {
    return this.#armedAt
  }

  /** Deliveries running now. */
  get inFlight(): number {
    return this.#inFlight.size
  }

  /** Deliveries finished since start. */
  get delivered(): number {
    return this.#delivered
  }

  /** Starts delivering: what is already overdue goes out at once. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#pump()
  }

  /**
   * Call after an alarm changed. With its new time, it only re-arms when that is earlier than the timer; without,
   * it re-reads the store soon. Never reads the store in the caller's stack.
   */
  reschedule(at?: number): void {
    if (!this.#running) return
    if (at === undefined) return this.#arm(this.#now())
    if (this.#armedAt !== undefined ? at >= this.#armedAt : this.#inFlight.size > 0) return // a wake-up comes first
    this.#arm(at)
  }

  /** Clears the timer and waits for the deliveries in flight; nothing is delivered afterwards. */
  async stop(): Promise<void> {
    this.#running = false
    this.#disarm()
    await Promise.all(this.#inFlight.values())
  }

  #disarm() {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#armedAt = undefined
  }

  #arm(at: number) {
    this.#disarm()
    const now = this.#now()
    const delay = Math.min(Math.max(0, at - now), MAX_TIMER_MS)
    this.#armedAt = now + delay
    this.#timer = setTimeout(this.#pump, delay)
    if (!this.#ref) this.#timer.unref()
  }

  /** Hands a failure to onError; a throwing onError cannot break the scheduler. */
  #report(error: unknown, executionId?: string) {
    try {
      this.#onError(error, executionId)
    } catch {
      // nowhere left to report it
    }
  }

  /** Starts every due alarm there is room for, then arms the timer at the next one. */
  readonly #pump = (): void => {
    this.#disarm()
    if (!this.#running) return
    try {
      const now = this.#now()
      const free = this.#concurrency - this.#inFlight.size
      if (free <= 0) return // each delivery pumps again when it ends
      const limit = free + this.#inFlight.size // the due alarms in flight are skipped, so read past them
      const due = this.#source.dueAlarms(now, limit)
      let started = 0
      for (const alarm of due) {
        if (started === free) break
        if (this.#inFlight.has(alarm.executionId)) continue
        this.#start(alarm)
        started++
      }
      if (started === free && due.length === limit) return // maybe more are due: the deliveries pump again
      const next = this.#source.nextAlarm(now)
      if (next !== undefined) this.#arm(next.at)
    } catch (error) {
      this.#report(error)
      this.#arm(this.#now() + this.#retryMs) // the store failed: try again later
    }
  }

  #start(alarm: AlarmEntry) {
    const { executionId } = alarm
    const delivery = new Promise<void>((resolve) => resolve(this.#deliver(executionId))).then(
      () => this.#afterDelivery(alarm, undefined),
      (error: unknown) => this.#afterDelivery(alarm, error ?? new Error("the delivery failed"))
    ).finally(() => {
      this.#inFlight.delete(executionId)
      this.#delivered++
      if (this.#running) this.#pump()
    })
    this.#inFlight.set(executionId, delivery)
  }

  /** A delivery that left the alarm where it was is retried later, each time later. */
  #afterDelivery(alarm: AlarmEntry, error: unknown) {
    const { executionId } = alarm
    if (error !== undefined) this.#report(error, executionId)
    try {
      const retries = this.#retries.get(executionId) ?? 0
      const retryAt = this.#now() + Math.min(this.#retryMs * 2 ** retries, this.#maxRetryMs)
      if (this.#source.postponeAlarm(executionId, alarm.at, retryAt)) {
        this.#retries.set(executionId, retries + 1)
        if (error === undefined) {
          this.#report(new Error(`the alarm at ${new Date(alarm.at).toISOString()} was delivered but not moved; retrying at ${new Date(retryAt).toISOString()}`), executionId)
        }
      } else {
        this.#retries.delete(executionId)
      }
    } catch (failure) {
      this.#report(failure, executionId)
    }
  }
}

export const makeAlarmScheduler = (options: AlarmSchedulerOptions): AlarmScheduler => new AlarmScheduler(options)

/** The store with its setAlarm telling the scheduler, so that an alarm earlier than the timer re-arms it. */
export const withAlarmScheduler = <S extends ExecutionStoreShape>(store: S, scheduler: AlarmScheduler): S => ({
  ...store,
  setAlarm: (executionId: string, at: number) =>
    Effect.tap(store.setAlarm(executionId, at), () => Effect.sync(() => scheduler.reschedule(at)))
})
