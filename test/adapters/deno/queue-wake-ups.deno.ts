/**
 * The queue wake-ups' rules on a fake alarm index, with the host's real dispatcher: a message asks for a delivery
 * only if the stored alarm is due; stale, early and repeated messages change nothing (early ones are enqueued
 * again); concurrent messages for one execution make one delivery; while stopping, messages are refused so that
 * the queue redelivers them. (The dispatcher's own rules, backoff included, are tested once in test/host.)
 */
import { Effect, Exit, Layer, Scope } from "effect"
import { alarmMessage } from "../../../adapters/deno/kv-keys.ts"
import { makeQueueWakeUps } from "../../../adapters/deno/queue-wake-ups.ts"
import { AlarmStore, type AlarmStoreShape, makeAlarmDispatcher } from "../../../src/host/index.ts"
import { assert, Deno, sleep } from "./deno-test-api.ts"

const setup = async () => {
  const alarms = new Map<string, number>()
  const requeued: Array<{ executionId: string; at: number }> = []
  const delivered: Array<string> = []
  const errors: Array<string> = []
  const index: AlarmStoreShape = {
    alarmAt: (id) => Effect.sync(() => alarms.get(id)),
    dueAlarms: (horizon, limit) =>
      Effect.sync(() => [...alarms].filter(([, at]) => at <= horizon).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([executionId, at]) => ({ executionId, at }))),
    moveAlarm: (id, from, to) => Effect.sync(() => alarms.get(id) === from && alarms.set(id, to) !== undefined)
  }
  const scope = Effect.runSync(Scope.make())
  const dispatcher = await Effect.runPromise(Scope.provide(makeAlarmDispatcher({
    deliver: (id) =>
      Effect.promise(async () => {
        delivered.push(id)
        await sleep(5)
        alarms.set(id, Date.now() + 3_600_000) // as the actor would: the next alarm is an hour away
      }),
    onError: (error, id) => void errors.push(`${id}: ${String(error)}`)
  }).pipe(Effect.provide(Layer.succeed(AlarmStore, index))), scope))
  const wakeUps = makeQueueWakeUps({
    store: { alarmAt: async (id) => alarms.get(id), requeue: async (executionId, at) => void requeued.push({ executionId, at }) },
    sweepEveryMs: 0
  })
  await Effect.runPromise(Scope.provide(wakeUps.start(dispatcher), scope))
  const stop = () => Effect.runPromise(Scope.close(scope, Exit.void))
  return { alarms, requeued, delivered, errors, wakeUps, dispatcher, stop }
}

Deno.test({
  name: "a due alarm is delivered once, however many messages ask for it at the same time",
  fn: async () => {
    const f = await setup()
    const now = Date.now()
    f.alarms.set("a", now)
    const message = alarmMessage("a", now)
    await Promise.all([f.wakeUps.handle(message), f.wakeUps.handle(message), f.wakeUps.handle(message)])
    assert.deepEqual(f.delivered, ["a"])
    assert.equal(f.wakeUps.stats.joined, 2)
    assert.equal(f.wakeUps.stats.delivered, 1)
    await f.wakeUps.handle(message) // after the delivery: the alarm has moved on
    assert.deepEqual(f.delivered, ["a"])
    assert.equal(f.wakeUps.stats.stale, 1)
    assert.deepEqual(f.errors, [])
    await f.stop()
  }
})

Deno.test({
  name: "stale messages (alarm moved or deleted) change nothing; an early one is enqueued again for its time",
  fn: async () => {
    const f = await setup()
    const later = Date.now() + 60_000
    f.alarms.set("moved", later)
    await f.wakeUps.handle(alarmMessage("moved", Date.now() - 10)) // its alarm moved later: stale
    await f.wakeUps.handle(alarmMessage("gone", Date.now() - 10)) // no alarm at all
    await f.wakeUps.handle(alarmMessage("moved", later)) // its own alarm, not due yet: early
    await f.wakeUps.handle({ something: "else" })
    assert.deepEqual(f.delivered, [])
    assert.deepEqual(f.requeued, [{ executionId: "moved", at: later }])
    const { stale, early, ignored, received } = f.wakeUps.stats
    assert.deepEqual({ stale, early, ignored, received }, { stale: 2, early: 1, ignored: 1, received: 4 })
    await f.stop()
  }
})

Deno.test({
  name: "a message for an old time delivers the alarm if the alarm that replaced it is due too",
  fn: async () => {
    const f = await setup()
    f.alarms.set("a", Date.now() - 5)
    await f.wakeUps.handle(alarmMessage("a", Date.now() - 500))
    assert.deepEqual(f.delivered, ["a"])
    await f.stop()
  }
})

Deno.test({
  name: "while stopping, a message is refused (the queue redelivers it later) and deliveries in flight finish first",
  fn: async () => {
    const f = await setup()
    const now = Date.now()
    f.alarms.set("a", now)
    f.alarms.set("b", now)
    const delivering = f.wakeUps.handle(alarmMessage("a", now))
    await sleep(1) // "a" is being delivered
    const stopped = f.stop()
    const late = await f.wakeUps.handle(alarmMessage("b", now)).then(() => "delivered", () => "refused")
    await stopped
    assert.equal(late, "refused")
    await delivering
    assert.deepEqual(f.delivered, ["a"])
    assert.equal(await Effect.runPromise(f.dispatcher.inFlight), 0)
  }
})
