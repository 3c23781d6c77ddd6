/**
 * reprise/effect when user code is abandoned (Session.left): the fibers of child contexts and branches are
 * interrupted as the function's is, a step body still running keeps the services it uses until it ends, no step
 * body starts from a finalizer, and a replay check releases what the replayed code acquired.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as Durable from "../../src/effect/index.ts"
import { createTestRunner, replayCheck } from "../../src/testing/index.ts"
import { until } from "./scoped-function.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A resource held in the calling scope; `events` tells its acquire and release. */
const held = (events: Array<string>) =>
  Effect.acquireRelease(Effect.sync(() => void events.push("acquire")), () => Effect.sync(() => void events.push("release")))

/** Holds the resource across a three-day wait. */
const holdAndWait = (events: Array<string>) =>
  Effect.scoped(Effect.gen(function*() {
    yield* held(events)
    yield* Durable.wait("long", { days: 3 })
    return "woke"
  }))

describe("reprise/effect: user code left behind", () => {
  it("an eviction releases what a child context holds", async () => {
    const events: Array<string> = []
    const runner = createTestRunner({ functions: [Durable.make("child-held", () => Durable.childContext("c", holdAndWait(events)))] })
    const execution = await runner.start("child-held")
    assert.deepStrictEqual(events, ["acquire"])
    await execution.evict()
    await until(() => events.includes("release"), "the release")
    assert.deepStrictEqual(events, ["acquire", "release"])
    await runner.dispose()
  })

  it("an eviction releases what a parallel branch holds", async () => {
    const events: Array<string> = []
    const runner = createTestRunner({ functions: [Durable.make("branch-held", () => Durable.parallel("p", [{ name: "a", run: holdAndWait(events) }]))] })
    const execution = await runner.start("branch-held")
    await execution.evict()
    await until(() => events.includes("release"), "the release")
    assert.deepStrictEqual(events, ["acquire", "release"])
    await runner.dispose()
  })

  it("a stop releases what a parallel branch holds, and nothing is written after the stop", async () => {
    const events: Array<string> = []
    const fn = Durable.make("branch-stopped", () =>
      Durable.parallel("p", [
        { name: "a", run: holdAndWait(events) },
        { name: "b", run: Durable.childContext("inner", Durable.wait("longer", { days: 4 }).pipe(Effect.as("woke"))) }
      ]))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("branch-stopped")
    await execution.stop()
    await until(() => events.includes("release"), "the release")
    await sleep(50)
    await execution.refresh()
    assert.deepStrictEqual(events, ["acquire", "release"])
    assert.strictEqual(execution.status, "STOPPED")
    assert.strictEqual(execution.history.at(-1)?._tag, "ExecutionStopped")
    await runner.dispose()
  })

  it("evicted while a step body runs: the services the body uses are released only once it ends", async () => {
    const events: Array<string> = []
    class Db extends Context.Service<Db, { readonly query: () => string }>()("test/LeaveDb") {}
    let open = false
    const pool = Layer.effect(Db, Effect.acquireRelease(
      Effect.sync(() => (open = true, events.push("acquire"), { query: () => (open ? "row" : "POOL CLOSED") })),
      () => Effect.sync(() => (open = false, void events.push("release")))
    ))
    let letGo!: () => void
    const gate = new Promise<void>((resolve) => (letGo = resolve))
    const fn = Durable.make("body-uses-db", () =>
      Durable.step("query", Effect.gen(function*() {
        events.push("body starts")
        yield* Effect.promise(() => gate)
        const row = (yield* Db).query()
        events.push(`body reads: ${row}`)
        return row
      })).pipe(Effect.provide(pool)))
    const runner = createTestRunner({ functions: [fn] })
    await runner.begin("body-uses-db", undefined, { executionId: "q" })
    await until(() => events.includes("body starts"), "the body")
    await runner.engine((e) => e.evict("q"))
    await sleep(20)
    assert.deepStrictEqual(events, ["acquire", "body starts"], "nothing released while the body runs")
    letGo()
    await until(() => events.includes("release"), "the release")
    assert.deepStrictEqual(events.slice(0, 4), ["acquire", "body starts", "body reads: row", "release"])
    await runner.dispose()
  })

  it("no step body starts from a finalizer once the actor left memory: evicted, or its runner closed", async () => {
    const ran: Array<string> = []
    const fn = (name: string) =>
      Durable.make(name, () =>
        Durable.wait("long", { days: 3 }).pipe(
          Effect.onInterrupt(() => Durable.step("cleanup", Effect.sync(() => void ran.push(`${name} cleanup body`))).pipe(Effect.ignore))
        ))
    const evicted = createTestRunner({ functions: [fn("evicted")] })
    await (await evicted.start("evicted")).evict()
    await sleep(50)
    await evicted.dispose()
    const closed = createTestRunner({ functions: [fn("closed")] })
    await closed.start("closed")
    await closed.dispose()
    await sleep(50)
    assert.deepStrictEqual(ran, [])
  })

  it("replayCheck releases what the replayed code acquired once the check is over", async () => {
    const events: Array<string> = []
    const fn = Durable.make("check-held", () => holdAndWait(events))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("check-held")
    await execution.stop()
    await until(() => events.length === 2, "the stop's release")
    const [report] = await replayCheck([fn], [execution.history])
    assert.strictEqual(report!.verdict, "replays cleanly")
    await until(() => events.length === 4, "the check's release")
    assert.deepStrictEqual(events, ["acquire", "release", "acquire", "release"])
    await runner.dispose()
  })
})
