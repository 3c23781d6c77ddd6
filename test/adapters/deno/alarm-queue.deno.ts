/**
 * The queue listener's rules on a fake store and a controlled clock: a message delivers its alarm only if the
 * stored alarm is due; stale, early and repeated messages change nothing (early ones are enqueued again);
 * concurrent requests for one execution make one delivery; an alarm a delivery left in place is postponed with
 * backoff; while stopping, messages are refused so that the queue redelivers them.
 */
import { AlarmQueue } from "../../../adapters/deno/alarm-queue.ts"
import { alarmMessage } from "../../../adapters/deno/kv-keys.ts"
import type { AlarmEntry } from "../../../adapters/deno/kv-store.ts"
import { assert, Deno } from "./deno-test-api.ts"

const makeFake = () => {
  let now = 1_000_000
  const alarms = new Map<string, number>()
  const requeued: Array<AlarmEntry> = []
  const delivered: Array<string> = []
  const errors: Array<string> = []
  /** What a delivery does to the alarm (default: moves it an hour on, as the actor would). */
  let onDeliver: (id: string) => Promise<void> = async (id) => void alarms.set(id, now + 3_600_000)
  const queue = new AlarmQueue({
    store: {
      alarmAt: async (id) => alarms.get(id),
      moveAlarm: async (id, from, to) => {
        if (alarms.get(id) !== from) return false
        alarms.set(id, to)
        return true
      },
      requeue: async (executionId, at) => void requeued.push({ executionId, at }),
      dueAlarms: async (horizon, limit) =>
        [...alarms].filter(([, at]) => at <= horizon).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([executionId, at]) => ({ executionId, at }))
    },
    deliver: async (id) => {
      delivered.push(id)
      await new Promise((resolve) => setTimeout(resolve, 5))
      await onDeliver(id)
    },
    now: () => now,
    onError: (error, id) => void errors.push(`${id}: ${String(error)}`),
    retryMs: 1000
  })
  return {
    queue, alarms, requeued, delivered, errors,
    tick: (ms: number) => void (now += ms),
    now: () => now,
    setOnDeliver: (f: (id: string) => Promise<void>) => void (onDeliver = f)
  }
}

Deno.test({
  name: "a due alarm is delivered once, however many messages (and sweeps) ask for it at the same time",
  fn: async () => {
    const f = makeFake()
    f.alarms.set("a", f.now())
    const message = alarmMessage("a", f.now())
    await Promise.all([f.queue.handle(message), f.queue.handle(message), f.queue.handle(message), f.queue.sweep(f.now())])
    assert.deepEqual(f.delivered, ["a"])
    assert.equal(f.queue.stats.joined, 3)
    await f.queue.handle(message) // after the delivery: the alarm has moved on
    assert.deepEqual(f.delivered, ["a"])
    assert.equal(f.queue.stats.stale, 1)
    assert.deepEqual(f.errors, [])
  }
})

Deno.test({
  name: "stale messages (alarm moved or deleted) change nothing; an early one is enqueued again for its time",
  fn: async () => {
    const f = makeFake()
    f.alarms.set("moved", f.now() + 5000)
    await f.queue.handle(alarmMessage("moved", f.now() - 10)) // its alarm moved later: stale
    await f.queue.handle(alarmMessage("gone", f.now() - 10)) // no alarm at all
    await f.queue.handle(alarmMessage("moved", f.now() + 5000)) // its own alarm, not due yet: early
    await f.queue.handle({ something: "else" })
    assert.deepEqual(f.delivered, [])
    assert.deepEqual(f.requeued, [{ executionId: "moved", at: f.now() + 5000 }])
    assert.deepEqual({ stale: f.queue.stats.stale, early: f.queue.stats.early, ignored: f.queue.stats.ignored }, { stale: 2, early: 1, ignored: 1 })
    f.tick(5000)
    await f.queue.handle(alarmMessage("moved", f.now()))
    assert.deepEqual(f.delivered, ["moved"])
  }
})

Deno.test({
  name: "a message for an old time delivers the alarm if the alarm that replaced it is due too",
  fn: async () => {
    const f = makeFake()
    f.alarms.set("a", f.now() - 5)
    await f.queue.handle(alarmMessage("a", f.now() - 500))
    assert.deepEqual(f.delivered, ["a"])
  }
})

Deno.test({
  name: "an alarm a delivery leaves in place (or a failing delivery) is postponed with doubling backoff, never dropped",
  fn: async () => {
    const f = makeFake()
    f.setOnDeliver(async (id) => {
      if (id === "fails") throw new Error("function not registered")
    })
    f.alarms.set("stuck", f.now())
    f.alarms.set("fails", f.now())
    await f.queue.sweep(f.now())
    assert.equal(f.alarms.get("stuck"), f.now() + 1000)
    assert.equal(f.alarms.get("fails"), f.now() + 1000)
    f.tick(1000)
    await f.queue.sweep(f.now())
    assert.equal(f.alarms.get("stuck"), f.now() + 2000, "the second retry waits twice as long")
    assert.equal(f.queue.stats.postponed, 4)
    assert.ok(f.errors.some((e) => e.includes("function not registered")))
    f.setOnDeliver(async (id) => void f.alarms.delete(id))
    f.tick(2000)
    await f.queue.sweep(f.now())
    assert.equal(f.alarms.size, 0)
  }
})

Deno.test({
  name: "a delivery that moves the alarm to a time already due delivers again; a sweep takes only what is due by its horizon",
  fn: async () => {
    const f = makeFake()
    let first = true
    f.setOnDeliver(async (id) => {
      f.alarms.set(id, first ? f.now() - 1 : f.now() + 60_000)
      first = false
    })
    f.alarms.set("a", f.now())
    f.alarms.set("later", f.now() + 10_000)
    assert.equal(await f.queue.sweep(f.now()), 1)
    assert.deepEqual(f.delivered, ["a", "a"])
    assert.equal(await f.queue.sweep(f.now() + 31_000), 1, "the start-up sweep resumes what is due within the watchdog")
    assert.deepEqual(f.delivered, ["a", "a", "later"])
  }
})

Deno.test({
  name: "while stopping, a message is refused (the queue redelivers it later) and messages and deliveries in flight finish first",
  fn: async () => {
    const f = makeFake()
    f.alarms.set("a", f.now())
    f.alarms.set("b", f.now())
    const delivering = f.queue.handle(alarmMessage("a", f.now()))
    await new Promise((resolve) => setTimeout(resolve, 1)) // "a" is being delivered
    const reading = f.queue.handle(alarmMessage("b", f.now())).then(() => "delivered", () => "refused") // "b" reads its alarm
    const stopped = f.queue.stop()
    const late = await f.queue.handle(alarmMessage("b", f.now())).then(() => "delivered", () => "refused")
    await stopped
    assert.equal(late, "refused")
    assert.equal(await reading, "refused", "a message that read its alarm before the stop is refused, not delivered after it")
    await delivering
    assert.deepEqual(f.delivered, ["a"])
    assert.equal(f.queue.inFlight, 0)
    assert.equal(await f.queue.sweep(f.now()), 0)
  }
})
