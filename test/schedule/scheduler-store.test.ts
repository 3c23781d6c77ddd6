/**
 * The scheduler over the engine and a ScheduleStore that fails: a tick whose execution started but whose record
 * was not saved (the crash window between the writes) starts nothing new when delivered again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Layer } from "effect"
import { Engine, ExecutionClient } from "../../src/engine/index.ts"
import { durable, schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore, makeScheduler, makeScheduleRegistry, ScheduleStore } from "../../src/schedule/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"

const job = durable("job", async (_: unknown, ctx) => ctx.step("work", async () => "done"))
const hourly = schedule("hourly", { function: job, cron: "0 * * * *" })

describe("the scheduler when the store fails", () => {
  it.effect("a tick started but not recorded is not started twice when delivered again", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      /** Saves from this count on fail. */
      let failFrom = Infinity
      let saves = 0
      const records = {
        load: memory.load,
        save: (r: Parameters<typeof memory.save>[0]) =>
          ++saves >= failFrom ? Effect.fail(new StoreFailure({ operation: "save", reason: "disk full" })) : memory.save(r)
      }
      const starts: Array<string> = []
      const client = yield* ExecutionClient
      const counting = {
        ...client,
        start: (request: Parameters<typeof client.start>[0]) =>
          Effect.tap(client.start(request), (r) => Effect.sync(() => r.created && starts.push(r.executionId)))
      }
      const scheduler = yield* makeScheduler({ schedules: makeScheduleRegistry([hourly], [job]) }).pipe(
        Effect.provideService(ExecutionClient, counting),
        Effect.provideService(ScheduleStore, records),
        Effect.provideService(Clock.Clock, clock)
      )
      yield* scheduler.start
      assert.strictEqual(scheduler.nextDueAt(), Date.UTC(2026, 0, 1, 1))

      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      // Under skip a tick's start is saved before it is made: that save failing, nothing starts.
      failFrom = saves + 1
      assert.strictEqual((yield* Effect.result(scheduler.alarm("hourly")))._tag, "Failure")
      assert.deepStrictEqual(starts, [])
      // The start saved, the execution started, the record's save after it fails (the crash window).
      failFrom = saves + 2
      assert.strictEqual((yield* Effect.result(scheduler.alarm("hourly")))._tag, "Failure")
      assert.deepStrictEqual(starts, ["hourly:2026-01-01T01:00:00Z"])

      failFrom = Infinity
      yield* scheduler.alarm("hourly")
      assert.deepStrictEqual(starts, ["hourly:2026-01-01T01:00:00Z"], "the second delivery found the execution and started nothing")
      const view = yield* scheduler.get("hourly")
      assert.strictEqual(view.started, 1)
      assert.strictEqual(view.lastExecutionId, "hourly:2026-01-01T01:00:00Z")
      assert.strictEqual(view.nextTickAt, Date.UTC(2026, 0, 1, 2))
    }).pipe(
      Effect.provide(Engine.layer({ functions: [job] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())))),
      Effect.scoped
    ))

  // Found from outside with several hosts on PostgreSQL: a schedule resumed on a host that then died ticked nowhere.
  it.effect("a schedule paused and resumed on one host is due again on another once that one reads the records again", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const records = makeMemoryScheduleStore() // the database both hosts read
      const client = yield* ExecutionClient
      const host = () =>
        makeScheduler({ schedules: makeScheduleRegistry([hourly], [job]) }).pipe(
          Effect.provideService(ExecutionClient, client),
          Effect.provideService(ScheduleStore, records),
          Effect.provideService(Clock.Clock, clock)
        )
      const a = yield* host()
      const b = yield* host()
      yield* a.start
      yield* b.start
      yield* a.pause("hourly")
      // b delivers the tick from the paused record: it starts nothing and drops the schedule from its loop.
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* b.alarm("hourly")
      assert.strictEqual(b.nextDueAt(), undefined)
      yield* a.resume("hourly") // and then a goes away
      yield* b.refresh
      assert.strictEqual(b.nextDueAt(), Date.UTC(2026, 0, 1, 2), "b sees the resume")
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 1))
      yield* b.alarm("hourly")
      assert.strictEqual((yield* b.get("hourly")).lastExecutionId, "hourly:2026-01-01T02:00:00Z")
      // A pause made on a is seen by b the same way.
      yield* a.pause("hourly")
      yield* b.refresh
      assert.strictEqual(b.nextDueAt(), undefined)
    }).pipe(
      Effect.provide(Engine.layer({ functions: [job] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())))),
      Effect.scoped
    ))

  // Found from outside with several hosts on PostgreSQL: `started` stayed 0 while each tick started its execution.
  it.effect("two hosts delivering the same tick from the same record: one start, counted once whichever saves last", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const records = makeMemoryScheduleStore() // the database both hosts read
      const client = yield* ExecutionClient
      const host = (client_: typeof client) =>
        makeScheduler({ schedules: makeScheduleRegistry([hourly], [job]) }).pipe(
          Effect.provideService(ExecutionClient, client_),
          Effect.provideService(ScheduleStore, records),
          Effect.provideService(Clock.Clock, clock)
        )
      const a = yield* host(client)
      // b's start comes after a delivered the whole tick (b had found no execution yet): the race of two hosts.
      const b = yield* host({ ...client, start: (request) => Effect.andThen(Effect.orDie(a.alarm("hourly")), client.start(request)) })
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* b.alarm("hourly") // saves last
      const view = yield* a.get("hourly")
      assert.strictEqual(view.lastExecutionId, "hourly:2026-01-01T01:00:00Z")
      assert.strictEqual(view.started, 1, "b found the execution a started: the tick is counted, not undone")
      const listed = yield* client.list({ functionName: "job" })
      assert.strictEqual(listed.items.length, 1)
    }).pipe(
      Effect.provide(Engine.layer({ functions: [job] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())))),
      Effect.scoped
    ))
})
