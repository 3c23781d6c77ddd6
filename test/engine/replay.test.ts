import { assert, describe, it } from "@effect/vitest"
import { durable, NonDeterministicExecutionError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("replay", () => {
  it("resumes from the store after the actor is dropped mid-execution: finished steps do not run again", async () => {
    const runs = [0, 0, 0]
    let runner!: ReturnType<typeof createTestRunner>
    const fn = durable("three-steps", async (_: unknown, ctx) => {
      const a = await ctx.step("one", async () => ++runs[0]! * 10)
      const b = await ctx.step("two", async () => ++runs[1]! * 100)
      const c = await ctx.step("three", async () => {
        // The first time through, the process "crashes" before step three's result is written.
        if (++runs[2]! === 1) await runner.engine((e) => e.evict(ctx.executionId))
        return 1000
      })
      return a + b + c
    })
    runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("three-steps")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, 1110)
    assert.deepStrictEqual(runs, [1, 1, 2])
    assert.strictEqual(execution.invocations, 2)
    await runner.dispose()
  })

  it("a warm actor resuming after a wait runs the handler once; an evicted one replays exactly once more", async () => {
    const before = { warm: 0, cold: 0 }
    const make = (name: "warm" | "cold") =>
      durable(name, async (_: unknown, ctx) => {
        await ctx.step("before", async () => before[name]++)
        await ctx.wait("pause", { hours: 1 })
        return await ctx.step("after", async () => "done")
      })
    const runner = createTestRunner({ functions: [make("warm"), make("cold")] })

    const warm = await runner.start("warm")
    assert.strictEqual(warm.getOperation("pause")?.status, "STARTED")
    await warm.settle()
    assert.strictEqual(warm.status, "SUCCEEDED")
    assert.strictEqual(warm.invocations, 1)

    const cold = await runner.start("cold")
    await cold.evict()
    await cold.settle()
    assert.strictEqual(cold.status, "SUCCEEDED")
    assert.strictEqual(cold.invocations, 2)
    assert.deepStrictEqual(before, { warm: 1, cold: 1 })
    assert.strictEqual(cold.result, "done")
    await runner.dispose()
  })

  it("fails the execution when a step is renamed between runs, naming the operation id and both names", async () => {
    let name = "charge-card"
    const fn = durable("rename-on-replay", async (_: unknown, ctx) => {
      await ctx.step(name, async () => 1)
      await ctx.wait("pause", { minutes: 5 })
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("rename-on-replay")
    await execution.evict()
    name = "charge-payment"
    await execution.settle()
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, new NonDeterministicExecutionError("").name)
    const message = execution.error?.errorMessage ?? ""
    assert.include(message, `"1"`)
    assert.include(message, `"charge-card"`)
    assert.include(message, `"charge-payment"`)
    await runner.dispose()
  })

  it("records now(), random() and uuid() once: a replay sees the same values", async () => {
    const seen: Array<[number, number, string]> = []
    const fn = durable("values", async (_: unknown, ctx) => {
      const now = await ctx.now()
      const random = await ctx.random()
      const uuid = await ctx.uuid()
      seen.push([now.getTime(), random, uuid])
      await ctx.wait({ seconds: 10 })
      return [now.getTime(), random, uuid]
    })
    const runner = createTestRunner({ functions: [fn], startTime: new Date("2030-05-01T12:00:00Z") })
    const execution = await runner.start("values")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(seen.length, 2)
    assert.deepStrictEqual(seen[0], seen[1])
    assert.strictEqual(seen[0]![0], Date.parse("2030-05-01T12:00:00Z"))
    assert.match(seen[0]![2], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.deepStrictEqual(execution.result, seen[0])
    await runner.dispose()
  })

  it("keeps the logger silent while replaying, so each line is written once", async () => {
    const lines: Array<string> = []
    const logger = {
      debug: (...p: Array<unknown>) => void lines.push(`debug ${p.join(" ")}`),
      info: (...p: Array<unknown>) => void lines.push(`info ${p.join(" ")}`),
      warn: (...p: Array<unknown>) => void lines.push(`warn ${p.join(" ")}`),
      error: (...p: Array<unknown>) => void lines.push(`error ${p.join(" ")}`)
    }
    const fn = durable("logging", async (_: unknown, ctx) => {
      ctx.configureLogger({ customLogger: logger })
      ctx.logger.info("start")
      await ctx.step("a", async (step) => step.logger.info("inside a"))
      ctx.logger.info("between")
      await ctx.wait({ seconds: 5 })
      ctx.logger.info("after the wait")
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("logging")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.invocations, 2)
    assert.deepStrictEqual(lines, ["info start", "info inside a", "info between", "info after the wait"])
    await runner.dispose()
  })
})
