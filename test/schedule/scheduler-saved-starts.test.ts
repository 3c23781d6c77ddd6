/**
 * Starts saved before they are made (a tick's and a buffered one's under skip and buffer-one), with several
 * schedulers ("hosts") over one record store: what another host sees meanwhile, and what a host that died after the
 * save leaves behind.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, Layer } from "effect"
import { RateLimited } from "../../src/engine/engine-errors.ts"
import { Engine, ExecutionClient } from "../../src/engine/index.ts"
import { durable, schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore, makeScheduler, makeScheduleRegistry, ScheduleStore, type ScheduleStoreShape } from "../../src/schedule/index.ts"
import type { Schedule } from "../../src/schedule/schedule.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"

const job = durable("job", async (_: unknown, ctx) => ctx.wait("hold", { minutes: 90 }))

const hostsOf = (entry: Schedule, records: ScheduleStoreShape, clock: VirtualClock) =>
  Effect.gen(function*() {
    const client = yield* ExecutionClient
    return (client_: typeof client = client) =>
      makeScheduler({ schedules: makeScheduleRegistry([entry], [job]) }).pipe(
        Effect.provideService(ExecutionClient, client_),
        Effect.provideService(ScheduleStore, records),
        Effect.provideService(Clock.Clock, clock)
      )
  })

const engine = () => Engine.layer({ functions: [job] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())))

/** A host whose starts die: it delivers `name` at `at`, saves the tick's start and never makes it (it died there). */
const diedAfterSaving = (host: Effect.Success<ReturnType<typeof hostsOf>>, name: string, clock: VirtualClock, at: number) =>
  Effect.gen(function*() {
    const client = yield* ExecutionClient
    const a = yield* host({ ...client, start: () => Effect.die("host a died") })
    yield* a.start
    clock.setTime(at)
    yield* Effect.exit(a.alarm(name))
  })

const running = Effect.gen(function*() {
  const client = yield* ExecutionClient
  const listed = yield* client.list({ functionName: "job" })
  return listed.items.filter((item) => item.status === "RUNNING").map((item) => item.executionId).sort()
})

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
      const client = yield* ExecutionClient
      const b = yield* host()
      let armed = false
      let triggered: { readonly outcome: string } | undefined
      const a = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            const started = yield* client.start(request)
            if (armed) {
              armed = false
              yield* Effect.orDie(b.pause("hourly"))
              yield* Effect.orDie(b.resume("hourly"))
              triggered = yield* Effect.orDie(b.trigger("hourly"))
            }
            return started
          })
      })
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      armed = true
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
      let armed = false
      // b's pause lands right after a's save of the tick's start.
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) =>
          Effect.gen(function*() {
            const saved = yield* memory.save(r)
            if (saved && armed && r.starting !== undefined) {
              armed = false
              yield* Effect.orDie(b.pause("hourly"))
            }
            return saved
          })
      }
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      armed = true
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, [])
      // The saved start may be another host's, making it now: a trigger (allowed while paused) waits out its minute.
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 20))
      assert.strictEqual((yield* b.trigger("hourly")).outcome, "skipped")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 1, 10))
      assert.strictEqual((yield* b.trigger("hourly")).outcome, "started")
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a trigger buffered behind a tick's saved start, that start refused: the trigger is released at once", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      let armed = false
      let triggered: { readonly outcome: string } | undefined
      // b's trigger lands right after a's save of the tick's start, whose making is then refused.
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) =>
          Effect.gen(function*() {
            const saved = yield* memory.save(r)
            if (saved && armed && r.starting !== undefined) {
              armed = false
              triggered = yield* Effect.orDie(b.trigger("hourly"))
            }
            return saved
          })
      }
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
      armed = true
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
      let armed = false
      const a = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            const started = yield* client.start(request)
            if (armed) {
              armed = false
              yield* Effect.orDie(b.pause("hourly"))
            }
            return started
          })
      })
      yield* w.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* w.alarm("hourly") // 01:00 starts
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      yield* w.alarm("hourly") // 02:00 buffered
      yield* client.stop("hourly:2026-01-01T01:00:00Z", { errorType: "X", errorMessage: "ended" })
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 10))
      armed = true
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
      let armed = false
      let bFiber: Fiber.Fiber<void, unknown> | undefined
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) =>
          Effect.gen(function*() {
            const saved = yield* memory.save(r)
            if (saved && armed && r.starting !== undefined) {
              armed = false
              bFiber = yield* Effect.forkDetach(b.alarm("hourly"))
              yield* Deferred.await(bStarting) // b read the saved start and is making it
              yield* Effect.orDie(c.pause("hourly"))
            }
            return saved
          })
      }
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      yield* c.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      armed = true
      yield* a.alarm("hourly")
      const triggered = yield* c.trigger("hourly")
      yield* Deferred.succeed(go, undefined)
      yield* Fiber.join(bFiber!)
      assert.strictEqual(triggered.outcome, "skipped")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T01:00:00Z"])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("buffer-one: a tick buffered behind a trigger whose record could not be settled is not released beside it after a minute", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "buffer-one" })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      let failSettle = false
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) => (failSettle && r.starting === undefined ? Effect.fail(new StoreFailure({ operation: "save", reason: "store down" })) : memory.save(r))
      }
      const a = yield* (yield* hostsOf(entry, records, clock))()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 0, 59, 30))
      failSettle = true
      const triggered = yield* a.trigger("hourly")
      failSettle = false
      assert.strictEqual(triggered.outcome, "started")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* b.alarm("hourly") // 01:00 buffered behind the trigger
      assert.strictEqual((yield* b.get("hourly")).buffered?.executionId, "hourly:2026-01-01T01:00:00Z")
      clock.setTime(Date.UTC(2026, 0, 1, 1, 1, 0))
      yield* b.alarm("hourly")
      assert.deepStrictEqual(yield* running, [triggered.executionId])
    }).pipe(Effect.provide(engine()), Effect.scoped))
})
