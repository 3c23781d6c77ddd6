/**
 * The ScheduleStore's compare-and-set (a save goes through only over the version it read), on the in-memory and
 * SQLite stores, and the scheduler deciding again when another host saved first.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, type Scope } from "effect"
import { openSqliteStore } from "../../adapters/node/sqlite-store.ts"
import { sqlitePorts } from "../../adapters/node/sqlite-ports.ts"
import { ExecutionClient } from "../../src/engine/index.ts"
import { schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore, ScheduleStore, type ScheduleStoreShape } from "../../src/schedule/index.ts"
import { makeKeyValueScheduleStore, mapScheduleKeyValue, type ScheduleRecord } from "../../src/schedule/schedule-store.ts"
import { MAX_SAVE_ATTEMPTS } from "../../src/schedule/scheduler.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"
import { tempDbPath } from "../adapters/node/sqlite-fixture.ts"
import { engine, hostsOf, job } from "./schedule-hosts.ts"

const record: ScheduleRecord = { name: "nightly", spec: "0 2 * * * @ UTC", nextTickAt: 7_200_000, paused: false, started: 0, skipped: 0, recentSkips: [] }
/** How a record was stored before versions were kept. */
const legacyText = JSON.stringify(record)

const stores: ReadonlyArray<{
  readonly name: string
  /** The store, over a space that holds `legacyText` under the record's key when `legacy`. */
  readonly make: (legacy: boolean) => Effect.Effect<ScheduleStoreShape, unknown, Scope.Scope>
}> = [
  {
    name: "in-memory",
    make: (legacy) => Effect.sync(() => makeKeyValueScheduleStore(mapScheduleKeyValue(new Map(legacy ? [["schedule:nightly", legacyText]] : []))))
  },
  {
    name: "SQLite",
    make: (legacy) =>
      Effect.gen(function*() {
        const sqlite = yield* openSqliteStore({ path: tempDbPath() })
        if (legacy) sqlite.setMeta("schedule:nightly", legacyText)
        // The adapter's own wiring (its layer closes the database with the scope).
        return Context.get(yield* Layer.build(sqlitePorts(sqlite)), ScheduleStore)
      })
  }
]

for (const { name, make } of stores) {
  describe(`the ${name} ScheduleStore's compare-and-set`, () => {
    it.effect("a save goes through over the version read and moves it on; a save over an older version writes nothing", () =>
      Effect.gen(function*() {
        const store = yield* make(false)
        assert.isTrue(yield* store.save(record), "absent: saved over version 0")
        const first = (yield* store.load("nightly"))!
        assert.strictEqual(first.version, 1)
        // Two hosts read version 1: the first save wins, the second writes nothing.
        assert.isTrue(yield* store.save({ ...first, paused: true }))
        assert.isFalse(yield* store.save({ ...first, started: 5 }))
        const stored = (yield* store.load("nightly"))!
        assert.deepStrictEqual([stored.version, stored.paused, stored.started], [2, true, 0])
        assert.isFalse(yield* store.save(record), "a writer that saw nothing stored does not overwrite")
      }).pipe(Effect.scoped))

    it.effect("a record stored before versions loads as version 0, and saving over it is checked the same way", () =>
      Effect.gen(function*() {
        const store = yield* make(true)
        const legacy = (yield* store.load("nightly"))!
        assert.strictEqual(legacy.version, undefined)
        assert.isTrue(yield* store.save({ ...legacy, paused: true }))
        assert.isFalse(yield* store.save({ ...legacy, started: 1 }), "the legacy text is gone: the second writer loses")
        const stored = (yield* store.load("nightly"))!
        assert.deepStrictEqual([stored.version, stored.paused, stored.started], [1, true, 0])
      }).pipe(Effect.scoped))
  })
}

const hourly = schedule("hourly", { function: job, cron: "0 * * * *" })

describe("the scheduler when another host saves the record first", () => {
  const hosts = (records: ScheduleStoreShape, clock: VirtualClock) => hostsOf(hourly, records, clock)

  it.effect("a pause made while another host delivers a tick is kept: that host decides again over the paused record", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const host = yield* hosts(makeMemoryScheduleStore(), clock)
      const client = yield* ExecutionClient
      const a = yield* host()
      let pausedOnce = false
      // a's pause lands between b's read of the record and b's save.
      const b = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            if (!pausedOnce) {
              pausedOnce = true
              yield* Effect.orDie(a.pause("hourly"))
            }
            return yield* client.start(request)
          })
      })
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* b.alarm("hourly")
      const view = yield* a.get("hourly")
      assert.isTrue(view.paused, "the pause holds")
      assert.strictEqual(view.lastExecutionId, "hourly:2026-01-01T01:00:00Z", "the tick b started before the pause is counted")
      assert.strictEqual(view.started, 1)
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))

  it.effect("a trigger racing another host's trigger under skip: the one whose start was saved first starts", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const host = yield* hosts(makeMemoryScheduleStore(), clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      let raced = false
      // b's trigger comes in while a's is between its decision and its start.
      const a = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            if (!raced) {
              raced = true
              clock.setTime(Date.UTC(2026, 0, 1, 0, 0, 1)) // a trigger id of its own
              yield* Effect.orDie(b.trigger("hourly"))
            }
            return yield* client.start(request)
          })
      })
      yield* a.start
      const first = yield* a.trigger("hourly")
      assert.strictEqual(first.outcome, "started")
      const listed = yield* client.list({ functionName: "job" })
      assert.deepStrictEqual(listed.items.map((item) => item.executionId), [first.executionId])
      const view = yield* b.get("hourly")
      assert.deepStrictEqual([view.started, view.skipped, view.lastExecutionId], [1, 1, first.executionId])
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))

  it.effect("under skip, a trigger on another host while a tick's start is being made is skipped: one execution runs", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const host = yield* hosts(makeMemoryScheduleStore(), clock)
      const client = yield* ExecutionClient
      const b = yield* host()
      let triggered: { readonly outcome: string } | undefined
      // b's trigger comes in while a is making the tick's start.
      const a = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            triggered ??= yield* Effect.orDie(b.trigger("hourly"))
            return yield* client.start(request)
          })
      })
      yield* a.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly")
      assert.strictEqual(triggered?.outcome, "skipped")
      const listed = yield* client.list({ functionName: "job" })
      assert.deepStrictEqual(listed.items.map((item) => item.executionId), ["hourly:2026-01-01T01:00:00Z"])
      const view = yield* b.get("hourly")
      assert.deepStrictEqual([view.started, view.skipped, view.lastExecutionId, view.nextTickAt], [1, 1, "hourly:2026-01-01T01:00:00Z", Date.UTC(2026, 0, 1, 2)])
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))

  it.effect("under skip, a trigger on another host between a tick's decision and its save: the tick is skipped", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hosts(memory, clock))()
      let armed = false
      let raced = false
      // b's whole trigger lands just before a's first save of the delivery.
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) =>
          Effect.gen(function*() {
            if (armed && !raced) {
              raced = true
              yield* Effect.orDie(b.trigger("hourly"))
            }
            return yield* memory.save(r)
          })
      }
      const a = yield* (yield* hosts(records, clock))()
      const client = yield* ExecutionClient
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      armed = true
      yield* a.alarm("hourly")
      assert.isTrue(raced)
      const listed = yield* client.list({ functionName: "job" })
      assert.deepStrictEqual(listed.items.map((item) => item.executionId), ["hourly:trigger:2026-01-01T01:00:05.000Z"])
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.skipped, view.nextTickAt], [1, 1, Date.UTC(2026, 0, 1, 2)])
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))

  it.effect("a trigger whose start is made reports it even when its record cannot be settled; the start counts as running", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      let losing = false
      let saves = 0
      // Saves lose from the third on (after the trigger saved its start), until the test lets them through again.
      const records: ScheduleStoreShape = { load: memory.load, save: (r) => (++saves > 2 && losing ? Effect.succeed(false) : memory.save(r)) }
      const a = yield* (yield* hosts(records, clock))()
      const client = yield* ExecutionClient
      yield* a.start
      losing = true
      const first = yield* a.trigger("hourly")
      assert.strictEqual(first.outcome, "started", "the execution runs: no error the caller would retry")
      const listed = yield* client.list({ functionName: "job" })
      assert.deepStrictEqual(listed.items.map((item) => [item.executionId, item.status]), [[first.executionId, "RUNNING"]])
      losing = false
      clock.setTime(Date.UTC(2026, 0, 1, 0, 5)) // past the starting window: the running execution is what holds
      const second = yield* a.trigger("hourly")
      assert.strictEqual(second.outcome, "skipped", "skip: the unsettled start is still running")
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))

  it.effect("hosts starting together save nothing when the record is as stored", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      let saves = 0
      const records: ScheduleStoreShape = { load: memory.load, save: (r) => (saves++, memory.save(r)) }
      const host = yield* hosts(records, clock)
      yield* (yield* host()).start
      for (let i = 0; i < 12; i++) yield* (yield* host()).start
      assert.strictEqual(saves, 1, "only the first host created the record")
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))

  it.effect("a save that keeps losing ends in ScheduleContended, after MAX_SAVE_ATTEMPTS decisions", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      let saves = 0
      const host = yield* hosts({ load: memory.load, save: () => Effect.sync(() => (saves++, false)) }, clock)
      const a = yield* host()
      const failed = yield* Effect.flip(a.pause("hourly"))
      assert.strictEqual(failed._tag, "ScheduleContended")
      assert.deepStrictEqual([saves, (failed as { attempts?: number }).attempts], [MAX_SAVE_ATTEMPTS, MAX_SAVE_ATTEMPTS])
    }).pipe(
      Effect.provide(engine()),
      Effect.scoped
    ))
})
