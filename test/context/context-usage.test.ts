import { assert, describe, it } from "@effect/vitest"
import { ContextUsageError, durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const usageError = new ContextUsageError("").name

describe("context misuse", () => {
  it("fails the execution when a child context's body uses the parent context, and nothing after it starts", async () => {
    let later = 0
    const fn = durable("parent-in-child", async (_: unknown, ctx) => {
      await ctx.runInChildContext("child", async (child) => {
        await child.step("fine", async () => 1)
        await ctx.step("wrong", async () => 2) // the parent's context, after an await
        later++
      })
      await ctx.step("after", async () => later++)
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("parent-in-child")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, usageError)
    assert.include(execution.error?.errorMessage, "Context usage error")
    assert.include(execution.error?.errorMessage, "the root context")
    assert.include(execution.error?.errorMessage, `child context "1" ("child")`)
    assert.strictEqual(later, 0)
    assert.isUndefined(execution.getOperation("wrong"))
    assert.isUndefined(execution.getOperation("after"))
    await runner.dispose()
  })

  it("fails the execution when a step body calls a durable operation", async () => {
    const fn = durable("op-in-step", async (_: unknown, ctx) => {
      await ctx.step("outer", async () => {
        await ctx.wait({ seconds: 5 })
      })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("op-in-step")
    assert.strictEqual(execution.status, "FAILED")
    assert.include(execution.error?.errorMessage, `Context usage error: a durable operation was called on the root context inside step "outer"`)
    await runner.dispose()
  })

  it("fails the execution when a map item uses a sibling's context", async () => {
    const fn = durable("sibling", async (_: unknown, ctx) => {
      let first: unknown
      await ctx.map([0, 1], async (item, i) => {
        if (i === 0) first = item
        else await (first as typeof item).step("borrowed", async () => 1)
        return i
      }, { maxConcurrency: 1 })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("sibling")
    assert.strictEqual(execution.status, "FAILED")
    assert.include(execution.error?.errorMessage, `a durable operation was called on child context "1-1" from code running in child context "1-2"`)
    await runner.dispose()
  })

  it("lets parent code keep using its own context while children run", async () => {
    const fn = durable("concurrent-parent", async (_: unknown, ctx) => {
      const batch = ctx.map([1, 2], async (item, n) => await item.step(async () => n))
      const own = await ctx.step("own", async () => "parent")
      return { own, results: (await batch).getResults() }
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.deepStrictEqual((await runner.run("concurrent-parent")).result, { own: "parent", results: [1, 2] })
    await runner.dispose()
  })
})
