/**
 * Issue 19, items 1 and 6: start-up recovery runs in the background (the host is up, and answers health checks,
 * while it runs), takes overdue alarms from the store in bounded batches, and resumes running executions that have
 * no alarm at all.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { RECOVERY_BATCH, startHost } from "../../src/host/index.ts"
import { durable } from "../../src/index.ts"
import type { LogEvent } from "../../src/log/events.ts"
import { memoryPorts } from "./memory-ports.ts"

const quick = durable("quick", async (n: number, ctx) => ctx.step("double", async () => n * 2))
const napper = durable("napper", async (_: unknown, ctx) => {
  await ctx.wait("nap", { seconds: 10 })
  return "woke"
})

const shortNapper = durable("short-napper", async (_: unknown, ctx) => {
  await ctx.wait("nap", { seconds: 2 })
  return "woke"
})

/** Waits on a callback an hour long: while it is watched, its alarm is its watchdog, WATCHDOG_MS after its start. */
const asker = durable("asker", async (_: unknown, ctx) => ctx.waitForCallback<string>("answer", async () => undefined, { timeout: { hours: 1 } }))

const started = (executionId: string, n: number, functionName = "quick"): LogEvent => {
  const at = Date.now()
  return { _tag: "ExecutionStarted", seq: 1, at, executionId, functionName, input: JSON.stringify(n), timeoutAt: at + 86_400_000, retentionMs: 60_000 }
}

const seed = (memory: ReturnType<typeof memoryPorts>, count: number, alarmAt: number | undefined, functionName?: string) =>
  Effect.runPromise(Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => {
    const id = `e-${String(i).padStart(4, "0")}`
    return Effect.tap(memory.store.append(id, [started(id, i, functionName)], 0), () => Effect.sync(() => alarmAt === undefined || void memory.alarms.set(id, alarmAt)))
  }, { discard: true }))

const results = (host: Awaited<ReturnType<typeof startHost>>, count: number) =>
  host.engine((e) =>
    Effect.forEach(Array.from({ length: count }, (_, i) => `e-${String(i).padStart(4, "0")}`), (id) =>
      Effect.map(Effect.timeout(e.awaitEnd(id), "30 seconds"), (view) => view.result), { concurrency: 64 }))

const within = <A>(promise: Promise<A>, ms: number) =>
  Promise.race([promise, new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms))])

describe("start-up recovery", () => {
  it("runs after the host is up: the host answers /healthz while recovery is held", async () => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const memory = memoryPorts(new Map(), {
      alarmStore: (inner) => ({ ...inner, dueAlarms: (horizon, limit) => Effect.andThen(Effect.promise(() => held), inner.dueAlarms(horizon, limit)) })
    })
    await seed(memory, 3, Date.now() - 1000)
    const starting = startHost({ functions: [quick, napper], env: () => undefined }, memory.ports)
    const host = await within(starting, 30_000) // held recovery: a host that waited for it would never be up
    if (host === "still waiting") {
      release()
      await (await starting).close()
      return assert.fail("the host waited for recovery before it was up")
    }
    try {
      const health = await host.app.fetch(new Request("http://127.0.0.1/healthz"))
      assert.strictEqual(health.status, 200)
      assert.strictEqual(await within(host.recovered, 50), "still waiting", "recovery is still held")
      release()
      assert.deepStrictEqual(await host.recovered, { due: 3, unwatched: 0 })
      assert.deepStrictEqual(await results(host, 3), ["0", "2", "4"])
    } finally {
      await host.close()
    }
  })

  it("takes overdue alarms from the store in bounded batches, and resumes them all", async () => {
    const limits: Array<number> = []
    const memory = memoryPorts(new Map(), {
      alarmStore: (inner) => ({ ...inner, dueAlarms: (horizon, limit) => Effect.andThen(Effect.sync(() => void limits.push(limit)), inner.dueAlarms(horizon, limit)) })
    })
    const count = 2 * RECOVERY_BATCH + 88
    await seed(memory, count, Date.now() - 60_000)
    const host = await startHost({ functions: [quick, napper], env: () => undefined }, memory.ports)
    try {
      const report = await host.recovered
      assert.strictEqual(report?.due, count)
      assert.isAtLeast(limits.length, 3, "several batches")
      for (const limit of limits) assert.isAtMost(limit, RECOVERY_BATCH)
      const values = await results(host, count)
      assert.deepStrictEqual(values, Array.from({ length: count }, (_, i) => String(i * 2)))
    } finally {
      await host.close()
    }
  })

  it("resumes running executions that have no alarm (what a crash between a start and its alarm left), page by page", async () => {
    const memory = memoryPorts(new Map(), { listsUnwatched: true })
    const count = RECOVERY_BATCH + 44
    await seed(memory, count, undefined)
    const host = await startHost({ functions: [quick, napper], env: () => undefined }, memory.ports)
    try {
      assert.deepStrictEqual(await host.recovered, { due: 0, unwatched: count })
      const values = await results(host, count)
      assert.deepStrictEqual(values, Array.from({ length: count }, (_, i) => String(i * 2)))
    } finally {
      await host.close()
    }
  })

  it("delivers each execution once when deliveries leave alarms inside the watchdog window (waits due in 10 s)", async () => {
    const memory = memoryPorts()
    const count = RECOVERY_BATCH + 44
    // Running when the last process died, their watchdogs 5 s away; resumed, each waits 10 s.
    await seed(memory, count, Date.now() + 5000, "napper")
    const host = await startHost({ functions: [quick, napper], env: () => undefined }, memory.ports)
    try {
      assert.deepStrictEqual(await host.recovered, { due: count, unwatched: 0 })
      assert.strictEqual(host.dispatcher.stats.delivered, count, "one delivery per execution")
      const waiting = await host.engine((e) => e.describe("e-0000"))
      assert.strictEqual(waiting.operations[0]?.name, "nap")
    } finally {
      await host.close()
    }
  })

  it("reads past executions it resumed whose short waits come first in the window, to the watchdogs behind them", async () => {
    const memory = memoryPorts()
    const loops = RECOVERY_BATCH + 40
    // Overdue when the host starts; resumed, each waits 2 s: a batch of the window's earliest alarms is all theirs.
    await seed(memory, loops, Date.now() - 1000, "short-napper")
    // Running when the last process died too, their watchdogs 20 s away: behind the waits in time order.
    const behind = ["w-1", "w-2", "w-3"]
    await Effect.runPromise(Effect.forEach(behind, (id, i) =>
      Effect.tap(memory.store.append(id, [started(id, 100 + i)], 0), () => Effect.sync(() => void memory.alarms.set(id, Date.now() + 20_000))), { discard: true }))
    const host = await startHost({ functions: [quick, shortNapper], env: () => undefined }, memory.ports)
    try {
      assert.deepStrictEqual(await host.recovered, { due: loops + behind.length, unwatched: 0 })
      // Resumed by recovery, not by their watchdogs 20 s later.
      const ended = await host.engine((e) => Effect.forEach(behind, (id) => Effect.map(Effect.timeout(e.awaitEnd(id), "5 seconds"), (view) => view.result)))
      assert.deepStrictEqual(ended, ["200", "202", "204"])
    } finally {
      await host.close()
    }
  })

  it("lets the event loop turn between batches, so that requests are served while it runs", async () => {
    const memory = memoryPorts()
    const count = 8 * RECOVERY_BATCH
    await seed(memory, count, Date.now() - 60_000)
    const host = await startHost({ functions: [quick, napper], env: () => undefined }, memory.ports)
    try {
      let over = false
      void host.recovered.then(() => (over = true))
      const turns: Array<boolean> = []
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 0))
        turns.push(over)
      }
      assert.deepStrictEqual(turns, [false, false, false], "timers ran while recovery was still going on")
      assert.strictEqual((await host.recovered)?.due, count)
    } finally {
      await host.close()
    }
  })

  it("leaves alone the executions the host itself started while recovery was getting going", async () => {
    const memory = memoryPorts()
    const host = await startHost({ functions: [quick, napper, asker], env: () => undefined }, memory.ports)
    try {
      // Started at once: recovery runs in the background and may read the clock after this start. Its watchdog is
      // not what a dead process left, and an Alarm delivered to it raced the host's own work (a flaky crash test).
      await host.engine((e) => e.start({ functionName: "asker", executionId: "fresh" }))
      assert.deepStrictEqual(await host.recovered, { due: 0, unwatched: 0 })
      assert.strictEqual(host.dispatcher.stats.delivered, 0, "no alarm delivered")
    } finally {
      await host.close()
    }
  })
})
