/** The host with schedules: refused without a ScheduleStore in the ports, served through its app with one. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AlarmStore, HostMetadata, type HostPorts, makeMemoryScheduleStore, memoryPorts, ScheduleStore, startHost, WakeUpSource } from "../../src/host/index.ts"
import { durable, schedule, ScheduleConfigError } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore, type MemoryStore } from "../../src/store/memory-store.ts"

const job = durable("job", async (_: unknown, ctx) => ctx.step("work", async () => "done"))
const daily = schedule("daily", { function: job, cron: "@daily" })

/** In-memory ports without an alarm index worth the name (nothing here sets alarms that must fire). */
const barePorts: Layer.Layer<HostPorts> = Layer.mergeAll(
  Layer.succeed(ExecutionStore, makeMemoryStore()),
  Layer.succeed(AlarmStore, {
    alarmAt: () => Effect.succeed(undefined),
    dueAlarms: () => Effect.succeed([]),
    moveAlarm: () => Effect.succeed(false)
  }),
  Layer.succeed(HostMetadata, { keep: (_key, value) => Effect.succeed(value) }),
  Layer.succeed(WakeUpSource, { start: () => Effect.void })
)

describe("the host with schedules", () => {
  it("refuses to start when its ports keep no schedule records", async () => {
    const error = await startHost({ functions: [job], schedules: [daily], env: () => undefined, secret: "s" }, barePorts).then(
      (host) => host.close().then(() => undefined),
      (e: unknown) => e
    )
    assert.instanceOf(error, ScheduleConfigError)
    assert.match((error as Error).message, /keeps no schedule records/)
  })

  it("serves the schedule routes from its app when the ports have a ScheduleStore", async () => {
    const ports = Layer.merge(barePorts, Layer.succeed(ScheduleStore, makeMemoryScheduleStore()))
    const host = await startHost({ functions: [job], schedules: [daily], env: () => undefined, secret: "s" }, ports)
    try {
      const listed = (await (await host.app.request("/v1/schedules")).json()) as { schedules: Array<{ name: string; nextTickAt: string }> }
      assert.deepStrictEqual(listed.schedules.map((s) => s.name), ["daily"])
      assert.match(listed.schedules[0]!.nextTickAt, /T00:00:00\.000Z$/)
      const triggered = await host.app.request("/v1/schedules/daily/trigger", { method: "POST", headers: { "content-type": "application/json" } })
      assert.strictEqual(triggered.status, 201)
      const { executionId } = (await triggered.json()) as { executionId: string }
      const view = await host.engine((e) => e.awaitEnd(executionId))
      assert.strictEqual(view.status, "SUCCEEDED")
    } finally {
      await host.close()
    }
  })

  it("skip: after an outage, one start for the catch-up window, however fast that execution ends", async () => {
    const MINUTE = 60_000
    const instant = durable("instant", async () => "done")
    const everyMinute = schedule("every-minute", { function: instant, cron: "* * * * *", overlap: "skip", catchUp: { minutes: 5 } })
    const memory = makeMemoryStore()
    // A miss answered late, as a database's round trip is: while the walk asks whether the next tick already ran,
    // the execution the walk has just started ends (what a loaded machine did to the crash test's 1 s step).
    const store: MemoryStore = {
      ...memory,
      load: (executionId) => Effect.flatMap(memory.load(executionId), (log) => (log === undefined ? Effect.as(Effect.sleep("20 millis"), log) : Effect.succeed(log)))
    }
    const records = makeMemoryScheduleStore()
    const ports = Layer.merge(memoryPorts(store), Layer.succeed(ScheduleStore, records))
    const options = { functions: [instant], schedules: [everyMinute], env: () => undefined, secret: "s" }
    await (await startHost(options, ports)).close() // the record is made
    // Down for twenty minutes: the ticks of the last five are inside the window, all due at once.
    const record = (await Effect.runPromise(records.load("every-minute")))!
    const due = Math.floor(Date.now() / MINUTE) * MINUTE
    await Effect.runPromise(records.save({ ...record, nextTickAt: due - 20 * MINUTE }))
    const host = await startHost(options, ports)
    try {
      let after = record
      // The delivery is over once the catch-up is recorded and no tick's start is still being made (skip saves it first).
      const delivered = () => after.recentSkips.some((s) => s.reason === "catch-up") && after.starting === undefined
      for (let i = 0; i < 500 && !delivered(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        after = (await Effect.runPromise(records.load("every-minute")))!
      }
      assert.isTrue(after.recentSkips.some((s) => s.reason === "catch-up"), "the catch-up delivery")
      // The first tick of the window starts; the others were due at the same instant, when it had just begun.
      // Before, each was checked against the start's status as the walk reached it: an execution that ended first
      // let the next tick start too (the crash test on a loaded machine started two).
      assert.strictEqual(after.started, 1, JSON.stringify(after.recentSkips))
      const overlap = after.recentSkips.find((s) => s.reason === "overlap")
      assert.isAtLeast(overlap?.count ?? 0, 4)
    } finally {
      await host.close()
    }
  })
})
