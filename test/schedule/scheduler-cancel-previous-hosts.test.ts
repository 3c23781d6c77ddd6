/**
 * cancel-previous with several schedulers ("hosts") over one record store: triggers, or a tick and a trigger, on two
 * hosts at the same moment. At most one new execution runs, and the previous one is stopped.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ExecutionClient } from "../../src/engine/index.ts"
import { durable, schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore, type ScheduleStoreShape } from "../../src/schedule/index.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"
import { actsAfterSavedStart, actsAfterStart, engine, hostsOf, job, running, settlesFail } from "./schedule-hosts.ts"

const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "cancel-previous" })
const FIRST = "hourly:2026-01-01T01:00:00Z"
const SECOND = "hourly:2026-01-01T02:00:00Z"

/** The status of an execution. */
const statusOf = (executionId: string) =>
  Effect.gen(function*() {
    const client = yield* ExecutionClient
    return (yield* client.describe(executionId)).status
  })

/** One execution runs, the one the record names last; the one the 01:00 tick started is stopped. */
const oneRuns = (host: { get: (name: string) => Effect.Effect<{ readonly lastExecutionId?: string }, unknown> }) =>
  Effect.gen(function*() {
    const now = yield* running
    assert.strictEqual(now.length, 1, `one runs, not ${JSON.stringify(now)}`)
    assert.strictEqual((yield* host.get("hourly")).lastExecutionId, now[0], "the one running is the last execution")
    assert.strictEqual(yield* statusOf(FIRST), "STOPPED", "the previous one is stopped")
    return now[0]!
  })

describe("cancel-previous across hosts", () => {
  it.effect("triggers on two hosts at once: one new execution runs, the previous one is stopped", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      let second: { readonly executionId: string; readonly outcome: string } | undefined
      // b's trigger (5 ms later) lands right after a's save of its trigger's start, before a makes it.
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        clock.setTime(clock.currentTimeMillisUnsafe() + 5)
        second = yield* b.trigger("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 runs
      assert.deepStrictEqual(yield* running, [FIRST])
      clock.setTime(Date.UTC(2026, 0, 1, 1, 10))
      arm()
      const first = yield* a.trigger("hourly")
      assert.deepStrictEqual([first.outcome, second?.outcome], ["started", "started"])
      assert.strictEqual(yield* oneRuns(a), second!.executionId, "the trigger saved last runs")
      assert.strictEqual(yield* statusOf(first.executionId), "STOPPED")
      assert.strictEqual((yield* a.get("hourly")).started, 3)
      assert.isUndefined((yield* memory.load("hourly"))!.starting)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a tick on one host and a trigger on another right after the tick's start is made: one runs", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const b = yield* host()
      let triggered: { readonly executionId: string; readonly outcome: string } | undefined
      // b's trigger lands right after a made the tick's start, before a saves its record.
      const { host: a, arm } = yield* actsAfterStart(host, Effect.gen(function*() {
        triggered = yield* b.trigger("hourly")
      }))
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 runs
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      arm()
      yield* a.alarm("hourly") // 02:00, and b's trigger meanwhile
      assert.strictEqual(triggered?.outcome, "started")
      assert.strictEqual(yield* oneRuns(a), triggered!.executionId, "the trigger, saved after the tick's start, runs")
      assert.strictEqual(yield* statusOf(SECOND), "STOPPED")
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.nextTickAt], [3, Date.UTC(2026, 0, 1, 3)])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a trigger on one host and a tick on another right after the trigger's start is saved: one runs", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const a = yield* (yield* hostsOf(entry, memory, clock))()
      // a delivers the 02:00 tick right after b's save of its trigger's start, before b makes it.
      const { records, arm } = actsAfterSavedStart(memory, a.alarm("hourly"))
      const b = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 runs
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      arm()
      const triggered = yield* b.trigger("hourly")
      assert.strictEqual(triggered.outcome, "started")
      assert.strictEqual(yield* oneRuns(a), SECOND, "the tick, saved after the trigger's start, runs")
      assert.strictEqual(yield* statusOf(triggered.executionId), "STOPPED")
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.nextTickAt], [3, Date.UTC(2026, 0, 1, 3)])
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a trigger whose record could not be settled after its start, then a tick on another host: the trigger's execution is stopped", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const { records, down } = settlesFail(memory)
      const a = yield* (yield* hostsOf(entry, records, clock))()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* b.alarm("hourly") // 01:00 runs
      clock.setTime(Date.UTC(2026, 0, 1, 1, 30))
      down.now = true
      const triggered = yield* a.trigger("hourly")
      down.now = false
      assert.strictEqual(triggered.outcome, "started")
      assert.strictEqual((yield* memory.load("hourly"))!.starting?.executionId, triggered.executionId, "not settled")
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      yield* b.alarm("hourly")
      assert.strictEqual(yield* oneRuns(b), SECOND)
      assert.strictEqual(yield* statusOf(triggered.executionId), "STOPPED")
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("one host, a catch-up of three ticks: each stops the one before it, the last runs", () =>
    Effect.gen(function*() {
      const late = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "cancel-previous", catchUp: { hours: 3 } })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const a = yield* (yield* hostsOf(late, memory, clock))()
      yield* a.start
      clock.setTime(Date.UTC(2026, 0, 1, 3, 0, 5))
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, ["hourly:2026-01-01T03:00:00Z"])
      assert.deepStrictEqual([yield* statusOf(FIRST), yield* statusOf(SECOND)], ["STOPPED", "STOPPED"])
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.started, view.lastExecutionId, view.nextTickAt], [3, "hourly:2026-01-01T03:00:00Z", Date.UTC(2026, 0, 1, 4)])
      assert.isUndefined((yield* memory.load("hourly"))!.starting)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a trigger on another host between a tick's saved start and its making: the tick, saved again after it, runs", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      let triggered: { readonly executionId: string; readonly outcome: string } | undefined
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        triggered = yield* b.trigger("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 runs (its start saved first: b is not armed yet)
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      arm()
      yield* a.alarm("hourly")
      assert.strictEqual(triggered?.outcome, "started", "the tick's saved start is not running yet: the trigger starts")
      assert.strictEqual(yield* oneRuns(a), SECOND)
      assert.strictEqual(yield* statusOf(triggered!.executionId), "STOPPED")
    }).pipe(Effect.provide(engine()), Effect.scoped))
})

describe("cancel-previous across hosts, the review", () => {
  const T = (h: number, m = 0, s = 0) => Date.UTC(2026, 0, 1, h, m, s)
  const id = (h: number) => `hourly:2026-01-01T0${h}:00:00Z`

  it.effect("one host: a catch-up whose record save failed, delivered again once its first tick is late, leaves its last tick running", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "cancel-previous", catchUp: { minutes: 90 } })
      const clock = new VirtualClock(T(0))
      const memory = makeMemoryScheduleStore()
      const { records, down } = settlesFail(memory)
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      clock.setTime(T(2, 0, 5))
      down.now = true
      yield* Effect.exit(a.alarm("hourly")) // makes 01 then 02 (stopping 01); the record save fails
      down.now = false
      assert.deepStrictEqual(yield* running, [id(2)])
      clock.setTime(T(2, 31))
      yield* a.alarm("hourly")
      assert.deepStrictEqual(yield* running, [id(2)], "02:00, the last start, still runs")
      assert.strictEqual((yield* a.get("hourly")).lastExecutionId, id(2))
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a tick delivered on two hosts after a trigger in its first seconds is the last execution: the next trigger stops it", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "cancel-previous" })
      const clock = new VirtualClock(T(0))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const c = yield* host()
      const { host: a, arm } = yield* actsAfterStart(host, c.alarm("hourly"))
      yield* a.start
      yield* c.start
      clock.setTime(T(1, 0, 5))
      yield* a.alarm("hourly")
      clock.setTime(T(2, 0, 2))
      yield* c.trigger("hourly") // settled before the 02:00 tick is delivered
      clock.setTime(T(2, 0, 5))
      arm()
      yield* a.alarm("hourly") // a makes 02:00; c delivers the same tick meanwhile
      assert.deepStrictEqual(yield* running, [id(2)])
      const last = (yield* a.get("hourly")).lastExecutionId
      clock.setTime(T(2, 30))
      const t = yield* a.trigger("hourly")
      assert.deepStrictEqual(yield* running, [t.executionId], `one runs (last was ${last})`)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a catch-up delivered on two hosts after a trigger in its last tick's first seconds leaves that tick running", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "cancel-previous", catchUp: { hours: 3 } })
      const clock = new VirtualClock(T(0))
      const memory = makeMemoryScheduleStore()
      const host = yield* hostsOf(entry, memory, clock)
      const client = yield* ExecutionClient
      const c = yield* host()
      const a = yield* host({
        ...client,
        start: (request) =>
          Effect.gen(function*() {
            const started = yield* client.start(request)
            if (request.executionId === id(2)) yield* Effect.orDie(c.alarm("hourly"))
            return started
          })
      })
      yield* a.start
      yield* c.start
      clock.setTime(T(2, 0, 2))
      yield* c.trigger("hourly")
      clock.setTime(T(2, 0, 5))
      yield* a.alarm("hourly") // 01:00 and 02:00 (catch-up); c delivers meanwhile, right after 02:00 is made
      assert.strictEqual((yield* running).length, 1, `one runs: ${JSON.stringify(yield* running)}`)
    }).pipe(Effect.provide(engine()), Effect.scoped))

  it.effect("a trigger overtaken on another host whose settle fails is stopped: the stored record says it was overtaken", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: job, cron: "0 * * * *", overlap: "cancel-previous" })
      const clock = new VirtualClock(T(0))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      let failA = false
      const inner = actsAfterSavedStart(memory, Effect.gen(function*() {
        clock.setTime(clock.currentTimeMillisUnsafe() + 5)
        yield* b.trigger("hourly")
        failA = true
      }))
      const records: ScheduleStoreShape = {
        load: memory.load,
        save: (r) => (failA ? Effect.fail(new StoreFailure({ operation: "save", reason: "store down" })) : inner.records.save(r))
      }
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(T(1, 0, 5))
      yield* b.alarm("hourly")
      clock.setTime(T(1, 10))
      inner.arm()
      yield* Effect.exit(a.trigger("hourly"))
      failA = false
      clock.setTime(T(2, 0, 5))
      yield* b.alarm("hourly")
      assert.deepStrictEqual(yield* running, [id(2)])
    }).pipe(Effect.provide(engine()), Effect.scoped))
})

describe("cancel-previous across hosts, a debounced function", () => {
  // Its starts wait 90 minutes in its queue (the engine's clock does not move here): a start meanwhile collapses into
  // the one waiting and answers with its id, so a trigger's execution is not always its own `<name>:trigger:<ms>`.
  const debounced = durable("job", async (_: unknown, ctx) => ctx.wait("hold", { minutes: 90 }), { debounce: { period: { minutes: 90 } } })
  const entry = schedule("hourly", { function: debounced, cron: "0 * * * *", overlap: "cancel-previous" })

  /** The ids of the executions not ended (waiting in the queue or running), sorted. */
  const live = Effect.gen(function*() {
    const client = yield* ExecutionClient
    const listed = yield* client.list({ functionName: "job" })
    return listed.items.filter((item) => item.status === "QUEUED" || item.status === "RUNNING").map((item) => item.executionId).sort()
  })

  it.effect("triggers on two hosts at once, the first one's start collapsing into the second's: the second runs", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const b = yield* (yield* hostsOf(entry, memory, clock))()
      let second: { readonly executionId: string; readonly outcome: string } | undefined
      // b's trigger (5 ms later) lands right after a's save of its trigger's start, before a makes it.
      const { records, arm } = actsAfterSavedStart(memory, Effect.gen(function*() {
        clock.setTime(clock.currentTimeMillisUnsafe() + 5)
        second = yield* b.trigger("hourly")
      }))
      const a = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 waits in the queue
      assert.deepStrictEqual(yield* live, [FIRST])
      clock.setTime(Date.UTC(2026, 0, 1, 1, 10))
      arm()
      const first = yield* a.trigger("hourly") // collapses into b's, which waits: a made no execution of its own
      assert.deepStrictEqual([first.outcome, second?.outcome], ["started", "started"])
      assert.strictEqual(first.executionId, second!.executionId, "a's start collapsed into b's execution")
      assert.deepStrictEqual(yield* live, [second!.executionId], "the trigger saved last runs")
      assert.strictEqual(yield* statusOf(FIRST), "STOPPED")
      assert.strictEqual((yield* a.get("hourly")).lastExecutionId, second!.executionId)
      assert.isUndefined((yield* memory.load("hourly"))!.starting)
    }).pipe(Effect.provide(engine(debounced)), Effect.scoped))

  it.effect("a trigger on one host and a tick on another right after the trigger's start is saved, the trigger's start collapsing into the tick's: the tick runs", () =>
    Effect.gen(function*() {
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const memory = makeMemoryScheduleStore()
      const a = yield* (yield* hostsOf(entry, memory, clock))()
      // a delivers the 02:00 tick right after b's save of its trigger's start, before b makes it.
      const { records, arm } = actsAfterSavedStart(memory, a.alarm("hourly"))
      const b = yield* (yield* hostsOf(entry, records, clock))()
      yield* a.start
      yield* b.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* a.alarm("hourly") // 01:00 waits in the queue
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      arm()
      const triggered = yield* b.trigger("hourly")
      assert.deepStrictEqual(triggered, { executionId: SECOND, outcome: "started" }, "b's start collapsed into the tick's execution")
      assert.deepStrictEqual(yield* live, [SECOND], "the tick, saved after the trigger's start, runs")
      assert.strictEqual(yield* statusOf(FIRST), "STOPPED")
      const view = yield* a.get("hourly")
      assert.deepStrictEqual([view.lastExecutionId, view.nextTickAt], [SECOND, Date.UTC(2026, 0, 1, 3)])
    }).pipe(Effect.provide(engine(debounced)), Effect.scoped))
})
