import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import type { LogEvent } from "../../src/log/events.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const tags = (history: ReadonlyArray<LogEvent>) => history.map((e) => ("name" in e && e.name !== undefined ? `${e._tag}:${e.name}` : e._tag))

/** A promise the test resolves by hand. */
const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

describe("pause and resume (engine, on the test runner)", () => {
  it("a step running at the pause finishes and is recorded once; nothing new starts; a wait due while paused fires at resume; a callback completed while paused is kept", async () => {
    const slowGate = gate()
    const started = gate()
    const ran: Array<string> = []
    const fn = durable("paused-work", async (_: unknown, ctx) => {
      const [approval] = await ctx.createCallback("approval")
      const cooldown = ctx.wait("cooldown", { minutes: 5 })
      await ctx.step("slow", async () => {
        ran.push("slow")
        started.open()
        await slowGate.promise
        return "slow done"
      })
      await ctx.step("next", () => void ran.push("next"))
      await cooldown
      return { approval: await approval, ran: ran.length }
    })
    const runner = createTestRunner({ functions: [fn] })
    const id = "paused-1"
    await runner.engine((e) => e.start({ functionName: "paused-work", executionId: id }))
    await started.promise // the step body runs now
    await runner.engine((e) => e.pause(id))
    slowGate.open()
    const execution = await runner.execution(id)
    await runner.engine((e) => e.settle(id))
    await execution.refresh()
    assert.strictEqual(execution.status, "PAUSED")
    assert.deepStrictEqual(ran, ["slow"])
    assert.strictEqual(execution.getOperation("slow")!.status, "SUCCEEDED")
    assert.isUndefined(execution.getOperation("next"))

    // Ten minutes pass while paused: the five-minute wait does not fire.
    await execution.advanceTime({ minutes: 10 })
    assert.strictEqual(execution.getOperation("cooldown")!.status, "STARTED")
    assert.strictEqual(execution.status, "PAUSED")
    // A callback completed while paused is accepted and recorded.
    await runner.completeCallback(execution.getOperation("approval")!.callbackId!, { ok: true, result: "yes" })
    await execution.refresh()
    assert.strictEqual(execution.getOperation("approval")!.status, "SUCCEEDED")
    assert.deepStrictEqual(ran, ["slow"])
    const listed = await runner.engine((e) => e.list({ status: "PAUSED" }))
    assert.deepStrictEqual(listed.items.map((s) => [s.executionId, s.status]), [[id, "PAUSED"]])

    await execution.resume()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { approval: "yes", ran: 2 })
    assert.deepStrictEqual(ran, ["slow", "next"])
    const order = tags(execution.history)
    assert.deepStrictEqual(order.filter((t) => t.startsWith("StepSucceeded")), ["StepSucceeded:slow", "StepSucceeded:next"])
    const resumedAt = order.indexOf("ExecutionResumed")
    assert.isAbove(resumedAt, order.indexOf("CallbackSucceeded:approval"))
    assert.isAbove(order.indexOf("WaitSucceeded:cooldown"), resumedAt)
    assert.isAbove(order.indexOf("StepSucceeded:next"), resumedAt)
    // The wait fired at resume, not at its due time: the clock had gone ten minutes on.
    const waitEnd = execution.history.find((e) => e._tag === "WaitSucceeded")!
    const resumed = execution.history.find((e) => e._tag === "ExecutionResumed")!
    assert.strictEqual(waitEnd.at, resumed.at)
    assert.strictEqual((await runner.engine((e) => e.list({ status: "PAUSED" }))).items.length, 0)
    await runner.dispose()
  })

  it("no new operation of any kind starts while paused: the wait, callback and child context after a step wait for the resume", async () => {
    const slowGate = gate()
    const started = gate()
    const fn = durable("paused-kinds", async (_: unknown, ctx) => {
      await ctx.step("slow", async () => {
        started.open()
        await slowGate.promise
      })
      const [answer] = await ctx.createCallback("late")
      await ctx.wait("later", { minutes: 1 })
      const inner = await ctx.runInChildContext("child", async () => "inner")
      return [await answer, inner]
    })
    const runner = createTestRunner({ functions: [fn] })
    const id = "paused-kinds-1"
    await runner.engine((e) => e.start({ functionName: "paused-kinds", executionId: id }))
    await started.promise
    await runner.engine((e) => e.pause(id))
    slowGate.open()
    await runner.engine((e) => e.settle(id))
    const execution = await runner.execution(id, { callbacks: { late: () => ({ succeed: "ok" }) } })
    // The step's outcome and the pause, in either order; nothing else.
    assert.deepStrictEqual(tags(execution.history).slice(1).sort(), ["ExecutionPaused", "StepSucceeded:slow"])
    await execution.resume()
    await execution.settle()
    assert.deepStrictEqual(execution.result, ["ok", "inner"])
    const order = tags(execution.history)
    assert.isAbove(order.indexOf("CallbackStarted:late"), order.indexOf("ExecutionResumed"))
    await runner.dispose()
  })

  it("a paused execution evicted from memory stays paused through replay, and resumes by replay", async () => {
    const ran: Array<string> = []
    const fn = durable("paused-evicted", async (_: unknown, ctx) => {
      await ctx.step("a", () => void ran.push("a"))
      await ctx.wait("w", { minutes: 1 })
      await ctx.step("b", () => void ran.push("b"))
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("paused-evicted")
    await execution.pause()
    await execution.evict()
    await execution.advanceTime({ minutes: 2 }) // the alarm wakes a fresh actor: it replays and stays paused
    assert.strictEqual(execution.status, "PAUSED")
    assert.strictEqual(execution.getOperation("w")!.status, "STARTED")
    assert.deepStrictEqual(ran, ["a"])
    await execution.evict()
    await execution.resume()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(ran, ["a", "b"])
    await runner.dispose()
  })

  it("a handler that returns while paused ends only on resume, also after an eviction", async () => {
    const fn = durable("paused-end", async (_: unknown, ctx) => {
      const [answer] = await ctx.createCallback("answer")
      return { answer: await answer }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("paused-end")
    await execution.pause()
    await runner.completeCallback(execution.getOperation("answer")!.callbackId!, { ok: true, result: "ok" })
    await runner.engine((e) => e.settle(execution.executionId))
    await execution.refresh()
    assert.strictEqual(execution.status, "PAUSED")
    assert.strictEqual(execution.history.at(-1)!._tag, "CallbackSucceeded")
    await execution.evict()
    await execution.resume()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { answer: "ok" })
    await runner.dispose()
  })

  it("a retry that falls due while paused waits for the resume", async () => {
    let attempts = 0
    const fn = durable("paused-retry", async (_: unknown, ctx) =>
      ctx.step("flaky", () => {
        attempts++
        if (attempts === 1) throw new Error("first attempt fails")
        return attempts
      }))
    const runner = createTestRunner({ functions: [fn], skipTime: false })
    const execution = await runner.start("paused-retry")
    assert.strictEqual(execution.getOperation("flaky")!.status, "PENDING")
    await execution.pause()
    await execution.advanceTime({ minutes: 10 })
    assert.strictEqual(attempts, 1)
    await execution.resume()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(attempts, 2)
    await runner.dispose()
  })

  it("refuses wrong states with typed errors and writes nothing for them", async () => {
    const fn = durable("paused-states", async (_: unknown, ctx) => {
      await ctx.wait("w", { minutes: 1 })
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("paused-states")
    const failure = (run: Promise<unknown>) => run.then(() => undefined, (error: { _tag?: string; message?: string }) => [error._tag, error.message])
    assert.deepStrictEqual(await failure(execution.resume()), ["ExecutionNotPaused", `Execution "paused-states-1" is RUNNING, not PAUSED`])
    await execution.pause()
    const length = execution.history.length
    assert.deepStrictEqual(await failure(execution.pause()), ["ExecutionNotRunning", `Execution "paused-states-1" is PAUSED, not RUNNING`])
    assert.strictEqual((await execution.refresh()).history.length, length)
    await execution.resume()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(await failure(execution.pause()), ["ExecutionNotRunning", `Execution "paused-states-1" is SUCCEEDED, not RUNNING`])
    assert.deepStrictEqual(await failure(execution.resume()), ["ExecutionNotPaused", `Execution "paused-states-1" is SUCCEEDED, not PAUSED`])
    assert.deepStrictEqual(await failure(runner.engine((e) => e.pause("nobody"))), ["ExecutionNotFound", `No execution "nobody"`])
    await runner.dispose()
  })
})
