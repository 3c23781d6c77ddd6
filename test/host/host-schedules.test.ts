/** The host with schedules: refused without a ScheduleStore in the ports, served through its app with one. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AlarmStore, HostMetadata, type HostPorts, makeMemoryScheduleStore, ScheduleStore, startHost, WakeUpSource } from "../../src/host/index.ts"
import { durable, schedule, ScheduleConfigError } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

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
})
