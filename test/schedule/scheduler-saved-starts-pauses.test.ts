/**
 * Starts saved before they are made (schedules under skip and buffer-one, several hosts over one record store), and a
 * pause or a resume on another host between the save and the start: the pause wins over a start not yet made, a start
 * made meanwhile is recorded, and nothing runs beside it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { ExecutionClient } from "../../src/engine/index.ts"
import { schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore } from "../../src/schedule/index.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"
import { actsAfterSavedStart, actsAfterStart, diedAfterSaving, engine, hostsOf, job, running } from "./schedule-hosts.ts"

describe("a schedule's start saved before it is made, and a pause or a resume meanwhile", () => {
  it.effect("a tick's start saved by a host that died, then the schedule paused and resumed after its minute: dropped, the next tick starts", () =>
    Effect.gen(function*() {
      const entry = schedule("minutely", { function: job, cron: "* * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      yield* diedAfterSaving(host, "minutely", clock, Date.UTC(2026, 0, 1, 0, 1, 1))
      const b = yield* host()
      yield* b.start
      yield* b.pause("minutely")
      clock.setTime(Date.UTC(2026, 0, 1, 0, 2, 30))
      yield* b.resume("minutely") // 00:01 and 00:02 skipped as paused
      assert.isUndefined((yield* memory.load("minutely"))!.starting)
      clock.setTime(Date.UTC(2026, 0, 1, 0, 3, 0, 500))
      yield* b.alarm("minutely")
      assert.deepStrictEqual(yield* running, ["minutely:2026-01-01T00:03:00Z"])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a pause and a resume on another host while a tick's saved start is being made: the tick is counted, a trigger there is skipped", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const b = yield* host()
      let triggered: { readonly outcome: string } | undefined
      // b acts right after a made the start, before a saves its record.
      const { host: a, arm } = yield* actsAfterStart(host, Effect.gen(function*() {
        yield* b.pause("hourly")
        yield* b.resume("hourly")
        triggered = yield* b.trigger("hourly")
      }))
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.strictEqual(triggered?.outcome, "skipped")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.lastExecutionId, view.nextTickAt], [1, "hourly:2026-01-01T01:00:00Z", Date.UTC(2026, 0, 1, 2)])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a pause on another host between a tick's saved start and its making: nothing starts; the saved start holds triggers off for its minute", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      // b's pause lands right after a's save of the tick's start.
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        yield* b.pause("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, [])
      // The saved start may be another host's, making it now: a trigger (allowed while paused) waits out its minute.
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 20))
      assert.strictEqual((yield* b.trigger("hourly")).outcome, "skipped")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 1, 10))
      assert.strictEqual((yield* b.trigger("hourly")).outcome, "started")
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a pause on another host while a buffered start's release is being made: the release is recorded, a trigger is not started beside it", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      // w delivers the ticks; its watchers never fire, so the release is a's alone.
      const w = yield* host({ ...client, awaitEnd: () => Effect.never })
      const b = yield* host()
      // b acts right after a made the start, before a saves its record.
      const { host: a, arm } = yield* actsAfterStart(host, Effect.gen(function*() {
        yield* b.pause("hourly")
      }))
      yield* w.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* w.alarm("hourly") // 01:00 starts
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      yield* w.alarm("hourly") // 02:00 buffered
      yield* client.stop("hourly:2026-01-01T01:00:00Z", { errorType: "X", errorMessage: "ended" })
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 10))
      arm()
      yield* a.alarm("hourly") // releases 02:00; b's pause lands while it is being made
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 20))
      const triggered = yield* b.trigger("hourly")
      assert.strictEqual(triggered.outcome, "buffered", "behind 02:00, which runs")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T02:00:00Z"])
      const view = yield* b.get("hourly")
      assert.deepStrictEqual([view.started, view.lastExecutionId, view.buffered?.executionId, view.paused], [2, "hourly:2026-01-01T02:00:00Z", triggered.executionId, true])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a pause while a second host makes the tick's start the first saved: the first does not drop it, a trigger is not started beside it", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      const c = yield* host()
      const bStarting = yield* Deferred.make<void>()
      const go = yield* Deferred.make<void>()
      // b makes the saved start (its id is the tick's), slowly.
      const b = yield* host({
        ...client,
        start: (request) => Effect.andThen(Effect.andThen(Deferred.succeed(bStarting, undefined), Deferred.await(go)), client.start(request))
      })
      let bFiber: Fiber.Fiber<void, unknown> | undefined
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        bFiber = yield* Effect.forkDetach(b.alarm("hourly"))
        yield* Deferred.await(bStarting) // b read the saved start and is making it
        yield* c.pause("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      yield* c.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      const triggered = yield* c.trigger("hourly")
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(bFiber!)
      assert.strictEqual(triggered.outcome, "skipped")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a pause, a resume and a pause on another host while a tick's saved start is made: the tick is recorded, a later trigger is not started beside it", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const b = yield* host()
      // b acts right after a made the start, before a saves its record.
      const { host: a, arm } = yield* actsAfterStart(host, Effect.gen(function*() {
        yield* b.pause("hourly")
        yield* b.resume("hourly")
        yield* b.pause("hourly")
      }))
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
      const view = yield* a.get("hourly")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 1, 10))
      yield* b.resume("hourly")
      const triggered = yield* b.trigger("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"], "no trigger beside the tick")
      assert.strictEqual(triggered.outcome, "skipped")
      assert.deepStrictEqual([view.started, view.lastExecutionId], [1, "hourly:2026-01-01T01:00:00Z"], "the tick made is recorded")
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a pause and a resume between a tick's two saves: a trigger buffered behind the unmade start is released once its minute is over", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        yield* b.pause("hourly")
        yield* b.resume("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, [], "the resume won over the unmade start")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 20))
      const triggered = yield* b.trigger("hourly")
      // Nothing runs. The hosts deliver what they have due, as their loops do, half an hour later.
      clock.setTime(Date.UTC(2026, 0, 1, 1, 30))
      for (const h of [a, b]) {
        if ((h.nextDueAt() ?? Infinity) <= Date.UTC(2026, 0, 1, 1, 30)) yield* h.alarm("hourly")
      }
      if (triggered.outcome === "buffered") assert.deepStrictEqual(yield* running, [triggered.executionId], "released with nothing ahead, not held for the next tick")
      else assert.strictEqual(triggered.outcome, "started")
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a tick made while another host paused and resumed: a trigger buffered behind it is released once it ends", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      // b acts right after a made the start, before a saves its record.
      const { host: a, arm } = yield* actsAfterStart(host, Effect.gen(function*() {
        yield* b.pause("hourly")
        yield* b.resume("hourly")
      }))
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 20))
      const triggered = yield* b.trigger("hourly")
      assert.strictEqual(triggered.outcome, "buffered")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 30))
      yield* client.stop("hourly:2026-01-01T01:00:00Z", { errorType: "X", errorMessage: "ended" })
      for (let i = 0; i < 10; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      clock.setTime(Date.UTC(2026, 0, 1, 1, 30))
      for (const h of [a, b]) {
        if ((h.nextDueAt() ?? Infinity) <= Date.UTC(2026, 0, 1, 1, 30)) yield* h.alarm("hourly")
      }
      assert.deepStrictEqual(yield* running, [triggered.executionId], "released once 01:00 ended, not held for the next tick")
      assert.isUndefined((yield* memory.load("hourly"))!.starting)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a pause on another host while a tick's saved start is made: the tick is counted and its saved start cleared; a trigger after it ended starts", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      // b acts right after a made the start, before a saves its record.
      const { host: a, arm } = yield* actsAfterStart(host, Effect.gen(function*() {
        yield* b.pause("hourly")
      }))
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.lastExecutionId], [1, "hourly:2026-01-01T01:00:00Z"])
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 10))
      yield* b.resume("hourly")
      yield* client.stop("hourly:2026-01-01T01:00:00Z", { errorType: "X", errorMessage: "ended" })
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 20))
      assert.isUndefined((yield* memory.load("hourly"))!.starting)
      assert.strictEqual((yield* b.trigger("hourly")).outcome, "started", "nothing runs")
    }).pipe(Effect.provide(engine()), Effect.scoped))
})
