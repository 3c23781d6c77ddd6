import { assert, describe, it } from "@effect/vitest"
import { durable, MAX_EMISSION_BYTES } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("ctx.emit", () => {
  it("records each emission in order, under its topic, as an operation with a positional id", async () => {
    let bodies = 0
    const fn = durable("emitter", async (_: unknown, ctx) => {
      for (let i = 0; i < 3; i++) {
        const word = await ctx.step(`word-${i}`, async () => {
          bodies++
          return `w${i}`
        })
        await ctx.emit("token", { i, word })
      }
      await ctx.wait("pause", { seconds: 5 })
      await ctx.emit("done", true)
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("emitter")
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.emissions().map((e) => [e.topic, e.value]), [
      ["token", { i: 0, word: "w0" }],
      ["token", { i: 1, word: "w1" }],
      ["token", { i: 2, word: "w2" }],
      ["done", true]
    ])
    assert.deepStrictEqual(execution.emissions("done").map((e) => e.operationId), ["8"]) // 3 steps, 3 emissions, the wait
    assert.strictEqual(bodies, 3)
    await runner.dispose()
  })

  it("a replay (evicted mid-way) finds the recorded emissions and does not write them again", async () => {
    const fn = durable("emit-replay", async (_: unknown, ctx) => {
      await ctx.emit("a", 1)
      await ctx.wait("w", { seconds: 10 })
      await ctx.emit("b", 2)
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn], skipTime: false })
    const execution = await runner.start("emit-replay")
    await execution.settle()
    assert.deepStrictEqual(execution.emissions().map((e) => e.topic), ["a"])
    await execution.evict()
    await execution.advanceTime({ seconds: 10 })
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.invocations, 2) // the second run replayed the first emission
    assert.deepStrictEqual(execution.emissions().map((e) => [e.topic, e.value]), [["a", 1], ["b", 2]])
    await runner.dispose()
  })

  it("refuses a value over the size limit with a clear error, writing nothing", async () => {
    const fn = durable("emit-big", async (_: unknown, ctx) => {
      try {
        await ctx.emit("big", "x".repeat(MAX_EMISSION_BYTES))
        return "no error"
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("emit-big")
    assert.match(String(execution.result), /^PayloadTooLargeError: ctx\.emit\("big"\) value is 65538 bytes once serialised; the limit is 65536 bytes/)
    assert.deepStrictEqual(execution.emissions(), [])
    await runner.dispose()
  })

  it("refuses an empty topic", async () => {
    const fn = durable("emit-topic", async (_: unknown, ctx) => {
      await ctx.emit("", 1)
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("emit-topic")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "ConfigurationError")
    assert.include(execution.error?.errorMessage, "topic")
    await runner.dispose()
  })

  it("a changed topic on replay is non-determinism, naming the operation", async () => {
    let topic = "first"
    const fn = durable("emit-nd", async (_: unknown, ctx) => {
      await ctx.emit(topic, 1)
      await ctx.wait({ seconds: 10 })
    })
    const runner = createTestRunner({ functions: [fn], skipTime: false })
    const execution = await runner.start("emit-nd")
    await execution.settle()
    await execution.evict()
    topic = "second"
    await execution.advanceTime({ seconds: 10 })
    await execution.settle()
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "NonDeterministicExecutionError")
    assert.include(execution.error?.errorMessage, "name mismatch")
    await runner.dispose()
  })
})
