import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { durable } from "../../src/index.ts"
import { Engine } from "../../src/engine/engine.ts"
import type { InvokerShape } from "../../src/engine/invoker.ts"
import { ExecutionAlreadyExists, ExecutionNotEnded, ExecutionNotFound, ExecutionNotRunning, FunctionNotFound, InvalidRequest } from "../../src/engine/engine-errors.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { fixedStart } from "../testing/fixed-start.ts"
import { rejects } from "../rejects.ts"

const waiter = durable("waiter", async (input: { days: number }, ctx) => {
  await ctx.step("begin", async () => "begun")
  await ctx.wait("long", { days: input.days })
  return "woke"
}, { executionTimeout: { days: 10 }, retention: { days: 2 } })

describe("the engine", () => {
  it("refuses a function named with digits alone: its keyed ids (`b~2`) would be a continueAsNew run's", () => {
    assert.throws(() => durable("2", async () => 1), /not digits alone/)
    assert.doesNotThrow(() => durable("v2", async () => 1))
  })

  it("records a thrown error as the execution's failure, with the user's frames of its stack", async () => {
    const fn = durable("throws", async () => {
      throw new RangeError("quantity must be positive")
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("throws")
    assert.strictEqual(execution.status, "FAILED")
    assert.deepInclude(execution.error, { errorType: "RangeError", errorMessage: "quantity must be positive" })
    assert.include(execution.error?.stackTrace?.[0] ?? "", "engine.test.ts:")
    await runner.dispose()
  })

  it("stops a running execution: nothing of it runs afterwards", async () => {
    let after = 0
    const fn = durable("stoppable", async (_: unknown, ctx) => {
      await ctx.wait({ hours: 1 })
      await ctx.step("after", async () => after++)
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.start("stoppable")
    await execution.stop({ errorMessage: "cancelled by operator" })
    assert.strictEqual(execution.status, "STOPPED")
    assert.deepStrictEqual(execution.error, { errorType: "Stopped", errorMessage: "cancelled by operator" })
    await execution.advanceTime({ hours: 2 })
    assert.strictEqual(after, 0)
    assert.strictEqual(execution.history.at(-1)?._tag, "ExecutionStopped")
    assert.instanceOf(await rejects(execution.stop()), ExecutionNotRunning)
    await runner.dispose()
  })

  it("times an execution out at its execution timeout", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [waiter] })
    const execution = await runner.start("waiter", { days: 30 })
    await execution.advanceTime({ days: 10 })
    assert.strictEqual(execution.status, "TIMED_OUT")
    assert.strictEqual(execution.history.at(-1)?._tag, "ExecutionTimedOut")
    await runner.dispose()
  })

  it("deletes a finished execution's history after its retention period", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [waiter] })
    const execution = await runner.run("waiter", { days: 1 })
    assert.strictEqual(execution.status, "SUCCEEDED")
    await execution.advanceTime({ days: 1 })
    assert.strictEqual((await execution.refresh()).status, "SUCCEEDED", "kept during the retention period")
    assert.instanceOf(await rejects(execution.advanceTime({ days: 1 })), ExecutionNotFound)
    await runner.dispose()
  })

  it("deletes an ended execution on request, as its retention would: gone from reads, the listing and memory, its id free again", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [waiter] })
    const execution = await runner.run("waiter", { days: 1 }, { executionId: "order-7" })
    assert.strictEqual(execution.status, "SUCCEEDED")
    await runner.engine((e) => e.delete(execution.executionId))
    assert.instanceOf(await rejects(runner.engine((e) => e.describe(execution.executionId))), ExecutionNotFound)
    assert.isFalse(runner.probe((p) => p.inMemory(execution.executionId)), "the actor went with it")
    assert.notInclude((await runner.engine((e) => e.list({}))).items.map((row) => row.executionId), execution.executionId)
    assert.instanceOf(await rejects(runner.engine((e) => e.delete(execution.executionId))), ExecutionNotFound, "a second delete finds nothing")
    const again = await runner.engine((e) => e.start({ functionName: "waiter", input: { days: 2 }, executionId: "order-7" }))
    assert.isTrue(again.created, "the id names a new execution, as after retention (even with another input)")
    await runner.dispose()
  })

  it("refuses to delete an execution that has not ended, running or paused, and leaves it as it was", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [waiter] })
    const execution = await runner.start("waiter", { days: 1 })
    const refused = await rejects(runner.engine((e) => e.delete(execution.executionId)))
    assert.instanceOf(refused, ExecutionNotEnded)
    assert.match((refused as ExecutionNotEnded).message, /is RUNNING: only an ended execution can be deleted; stop it first/)
    await runner.engine((e) => e.pause(execution.executionId))
    assert.strictEqual(((await rejects(runner.engine((e) => e.delete(execution.executionId)))) as ExecutionNotEnded).status, "PAUSED")
    await runner.engine((e) => e.resume(execution.executionId))
    await execution.advanceTime({ days: 1 })
    assert.strictEqual(execution.status, "SUCCEEDED", "it went on to its end")
    await runner.dispose()
  })

  it("refuses to delete an ended child until its parent has had its outcome (a parent reloaded meanwhile would start it anew)", async () => {
    const child = durable("child", async () => "done")
    let tell!: () => void
    const told = new Promise<void>((resolve) => (tell = resolve))
    const invoker: InvokerShape = {
      start: () => Effect.die("unused"),
      outcome: () => Effect.succeed(undefined),
      childFinished: () => Effect.promise(() => told), // the parent's host is slow to answer
      stop: () => Effect.void
    }
    const runtime = ManagedRuntime.make(Engine.layer({ functions: [child], invoker }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore()))))
    const run = <A, E>(f: (e: Engine["Service"]) => Effect.Effect<A, E>) => runtime.runPromise(Engine.use(f))
    await run((e) => e.start({ functionName: "child", executionId: "p:invoke:1", parent: { executionId: "p", operationId: "1" } }))
    assert.strictEqual((await run((e) => e.awaitEnd("p:invoke:1"))).status, "SUCCEEDED")
    const refused = await rejects(run((e) => e.delete("p:invoke:1")))
    assert.instanceOf(refused, ExecutionNotEnded)
    assert.match((refused as ExecutionNotEnded).message, /its parent "p" has not had its outcome yet; try again in a moment/)
    tell()
    let deleted = false
    for (let i = 0; i < 200 && !deleted; i++) {
      deleted = (await runtime.runPromiseExit(Engine.use((e) => e.delete("p:invoke:1"))))._tag === "Success"
      if (!deleted) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    assert.isTrue(deleted, "deleted once the parent was told")
    assert.instanceOf(await rejects(run((e) => e.describe("p:invoke:1"))), ExecutionNotFound)
    await runtime.dispose()
  })

  it("refuses to delete an ended child whose parent could not be told its outcome (the telling failed), and tells it again", async () => {
    const child = durable("child", async () => "done")
    let tells = 0
    const invoker: InvokerShape = {
      start: () => Effect.die("unused"),
      outcome: () => Effect.succeed(undefined),
      // The parent's host is busy elsewhere (a hand-over refused): the outcome did not reach it.
      childFinished: () => Effect.suspend(() => (tells++, Effect.fail(new StoreFailure({ operation: "handOver", reason: "busy on another host" })))),
      stop: () => Effect.void
    }
    const runtime = ManagedRuntime.make(Engine.layer({ functions: [child], invoker }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore()))))
    const run = <A, E>(f: (e: Engine["Service"]) => Effect.Effect<A, E>) => runtime.runPromise(Engine.use(f))
    await run((e) => e.start({ functionName: "child", executionId: "p:invoke:1", parent: { executionId: "p", operationId: "1" } }))
    assert.strictEqual((await run((e) => e.awaitEnd("p:invoke:1"))).status, "SUCCEEDED")
    for (let i = 0; i < 200 && tells === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.strictEqual(tells, 1, "the parent was asked once, and refused")
    await run((e) => e.settle("p:invoke:1")) // the failed telling is over by now
    const refused = await rejects(run((e) => e.delete("p:invoke:1")))
    assert.instanceOf(refused, ExecutionNotEnded, "a parent reloaded after the delete would start the child anew")
    assert.strictEqual((refused as ExecutionNotEnded).parentNotTold, "p")
    const alarm = await run((e) => e.alarm("p:invoke:1"))
    assert.isTrue(alarm)
    for (let i = 0; i < 200 && tells < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.strictEqual(tells, 2, "its alarm tells the parent again")
    await runtime.dispose()
  })

  it("refuses to delete a run that continued as new while its chain still runs (its id is how the chain is reached)", async () => {
    const loop = durable("loop", async (input: { n: number }, ctx) => {
      if (input.n < 1) return ctx.continueAsNew({ n: input.n + 1 })
      await ctx.wait("w", { days: 1 })
      return input.n
    })
    const runner = createTestRunner({ ...fixedStart, functions: [loop] })
    const execution = await runner.start("loop", { n: 0 }, { executionId: "job-1" })
    for (let i = 0; i < 200 && execution.status !== "CONTINUED_AS_NEW"; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.strictEqual(execution.status, "CONTINUED_AS_NEW")
    const refused = await rejects(runner.engine((e) => e.delete("job-1")))
    assert.instanceOf(refused, ExecutionNotEnded, "deleted, job-1 would be 404 (stop could no longer reach job-1~2) and a start under its name would join the old chain")
    assert.deepInclude(refused, { executionId: "job-1~2", status: "RUNNING" })
    assert.strictEqual((await runner.engine((e) => e.describe("job-1"))).status, "CONTINUED_AS_NEW", "kept")
    await runner.engine((e) => e.stop("job-1"))
    await runner.engine((e) => e.delete("job-1"))
    assert.instanceOf(await rejects(runner.engine((e) => e.describe("job-1"))), ExecutionNotFound, "deleted once the chain ended")
    assert.instanceOf(await rejects(runner.engine((e) => e.describe("job-1~2"))), ExecutionNotFound, "and its later run with it")
    await runner.dispose()
  })

  it("deletes the children an execution invoked with it: a start under its name then runs them anew, not takes their old outcomes", async () => {
    let charges = 0
    const charge = durable("charge", async (input: { euros: number }, ctx) => await ctx.step("pay", async () => (charges++, input.euros)))
    const order = durable("order", async (input: { euros: number }, ctx) => await ctx.invoke("charge", "charge", input))
    const runner = createTestRunner({ ...fixedStart, functions: [order, charge] })
    assert.strictEqual((await runner.run("order", { euros: 5 }, { executionId: "order-7" })).expectSucceeded(), 5)
    const childId = (await runner.engine((e) => e.describe("order-7"))).operations.find((op) => op.type === "CHAINED_INVOKE")!.childExecutionId!
    await runner.engine((e) => e.delete("order-7"))
    assert.instanceOf(await rejects(runner.engine((e) => e.describe(childId))), ExecutionNotFound, "the child went with its parent")
    assert.strictEqual((await runner.run("order", { euros: 5 }, { executionId: "order-7" })).expectSucceeded(), 5)
    assert.strictEqual(charges, 2, "the new order's child ran its step: it did not take the deleted child's outcome")
    await runner.dispose()
  })

  it("refuses to delete an ended execution whose invoked child still runs, naming the child, and keeps both", async () => {
    const child = durable("slow-child", async (_: unknown, ctx) => {
      await ctx.wait("w", { days: 1 })
      return "late"
    })
    // Starts the child and ends without waiting for it.
    const parent = durable("impatient", async (_: unknown, ctx) => {
      void ctx.invoke("child", "slow-child", {})
      await ctx.step("after", async () => "done")
      return "ended"
    })
    const runner = createTestRunner({ ...fixedStart, functions: [parent, child], skipTime: false })
    assert.strictEqual((await runner.run("impatient", {}, { executionId: "p-9" })).expectSucceeded(), "ended")
    const childId = (await runner.engine((e) => e.describe("p-9"))).operations.find((op) => op.type === "CHAINED_INVOKE")!.childExecutionId!
    const refused = await rejects(runner.engine((e) => e.delete("p-9")))
    assert.instanceOf(refused, ExecutionNotEnded)
    assert.deepInclude(refused, { executionId: childId, status: "RUNNING" })
    assert.strictEqual((await runner.engine((e) => e.describe("p-9"))).status, "SUCCEEDED", "the parent is kept")
    await runner.dispose()
  })

  it("makes a start with the same id idempotent, and refuses the id for another input or function", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [waiter] })
    const first = await runner.engine((e) => e.start({ functionName: "waiter", input: { days: 1 }, executionId: "order-42" }))
    const again = await runner.engine((e) => e.start({ functionName: "waiter", input: { days: 1 }, executionId: "order-42" }))
    assert.deepStrictEqual([first.created, again.created], [true, false])
    assert.instanceOf(await rejects(runner.engine((e) => e.start({ functionName: "waiter", input: { days: 2 }, executionId: "order-42" }))), ExecutionAlreadyExists)
    assert.strictEqual((await runner.engine((e) => e.history("order-42"))).filter((e) => e._tag === "ExecutionStarted").length, 1)
    await runner.dispose()
  })

  it("refuses unknown functions and oversized or unserialisable input before writing anything", async () => {
    const runner = createTestRunner({ ...fixedStart, functions: [waiter] })
    assert.instanceOf(await rejects(runner.engine((e) => e.start({ functionName: "nope" }))), FunctionNotFound)
    const big = await rejects(runner.engine((e) => e.start({ functionName: "waiter", input: "x".repeat(300_000), executionId: "big" })))
    assert.instanceOf(big, InvalidRequest)
    assert.include((big as InvalidRequest).message, "262144-byte payload limit")
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    assert.instanceOf(await rejects(runner.engine((e) => e.start({ functionName: "waiter", input: cyclic, executionId: "cyclic" }))), InvalidRequest)
    assert.instanceOf(await rejects(runner.engine((e) => e.describe("big"))), ExecutionNotFound)
    assert.instanceOf(await rejects(runner.engine((e) => e.describe("cyclic"))), ExecutionNotFound)
    await runner.dispose()
  })

  it("makes a stale actor reload when another actor has written to its log (conditional appends)", async () => {
    let notified = 0
    const fn = durable("shared", async (_: unknown, ctx) => {
      const [reply] = await ctx.createCallback("ok")
      await ctx.step("notify", async () => notified++)
      return await reply
    })
    const store = makeMemoryStore()
    const layer = Engine.layer({ functions: [fn] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store)))
    const a = ManagedRuntime.make(layer)
    const b = ManagedRuntime.make(layer.pipe(Layer.fresh))
    const run = async <A, E>(rt: typeof a, f: (e: Engine["Service"]) => Effect.Effect<A, E>) => {
      const exit = await rt.runPromiseExit(Engine.use(f))
      if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
      return exit.value
    }
    await run(a, (e) => e.start({ functionName: "shared", executionId: "x" }))
    await run(a, (e) => e.settle("x"))
    const callbackId = (await run(a, (e) => e.describe("x"))).operations.find((op) => op.type === "CALLBACK")!.callbackId!

    // Engine B completes the callback: it loads the log cold and finishes the execution.
    await run(b, (e) => e.completeCallback(callbackId, { ok: true, result: "from B" }))
    const ended = await run(b, (e) => e.awaitEnd("x"))
    assert.strictEqual(ended.status, "SUCCEEDED")

    // Engine A's actor is stale: its write conflicts, it reloads, and then sees the execution has ended.
    assert.instanceOf(await rejects(run(a, (e) => e.stop("x"))), ExecutionNotRunning)
    const history = await run(a, (e) => e.history("x"))
    assert.deepStrictEqual(history.map((e) => e.seq), history.map((_, i) => i + 1))
    assert.strictEqual(history.filter((e) => e._tag === "ExecutionSucceeded").length, 1)
    assert.strictEqual(notified, 1)
    await a.dispose()
    await b.dispose()
  })
})

describe("the actor cache", () => {
  it("evicts suspended and finished executions, never running ones, and reloads them on their next event", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const sleeper = durable("sleeper", async (_: unknown, ctx) => {
      await ctx.wait({ hours: 1 })
      return "rested"
    })
    const busy = durable("busy", async (_: unknown, ctx) => await ctx.step("slow", async () => {
      await gate
      return "done"
    }))
    const quick = durable("quick", async () => "at once")
    const runner = createTestRunner({ ...fixedStart, functions: [sleeper, busy, quick] })
    const sleeping = await Promise.all([1, 2, 3].map(() => runner.start("sleeper")))
    const working = await runner.engine((e) => e.start({ functionName: "busy", executionId: "busy-1" }))
    await runner.run("quick")
    assert.strictEqual(runner.probe((p) => p.actorCount()), 5)

    assert.strictEqual(await runner.engine((e) => e.evictIdle()), 4)
    assert.isTrue(runner.probe((p) => p.inMemory(working.executionId)))
    for (const s of sleeping) {
      assert.isFalse(runner.probe((p) => p.inMemory(s.executionId)))
      assert.strictEqual(await runner.alarmOf(s.executionId), Date.UTC(2026, 0, 1, 1), "the alarm is the wait's end, not a watchdog")
      await s.settle()
      assert.strictEqual(s.result, "rested")
    }
    release()
    const view = await runner.engine((e) => e.awaitEnd("busy-1"))
    assert.strictEqual(view.result, JSON.stringify("done"))
    await runner.dispose()
  })
})
