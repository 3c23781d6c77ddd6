/**
 * Starts saved before they are made (a tick's and a buffered one's under skip and buffer-one), with several
 * schedulers ("hosts") over one record store: what another host sees meanwhile, and what a host that died after the
 * save leaves behind. Pauses and resumes between the saves: scheduler-saved-starts-pauses.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { RateLimited } from "../../src/engine/engine-errors.ts"
import { ExecutionClient } from "../../src/engine/index.ts"
import { schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore, type ScheduleStoreShape } from "../../src/schedule/index.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"
import { actsAfterSavedStart, diedAfterSaving, engine, hostsOf, job, running, settlesFail } from "./schedule-hosts.ts"

describe("a schedule's start saved before it is made", () => {
  it.effect("buffer-one: a trigger on another host while the buffered start is being made is skipped", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const host = yield* hostsOf(entry, makeMemoryScheduleStore(), clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      let armed = false
      let triggered: { readonly outcome: string } | undefined
      const a = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            if (armed && triggered === undefined) triggered = yield* Effect.orDie(b.trigger("hourly"))
            return yield* client.start(request)
          })
      })
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 starts
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      yield* a.alarm("hourly") // 02:00 buffered behind it
      assert.strictEqual((yield* a.get("hourly")).buffered?.executionId, "hourly:2026-01-01T02:00:00Z")
      armed = true
      yield* client.stop("hourly:2026-01-01T01:00:00Z", { errorType: "X", errorMessage: "ended" })
      // a's watcher of 01:00 releases 02:00 (b's trigger lands while that start is being made); then a delivery.
      for (let i = 0; i < 50 && triggered === undefined; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      yield* a.alarm("hourly")
      assert.strictEqual(triggered?.outcome, "skipped", "a buffered start is already waiting: the trigger is skipped")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T02:00:00Z"])
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.lastExecutionId, view.buffered], [2, "hourly:2026-01-01T02:00:00Z", undefined])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a tick's start saved by a host that died is made by the next delivery within its minute, even past the catch-up window", () =>
    Effect.gen(function*() {
      const entry = schedule("minutely", { function: job, cron: "* * * * *", overlap: "skip", catchUp: { seconds: 10 } })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      yield* diedAfterSaving(host, "minutely", clock, Date.UTC(2026, 0, 1, 0, 1, 1))
      assert.strictEqual((yield* memory.load("minutely"))!.starting?.executionId, "minutely:2026-01-01T00:01:00Z", "the start is saved")
      assert.deepStrictEqual(yield* running, [])
      const b = yield* host()
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 0, 1, 15))
      yield* b.alarm("minutely")
      assert.deepStrictEqual(yield* running, ["minutely:2026-01-01T00:01:00Z"])
      const view = yield* b.get("minutely")
      assert.deepStrictEqual([view.started, view.skipped, view.nextTickAt], [1, 0, Date.UTC(2026, 0, 1, 0, 2)])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a tick's start saved by a host that died, found after its minute and past the catch-up window, is skipped; the next tick starts", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip", catchUp: { seconds: 10 } })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      yield* diedAfterSaving(host, "hourly", clock, Date.UTC(2026, 0, 1, 1, 0, 1))
      const b = yield* host()
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 5))
      yield* b.alarm("hourly")
      assert.deepStrictEqual(yield* running, [])
      const skipped = yield* b.get("hourly")
      assert.deepStrictEqual(skipped.recentSkips.map((s) => s.reason), ["catch-up"])
      assert.isUndefined((yield* memory.load("hourly"))!.starting, "the start of a tick passed is dropped")
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 1))
      yield* b.alarm("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T02:00:00Z"])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a trigger buffered behind a tick's saved start, that start refused: the trigger is released at once", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      let triggered: { readonly outcome: string } | undefined
      // b's trigger lands right after a's save of the tick's start, whose making is then refused.
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        triggered = yield* b.trigger("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))({
        ...client,
        start: (request) =>
          request.executionId === "hourly:2026-01-01T01:00:00Z"
            ? Effect.fail(new RateLimited({ functionName: "job", retryAfterMs: 1000 }))
            : client.start(request)
      })
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.strictEqual(triggered?.outcome, "buffered")
      assert.deepStrictEqual(yield* running, ["hourly:trigger:2026-01-01T01:00:05.000Z"])
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.buffered, view.nextTickAt], [undefined, Date.UTC(2026, 0, 1, 2)])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a tick whose start is saved inside the catch-up window is made, though the window has passed when the save returns", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip", catchUp: { seconds: 10 } })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      let slow = false
      // A store whose save takes 5 ms.
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) => Effect.andThen(Effect.sync(() => slow && clock.setTime(clock.currentTimeMillisUnsafe() + 5)), memory.save(r))
      }
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 9, 998)) // 2 ms inside the window
      slow = true
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
      assert.deepStrictEqual((yield* a.get("hourly")).recentSkips, [])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a tick buffered behind a trigger whose record could not be settled is not released beside it after a minute", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const { records, down } = settlesFail(memory)
      const a = yield* (yield* hostsOf(entry, records, clock))()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 0, 59, 30))
      down.now = true
      const triggered = yield* a.trigger("hourly")
      down.now = false
      assert.strictEqual(triggered.outcome, "started")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* b.alarm("hourly") // 01:00 buffered behind the trigger
      assert.strictEqual((yield* b.get("hourly")).buffered?.executionId, "hourly:2026-01-01T01:00:00Z")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 1, 0))
      yield* b.alarm("hourly")
      assert.deepStrictEqual(yield* running, [triggered.executionId])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("skip: two hosts' triggers in the same millisecond start one execution, counted once, the second skipped", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 10))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      let second: { readonly outcome: string } | undefined
      const b = yield* host()
      const wrapped = actsAfterSavedStart(memory, Effect.gen(function*() { second = yield* b.trigger("hourly") }))
      const hostsA = yield* hostsOf(entry, wrapped.records, clock)
      const a = yield* hostsA()
      yield* a.start
      yield* b.start
      wrapped.arm()
      const first = yield* a.trigger("hourly")
      assert.strictEqual(first.outcome, "started")
      assert.strictEqual(second?.outcome, "skipped", "a's start is saved and being made: b's trigger is skipped")
      const view = yield* a.get("hourly")
      assert.strictEqual(view.started, 1)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("skip: a tick's saved start over a minute old (its host died), still in the catch-up window, and a trigger on another host meanwhile: one runs", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "skip", catchUp: { minutes: 10 } })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      yield* diedAfterSaving(host, "hourly", clock, Date.UTC(2026, 0, 1, 1, 0, 1))
      const client = yield* ExecutionClient
      const c = yield* host()
      yield* c.start
      let armed = false
      let triggered: { readonly outcome: string } | undefined
      // b: right when it asks whether the tick's execution exists (after reading the record), c's trigger lands.
      const b = yield* host({
        ...client,
        describe: (id) =>
          Effect.gen(function*() {
            if (armed && id === "hourly:2026-01-01T01:00:00Z") {
              armed = false
              triggered = yield* Effect.orDie(c.trigger("hourly"))
            }
            return yield* client.describe(id)
          })
      })
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 2))
      armed = true
      yield* b.alarm("hourly")
      assert.isDefined(triggered)
      assert.strictEqual((yield* running).length, 1, `one runs, not ${JSON.stringify(yield* running)} (trigger: ${triggered?.outcome})`)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a buffered start's release saved by a host that died is made at once by another host, not a minute later", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      // host b (gone after, with its watcher) starts 01:00 and buffers 02:00
      yield* Effect.scoped(Effect.gen(function*() {
        const b = yield* host()
        yield* b.start
        clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
        yield* b.alarm("hourly")
        clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
        yield* b.alarm("hourly")
        assert.strictEqual((yield* b.get("hourly")).buffered?.executionId, "hourly:2026-01-01T02:00:00Z")
      }))
      // host a, whose starts die, watches 01:00; it ends, a saves the release of 02:00 and dies before making it
      const a = yield* host({ ...client, start: () => Effect.die("host a died") })
      yield* a.start
      yield* client.stop("hourly:2026-01-01T01:00:00Z", { errorType: "X", errorMessage: "ended" })
      for (let i = 0; i < 50 && (yield* memory.load("hourly"))!.starting === undefined; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      assert.strictEqual((yield* memory.load("hourly"))!.starting?.executionId, "hourly:2026-01-01T02:00:00Z", "the release is saved")
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 20))
      const c = yield* host()
      yield* c.start
      for (let i = 0; i < 50 && (yield* running).length === 0; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T02:00:00Z"], "c makes the saved release at once")
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("skip: a tick's saved start left by a host that died, then a redeploy that changes the zone: the new spec's next tick starts", () =>
    Effect.gen(function*() {
      const entry = schedule("minutely", { function: job, cron: "* * * * *", overlap: "skip" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      yield* diedAfterSaving(host, "minutely", clock, Date.UTC(2026, 0, 1, 0, 1, 1))
      const moved = schedule("minutely", { function: job, cron: "* * * * *", timezone: "Europe/Paris", overlap: "skip" })
      const b = yield* (yield* hostsOf(moved, memory, clock))()
      clock.setTime(Date.UTC(2026, 0, 1, 0, 1, 30))
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 0, 2, 0, 500))
      yield* b.alarm("minutely")
      assert.deepStrictEqual(yield* running, ["minutely:2026-01-01T00:02:00Z"])
    }).pipe(Effect.provide(engine()), Effect.scoped))
})
