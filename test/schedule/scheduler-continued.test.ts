/**
 * A schedule's execution that continued as new (`ctx.continueAsNew`): its run ends CONTINUED_AS_NEW, but the
 * execution goes on in the next run (`<id>~2`). The overlap policies see the chain running, not the ended run.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ExecutionNotRunning } from "../../src/engine/engine-errors.ts"
import { Engine, ExecutionClient, type ExecutionClientShape, type ExecutionView } from "../../src/engine/index.ts"
import { durable, type DurableFunction, schedule } from "../../src/index.ts"
import { makeMemoryScheduleStore } from "../../src/schedule/index.ts"
import type { OverlapPolicy } from "../../src/schedule/schedule.ts"
import { scheduleStarts } from "../../src/schedule/schedule-starts.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { VirtualClock } from "../../src/testing/virtual-clock.ts"
import { engine, engineOver, hostsOf, running } from "./schedule-hosts.ts"

/** A job whose first run (input 1) continues as new at once; its second run (`<id>~2`) runs for 90 minutes. */
const continuing = durable("job", async (run: number, ctx) => {
  if (run === 1) return ctx.continueAsNew(2)
  await ctx.wait("hold", { minutes: 90 })
})

/** Twenty runs: 1 to 19 continue as new at once, the twentieth runs on. */
const long = durable("job", async (run: number, ctx) => {
  if (run < 20) return ctx.continueAsNew(run + 1)
  await ctx.wait("hold", { hours: 5 })
})

const FIRST = "hourly:2026-01-01T01:00:00Z"
const SECOND = "hourly:2026-01-01T02:00:00Z"

/**
 * A host of an hourly schedule under `overlap` (over `client_`: the engine's by default) whose 01:00 tick ran and
 * continued as new: `FIRST~2` runs.
 */
const continued = (overlap: OverlapPolicy, client_?: (client: ExecutionClientShape) => ExecutionClientShape) =>
  Effect.gen(function*() {
    const entry = schedule("hourly", { function: continuing, cron: "0 * * * *", overlap, input: 1 })
    const clock = new VirtualClock(Date.UTC(2026, 0, 1))
    const client = yield* ExecutionClient
    const host = yield* (yield* hostsOf(entry, makeMemoryScheduleStore(), clock))(client_?.(client))
    yield* host.start
    clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
    yield* host.alarm("hourly")
    assert.strictEqual((yield* client.awaitEnd(FIRST)).status, "CONTINUED_AS_NEW")
    assert.deepStrictEqual(yield* running, [`${FIRST}~2`])
    clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
    return { host, client }
  })

describe("a schedule's execution that continued as new", () => {
  it.effect("skip: the next tick is skipped while the chain's next run runs", () =>
    Effect.gen(function*() {
      const { host } = yield* continued("skip")
      yield* host.alarm("hourly")
      assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "no second chain beside the first")
      const view = yield* host.get("hourly")
      assert.deepStrictEqual([view.started, view.skipped, view.lastExecutionId], [1, 1, FIRST])
    }).pipe(Effect.provide(engine(continuing)), Effect.scoped))

  it.effect("cancel-previous: the next tick stops the chain's running run, then starts", () =>
    Effect.gen(function*() {
      const { client, host } = yield* continued("cancel-previous")
      yield* host.alarm("hourly")
      assert.deepStrictEqual(yield* running, [SECOND])
      const stopped = yield* client.describe(`${FIRST}~2`)
      assert.strictEqual(stopped.status, "STOPPED")
      assert.strictEqual(stopped.error?.errorType, "ScheduleOverlap")
    }).pipe(Effect.provide(engine(continuing)), Effect.scoped))

  it.effect("cancel-previous over a client whose stop does not follow the chain (the Worker's): the running run is stopped", () =>
    Effect.gen(function*() {
      // The Worker's stop goes to the object of the id asked, which holds only that run: an ended run is not running.
      const runOnly = (client: ExecutionClientShape): ExecutionClientShape => ({
        ...client,
        stop: (executionId, error, options) =>
          Effect.flatMap(client.describe(executionId), (view) =>
            view.status === "CONTINUED_AS_NEW" ? Effect.fail(new ExecutionNotRunning({ executionId, status: view.status })) : client.stop(executionId, error, options))
      })
      const { client, host } = yield* continued("cancel-previous", runOnly)
      yield* host.alarm("hourly")
      assert.deepStrictEqual(yield* running, [SECOND])
      assert.strictEqual((yield* client.describe(`${FIRST}~2`)).status, "STOPPED")
    }).pipe(Effect.provide(engine(continuing)), Effect.scoped))

  it.effect("buffer-one: the next tick waits for the chain to end, and is released once it has", () =>
    Effect.gen(function*() {
      const { client, host } = yield* continued("buffer-one")
      yield* host.alarm("hourly")
      assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "buffered, not started beside the chain")
      assert.deepStrictEqual((yield* host.get("hourly")).buffered, { tickAt: Date.UTC(2026, 0, 1, 2), executionId: SECOND })
      // Its watcher waits for the chain's end, not for the first run's (over already): nothing is released yet.
      for (let i = 0; i < 5; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      assert.deepStrictEqual(yield* running, [`${FIRST}~2`])
      yield* client.stop(`${FIRST}~2`, { errorType: "X", errorMessage: "ended" })
      for (let i = 0; i < 50 && (yield* running).length === 0; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      assert.deepStrictEqual(yield* running, [SECOND], "released when the chain ended, not held for the next tick")
    }).pipe(Effect.provide(engine(continuing)), Effect.scoped))

  it.effect("skip over a long chain: a later tick reads from the run last found, not the whole chain again", () =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: long, cron: "0 * * * *", overlap: "skip", input: 1 })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const client = yield* ExecutionClient
      let reads = 0
      const counting: ExecutionClientShape = { ...client, describe: (id) => Effect.andThen(Effect.sync(() => void reads++), client.describe(id)) }
      const host = yield* (yield* hostsOf(entry, makeMemoryScheduleStore(), clock))(counting)
      yield* host.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* host.alarm("hourly")
      for (let i = 0; i < 200 && !(yield* running).includes(`${FIRST}~20`); i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      assert.deepStrictEqual(yield* running, [`${FIRST}~20`])
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      reads = 0
      yield* host.alarm("hourly")
      const walked = reads
      clock.setTime(Date.UTC(2026, 0, 1, 3, 0, 5))
      reads = 0
      yield* host.alarm("hourly")
      assert.isAtLeast(walked, 20, "the first tick after the start walks the chain")
      assert.isAtMost(reads, 3, `the next reads from the run found (${reads} reads)`)
      assert.deepStrictEqual(yield* running, [`${FIRST}~20`])
      assert.strictEqual((yield* host.get("hourly")).skipped, 2)
    }).pipe(Effect.provide(engine(long)), Effect.scoped))

  it.effect("buffer-one over a client whose awaitEnd answers a run still going after a limit (the Worker's): released when the chain ends", () =>
    Effect.gen(function*() {
      // The Worker's awaitEnd answers after a minute with the run as it is; here after 10 ms.
      const limited = (client: ExecutionClientShape): ExecutionClientShape => ({
        ...client,
        awaitEnd: (executionId) => Effect.andThen(Effect.promise(() => new Promise((r) => setTimeout(r, 10))), client.describe(executionId))
      })
      const { client, host } = yield* continued("buffer-one", limited)
      yield* host.alarm("hourly")
      assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "buffered")
      for (let i = 0; i < 5; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      yield* client.stop(`${FIRST}~2`, { errorType: "X", errorMessage: "ended" })
      for (let i = 0; i < 100 && (yield* running).length === 0; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      // SECOND's chain (it continues as new at once too): released when the first chain ended, not at the next tick.
      const now = yield* running
      assert.isTrue(now.length === 1 && now[0]!.startsWith(SECOND), `running: ${now.join(", ")}`)
    }).pipe(Effect.provide(engine(continuing)), Effect.scoped))
})

describe("stopping a chain", () => {
  it.effect("follows a run that continued as new between the read and the stop", () =>
    Effect.gen(function*() {
      // FIRST continued as FIRST~2, read as running, which continues as FIRST~3 before the stop reaches it.
      const stops: Array<string> = []
      let moved = false
      const view = (executionId: string, status: string, continuedAs?: string) =>
        ({ executionId, functionName: "job", status, startedAt: 0, operations: [], ...(continuedAs === undefined ? {} : { continuedAs }) }) as unknown as ExecutionView
      const fake = {
        describe: (id: string) =>
          Effect.succeed(
            id === FIRST ? view(FIRST, "CONTINUED_AS_NEW", `${FIRST}~2`)
            : id === `${FIRST}~2` ? (moved ? view(id, "CONTINUED_AS_NEW", `${FIRST}~3`) : view(id, "RUNNING"))
            : view(id, "RUNNING")
          ),
        stop: (id: string) =>
          Effect.suspend(() => {
            stops.push(id)
            if (id === `${FIRST}~2`) {
              moved = true
              return Effect.fail(new ExecutionNotRunning({ executionId: id, status: "CONTINUED_AS_NEW" }))
            }
            return Effect.void
          })
      } as unknown as ExecutionClientShape
      const entry = schedule("hourly", { function: continuing, cron: "0 * * * *", overlap: "cancel-previous", input: 1 })
      yield* scheduleStarts(fake).stopAll(entry, [FIRST], "a test")
      assert.deepStrictEqual(stops, [`${FIRST}~2`, `${FIRST}~3`])
    }))
})


/**
 * Retention deletes a run that continued as new (14 days after it did, by default) while its chain goes on: a host
 * that has not walked the chain since (a restarted one) finds the chain's live run among the function's live
 * executions (`<first>~n`), instead of reading the chain as ended and starting a second one beside it.
 */
describe("a chain whose first run retention deleted, on a restarted host", () => {
  const deletedFirst = (
    overlap: OverlapPolicy,
    store: ReturnType<typeof makeMemoryStore>,
    fn: DurableFunction,
    client_?: (client: ExecutionClientShape) => ExecutionClientShape
  ) =>
    Effect.gen(function*() {
      const entry = schedule("hourly", { function: fn, cron: "0 * * * *", overlap, input: 1 })
      const clock = new VirtualClock(Date.UTC(2026, 0, 1))
      const hosts = yield* hostsOf(entry, makeMemoryScheduleStore(), clock)
      const before = yield* hosts()
      yield* before.start
      clock.setTime(Date.UTC(2026, 0, 1, 1, 0, 5))
      yield* before.alarm("hourly")
      assert.strictEqual((yield* (yield* ExecutionClient).awaitEnd(FIRST)).status, "CONTINUED_AS_NEW")
      assert.include(yield* running, `${FIRST}~2`) // (with a child of its own, maybe started already)
      yield* Effect.orDie(store.delete(FIRST)) // what retention does
      yield* (yield* Engine).evict(FIRST) // and a restarted host holds nothing of it in memory
      const restarted = yield* hosts(client_?.(yield* ExecutionClient))
      yield* restarted.start
      clock.setTime(Date.UTC(2026, 0, 1, 2, 0, 5))
      return { host: restarted, clock }
    })

  /** `test` on a host restarted after retention deleted FIRST (its chain goes on in FIRST~2), over an engine of `fn`. */
  const afterRetention = <A, E>(
    overlap: OverlapPolicy,
    test: (restarted: Effect.Success<ReturnType<typeof deletedFirst>>) => Effect.Effect<A, E, ExecutionClient | Engine>,
    fn: DurableFunction = continuing,
    client_?: (client: ExecutionClientShape) => ExecutionClientShape
  ) => {
    const store = makeMemoryStore()
    return deletedFirst(overlap, store, fn, client_).pipe(Effect.flatMap(test), Effect.provide(engineOver(store, fn)), Effect.scoped)
  }

  it.effect("skip: the next tick is skipped while the chain's live run runs", () =>
    afterRetention("skip", ({ host }) =>
      Effect.gen(function*() {
        yield* host.alarm("hourly")
        assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "no second chain beside the first")
        const view = yield* host.get("hourly")
        assert.deepStrictEqual([view.started, view.skipped], [1, 1])
      })))

  it.effect("cancel-previous: the next tick stops the chain's live run, then starts", () =>
    afterRetention("cancel-previous", ({ host }) =>
      Effect.gen(function*() {
        yield* host.alarm("hourly")
        assert.deepStrictEqual(yield* running, [SECOND])
        const client = yield* ExecutionClient
        assert.strictEqual((yield* client.describe(`${FIRST}~2`)).status, "STOPPED")
      })))

  it.effect("buffer-one: the next tick waits for the chain's live run to end", () =>
    afterRetention("buffer-one", ({ host }) =>
      Effect.gen(function*() {
        yield* host.alarm("hourly")
        assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "buffered, not started")
        assert.deepStrictEqual((yield* host.get("hourly")).buffered, { tickAt: Date.UTC(2026, 0, 1, 2), executionId: SECOND })
        const client = yield* ExecutionClient
        yield* client.stop(`${FIRST}~2`, { errorType: "X", errorMessage: "ended" })
        for (let i = 0; i < 50 && (yield* running).length === 0; i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
        assert.deepStrictEqual(yield* running, [SECOND], "released once the chain ended")
      })))

  it.effect("skip: a child the chain's run invoked (`<run>:invoke:…`, listed first) is not taken for the chain", () => {
    // Run 2 invokes a child (input 3) beside its own wait; the child is stopped later, the run goes on.
    const invoking = durable("job", async (run: number, ctx) => {
      if (run === 1) return ctx.continueAsNew(2)
      if (run === 2) await Promise.all([ctx.invoke("child", "job", 3).catch(() => undefined), ctx.wait("hold", { hours: 5 })])
      else await ctx.wait("hold", { hours: 5 })
    })
    return afterRetention("skip", ({ host, clock }) =>
      Effect.gen(function*() {
        let child: string | undefined
        for (let i = 0; i < 100 && child === undefined; i++) {
          child = (yield* running).find((id) => id.startsWith(`${FIRST}~2:`))
          if (child === undefined) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
        }
        assert.isDefined(child, "the run's child runs")
        yield* host.alarm("hourly")
        const client = yield* ExecutionClient
        yield* client.stop(child!, { errorType: "X", errorMessage: "stopped" })
        yield* (yield* ExecutionClient).awaitEnd(child!)
        clock.setTime(Date.UTC(2026, 0, 1, 3, 0, 5))
        yield* host.alarm("hourly")
        assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "no second chain beside the first")
        assert.deepStrictEqual([(yield* host.get("hourly")).started, (yield* host.get("hourly")).skipped], [1, 2])
      }), invoking)
  })

  it.effect("a listing that fails fails the delivery (tried again), rather than reading the chain as ended", () => {
    const failing = (client: ExecutionClientShape): ExecutionClientShape => ({
      ...client,
      list: () => Effect.fail(new StoreFailure({ operation: "list", reason: "connection lost" }))
    })
    return afterRetention("skip", ({ host }) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(host.alarm("hourly"))
        assert.strictEqual(exit._tag, "Failure")
        assert.deepStrictEqual(yield* running, [`${FIRST}~2`], "no second chain beside the first")
      }), continuing, failing)
  })
})
