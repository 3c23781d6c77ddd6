/**
 * A Clock that only moves when told to: one per execution under the test runner, so that skipping one
 * execution's year-long wait leaves every other execution's time alone. No global timers are faked.
 */
import { type Clock, Duration, Effect } from "effect"

export class VirtualClock implements Clock.Clock {
  #now: number
  #sleepers: Array<{ readonly at: number; readonly wake: () => void }> = []

  constructor(startMillis: number) {
    this.#now = startMillis
  }

  currentTimeMillisUnsafe(): number {
    return this.#now
  }
  get currentTimeMillis(): Effect.Effect<number> {
    return Effect.sync(() => this.#now)
  }
  currentTimeNanosUnsafe(): bigint {
    return BigInt(this.#now) * 1_000_000n
  }
  get currentTimeNanos(): Effect.Effect<bigint> {
    return Effect.sync(() => this.currentTimeNanosUnsafe())
  }
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  get monotonicTimeNanos(): Effect.Effect<bigint> {
    return this.currentTimeNanos
  }

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const at = this.#now + Duration.toMillis(duration)
      if (at <= this.#now) return resume(Effect.void)
      this.#sleepers.push({ at, wake: () => resume(Effect.void) })
    })
  }

  /** Moves time forward (never back) and wakes the sleepers now due. */
  setTime(millis: number): void {
    if (millis <= this.#now) return
    this.#now = millis
    const due = this.#sleepers.filter((s) => s.at <= millis)
    this.#sleepers = this.#sleepers.filter((s) => s.at > millis)
    for (const sleeper of due) sleeper.wake()
  }

  /** When the earliest sleeper is due (undefined: nobody sleeps on this clock). */
  nextWakeAt(): number | undefined {
    let next: number | undefined
    for (const sleeper of this.#sleepers) if (next === undefined || sleeper.at < next) next = sleeper.at
    return next
  }

  advance(millis: number): void {
    this.setTime(this.#now + millis)
  }
}
