/** The alarm scheduler on a real SQLite file and real timers (every wait here is bounded). */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type AlarmScheduler, makeAlarmScheduler, MAX_TIMER_MS, withAlarmScheduler } from "../../../adapters/node/alarm-scheduler.ts"
import type { SqliteStore } from "../../../adapters/node/sqlite-store.ts"
import { createExecution, openStore, sleep, until } from "./sqlite-fixture.ts"

interface Harness {
  readonly store: SqliteStore
  readonly scheduler: AlarmScheduler
  /** Execution ids in the order their deliveries started. */
  readonly delivered: Array<string>
  readonly errors: Array<{ error: unknown; executionId: string | undefined }>
}

/**
 * A scheduler whose deliveries act like the engine's: they move the alarm on (here: delete it), unless `behave`
 * says otherwise.
 */
const harness = (options: {
  readonly concurrency?: number
  readonly now?: () => number
  readonly behave?: (executionId: string, store: SqliteStore) => Promise<void>
} = {}): Harness => {
  const store = openStore()
  const delivered: Array<string> = []
  const errors: Harness["errors"] = []
  const scheduler = makeAlarmScheduler({
    source: store,
    deliver: async (executionId) => {
      delivered.push(executionId)
      if (options.behave !== undefined) return options.behave(executionId, store)
      Effect.runSync(store.deleteAlarm(executionId))
    },
    onError: (error, executionId) => void errors.push({ error, executionId }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.now === undefined ? {} : { now: options.now })
  })
  return { store, scheduler, delivered, errors }
}

const withAlarm = (store: SqliteStore, id: string, at: number) => {
  createExecution(store, id)
  Effect.runSync(store.setAlarm(id, at))
}

describe("the alarm scheduler", () => {
  it("fires every overdue alarm at start, earliest first", async () => {
    const { delivered, errors, scheduler, store } = harness({ concurrency: 1 })
    const now = Date.now()
    withAlarm(store, "late-2", now - 1_000)
    withAlarm(store, "late-1", now - 60_000)
    withAlarm(store, "late-3", now - 1)
    withAlarm(store, "future", now + 3_600_000)
    scheduler.start()
    await until(() => delivered.length === 3, 2000, "three deliveries")
    await until(() => scheduler.inFlight === 0)
    assert.deepStrictEqual(delivered, ["late-1", "late-2", "late-3"])
    assert.deepStrictEqual(store.nextAlarm(), { executionId: "future", at: now + 3_600_000 })
    assert.strictEqual(scheduler.armedAt, now + 3_600_000)
    assert.deepStrictEqual(errors, [])
    await scheduler.stop()
  })

  it("fires an alarm 50 ms ahead on time", async () => {
    const { delivered, scheduler, store } = harness()
    const t0 = Date.now()
    withAlarm(store, "soon", t0 + 50)
    scheduler.start()
    assert.deepStrictEqual(delivered, [])
    await until(() => delivered.length === 1, 2000, "the 50 ms alarm")
    const elapsed = Date.now() - t0
    assert.isAtLeast(elapsed, 49)
    assert.isBelow(elapsed, 1000)
    await scheduler.stop()
  })

  it("re-arms when an earlier alarm is set through the wrapped store", async () => {
    const { delivered, scheduler, store } = harness()
    const t0 = Date.now()
    withAlarm(store, "later", t0 + 60_000)
    scheduler.start()
    await until(() => scheduler.armedAt !== undefined)
    assert.strictEqual(scheduler.armedAt, t0 + 60_000)
    const wrapped = withAlarmScheduler(store, scheduler)
    createExecution(store, "sooner")
    Effect.runSync(wrapped.setAlarm("sooner", Date.now() + 50))
    assert.isAtMost(scheduler.armedAt!, Date.now() + 50)
    Effect.runSync(wrapped.setAlarm("later", t0 + 120_000)) // a later alarm leaves the timer alone
    assert.isAtMost(scheduler.armedAt!, Date.now() + 50)
    await until(() => delivered.length === 1, 2000, "the earlier alarm")
    assert.deepStrictEqual(delivered, ["sooner"])
    await until(() => scheduler.armedAt === t0 + 120_000, 1000, "the timer re-armed at the later alarm")
    await scheduler.stop()
  })

  it("stop() clears the timer and waits for the deliveries in flight", async () => {
    let finished = 0
    const { delivered, scheduler, store } = harness({
      behave: async (id, s) => {
        await sleep(50)
        Effect.runSync(s.deleteAlarm(id))
        finished++
      }
    })
    const now = Date.now()
    withAlarm(store, "in-flight", now - 10)
    withAlarm(store, "after-stop", now + 50)
    scheduler.start()
    await until(() => scheduler.inFlight === 1)
    await scheduler.stop()
    assert.strictEqual(finished, 1) // stop() returned only once the delivery had ended
    assert.strictEqual(scheduler.armedAt, undefined)
    await sleep(150)
    assert.deepStrictEqual(delivered, ["in-flight"])
    assert.strictEqual(Effect.runSync(store.getAlarm("after-stop")), now + 50)
    scheduler.reschedule(now) // a stopped scheduler ignores changes
    assert.strictEqual(scheduler.armedAt, undefined)
  })

  it("never arms a timer longer than 2^31-1 ms: a far alarm is reached in chunks", async () => {
    const now = 1_900_000_000_000
    const { scheduler, store } = harness({ now: () => now })
    withAlarm(store, "next-month", now + 30 * 86_400_000)
    scheduler.start()
    assert.strictEqual(scheduler.armedAt, now + MAX_TIMER_MS)
    await scheduler.stop()
  })

  it("delivers with bounded concurrency, and every due alarm gets delivered", async () => {
    let running = 0
    let peak = 0
    const { delivered, scheduler, store } = harness({
      concurrency: 3,
      behave: async (id, s) => {
        peak = Math.max(peak, ++running)
        await sleep(5)
        Effect.runSync(s.deleteAlarm(id))
        running--
      }
    })
    for (let i = 0; i < 20; i++) withAlarm(store, `due-${i}`, Date.now() - 1_000 + i)
    scheduler.start()
    await until(() => delivered.length === 20, 3000, "twenty deliveries")
    await until(() => scheduler.inFlight === 0)
    assert.strictEqual(peak, 3)
    assert.deepStrictEqual([...delivered].sort(), Array.from({ length: 20 }, (_, i) => `due-${i}`).sort())
    assert.strictEqual(store.nextAlarm(), undefined)
    await scheduler.stop()
  })

  it("logs a failed delivery without throwing and retries it later, with backoff", async () => {
    let now = 1_900_000_000_000
    const { errors, scheduler, store } = harness({
      now: () => now,
      behave: async () => Promise.reject(new Error("engine unavailable"))
    })
    withAlarm(store, "failing", now - 1)
    scheduler.start()
    await until(() => errors.length === 1, 2000, "the logged failure")
    assert.strictEqual(errors[0]!.executionId, "failing")
    assert.match(String(errors[0]!.error), /engine unavailable/)
    await until(() => scheduler.inFlight === 0)
    assert.strictEqual(Effect.runSync(store.getAlarm("failing")), now + 1000)
    now += 1000
    scheduler.reschedule()
    await until(() => errors.length === 2, 2000, "the second failure")
    await until(() => scheduler.inFlight === 0)
    assert.strictEqual(Effect.runSync(store.getAlarm("failing")), now + 2000)
    await scheduler.stop()
  })

  it("an alarm its delivery did not move is reported and postponed, not redelivered in a loop", async () => {
    const now = 1_900_000_000_000
    const { delivered, errors, scheduler, store } = harness({ now: () => now, behave: async () => {} })
    withAlarm(store, "stuck", now - 1)
    scheduler.start()
    await until(() => delivered.length === 1 && scheduler.inFlight === 0)
    await sleep(20)
    assert.deepStrictEqual(delivered, ["stuck"])
    assert.strictEqual(Effect.runSync(store.getAlarm("stuck")), now + 1000)
    assert.strictEqual(errors.length, 1)
    assert.match(String(errors[0]!.error), /delivered but not moved/)
    await scheduler.stop()
  })

  it("a store that fails is reported, and the scheduler tries again later instead of throwing", async () => {
    const { errors, scheduler, store } = harness({ behave: async () => {} })
    store.close()
    scheduler.start()
    assert.strictEqual(errors.length, 1)
    assert.match(String(errors[0]!.error), /Store dueAlarms failed/)
    assert.isAtLeast(scheduler.armedAt!, Date.now() + 900)
    await scheduler.stop()
  })

  it("an alarm the delivery moved to the past is delivered again after it", async () => {
    const now = Date.now()
    let calls = 0
    const { delivered, scheduler, store } = harness({
      behave: async (id, s) => {
        if (++calls === 1) Effect.runSync(s.setAlarm(id, now - 5)) // due again at once
        else Effect.runSync(s.deleteAlarm(id))
      }
    })
    withAlarm(store, "again", now - 10)
    scheduler.start()
    await until(() => delivered.length === 2, 2000, "the second delivery")
    assert.deepStrictEqual(delivered, ["again", "again"])
    await scheduler.stop()
  })
})
