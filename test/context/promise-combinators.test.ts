import { assert, describe, it } from "@effect/vitest"
import { durable, PromiseCombinatorError, retryPresets, StepError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { fixedStart } from "../testing/fixed-start.ts"

const noRetry = { retryStrategy: retryPresets.noRetry }

/** An error as plain data, so that a warm and a cold run can be compared. */
const describeError = (error: unknown) => {
  const e = error as Error
  return { name: e.name, message: e.message, cause: (e.cause as Error | undefined)?.name }
}

const describeSettled = (result: PromiseSettledResult<unknown>) =>
  result.status === "fulfilled" ? result : { status: result.status, reason: describeError(result.reason) }

describe("ctx.promise", () => {
  it("race(step, 60-second wait) returns the step's value, recorded as a RunInChildContext operation", async () => {
    const fn = durable("race", async (_: unknown, ctx) => {
      const quote = ctx.step("fetch-quote", async () => ({ price: 42 }))
      const timeout = ctx.wait("timeout", { seconds: 60 })
      return await ctx.promise.race("quote-or-timeout", [quote, timeout])
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("race")
    assert.deepStrictEqual(execution.result, { price: 42 })
    const op = execution.getOperation("quote-or-timeout")!
    assert.deepStrictEqual([op.id, op.type, op.subType, op.status], ["3", "CONTEXT", "RunInChildContext", "SUCCEEDED"])
    assert.deepStrictEqual(op.result, { price: 42 })
    assert.strictEqual(execution.now.getTime(), Date.UTC(2026, 0, 1), "the wait was not waited for")
    await runner.dispose()
  })

  it("allSettled reports fulfilled and rejected items; rejections come back as their error classes", async () => {
    const fn = durable("settled", async (_: unknown, ctx) => {
      const results = await ctx.promise.allSettled([
        ctx.step("reserve", async () => "reserved"),
        ctx.step("charge", async () => {
          throw new Error("card declined")
        }, noRetry),
        ctx.wait({ seconds: 5 })
      ])
      const reason = results[1]!.status === "rejected" ? results[1]!.reason : undefined
      return { results: results.map(describeSettled), isStepError: reason instanceof StepError }
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("settled")
    assert.deepStrictEqual(execution.result, {
      results: [
        { status: "fulfilled", value: "reserved" },
        { status: "rejected", reason: { name: "StepError", message: "card declined", cause: "Error" } },
        { status: "fulfilled" }
      ],
      isStepError: true
    })
    await runner.dispose()
  })

  it("any with every promise rejected fails with PromiseCombinatorError", async () => {
    const fn = durable("any", async (_: unknown, ctx) => {
      const a = ctx.step("mirror-a", async () => Promise.reject(new Error("a is down")), noRetry)
      const b = ctx.step("mirror-b", async () => Promise.reject(new Error("b is down")), noRetry)
      try {
        return await ctx.promise.any("first-mirror", [a, b])
      } catch (error) {
        return { ...describeError(error), isCombinatorError: error instanceof PromiseCombinatorError }
      }
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("any")
    assert.deepStrictEqual(execution.result, {
      name: "PromiseCombinatorError",
      message: "All promises were rejected",
      cause: "AggregateError",
      isCombinatorError: true
    })
    assert.strictEqual(execution.getOperation("first-mirror")?.status, "FAILED")
    await runner.dispose()
  })

  it("all rejects with the first rejection in time, not in array order", async () => {
    const fn = durable("all", async (_: unknown, ctx) => {
      const slow = ctx.step("slow", async () => Promise.reject(new Error("slow failure")), {
        retryStrategy: (_e, attempt) => ({ shouldRetry: attempt < 3, delay: { minutes: 1 } })
      })
      const fast = ctx.step("fast", async () => Promise.reject(new Error("fast failure")), noRetry)
      try {
        await ctx.promise.all([slow, fast])
        return "all fulfilled"
      } catch (error) {
        return describeError(error)
      }
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("all")
    assert.deepStrictEqual(execution.result, { name: "PromiseCombinatorError", message: "fast failure", cause: "StepError" })
    await runner.dispose()
  })

  it("gives the same outcomes after cold replays as warm, with no unhandled rejection", async () => {
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)
    try {
      const fn = durable("combos", async (_: unknown, ctx) => {
        const ok = ctx.step("ok", async () => "fine")
        const bad = ctx.step("bad", async () => Promise.reject(new Error("boom")), noRetry)
        const slow = ctx.wait("slow", { minutes: 1 })
        void ctx.promise.all("ignored", [bad]) // rejected, never awaited
        const settled = await ctx.promise.allSettled("settled", [ok, bad, slow])
        const first = await ctx.promise.any("first", [bad, ok])
        const raced = await ctx.promise.race("raced", [ok, ctx.wait("long", { hours: 1 })])
        const failures = []
        for (const attempt of [() => ctx.promise.all("all", [ok, bad]), () => ctx.promise.any("none", [bad, bad])]) {
          try {
            await attempt()
          } catch (error) {
            failures.push(describeError(error))
          }
        }
        await ctx.wait("pause", { hours: 2 })
        return { settled: settled.map(describeSettled), first, raced, failures }
      })
      const runner = createTestRunner({ ...fixedStart, functions: [fn] })
      const warm = await runner.run("combos")
      assert.strictEqual(warm.invocations, 1)

      const cold = await runner.start("combos")
      await cold.evict()
      await cold.advanceTime({ minutes: 1 }) // replay 1: the combinators run on replayed operations
      assert.strictEqual(cold.getOperation("none")?.status, "FAILED")
      await cold.evict()
      await cold.settle() // replay 2: the combinators return their recorded outcomes
      assert.strictEqual(cold.invocations, 3)
      assert.strictEqual(cold.status, "SUCCEEDED")
      assert.deepStrictEqual(cold.result, warm.result)
      assert.deepStrictEqual(warm.result, {
        settled: [
          { status: "fulfilled", value: "fine" },
          { status: "rejected", reason: { name: "StepError", message: "boom", cause: "Error" } },
          { status: "fulfilled" }
        ],
        first: "fine",
        raced: "fine",
        failures: [
          { name: "PromiseCombinatorError", message: "boom", cause: "StepError" },
          { name: "PromiseCombinatorError", message: "All promises were rejected", cause: "AggregateError" }
        ]
      })
      await runner.dispose()
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepStrictEqual(unhandled, [])
    } finally {
      process.off("unhandledRejection", onUnhandled)
    }
  })
})
