import { assert, describe, it } from "@effect/vitest"
import { ContextUsageError, durable, type DurableContext } from "../../src/index.ts"
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
    // AWS's wording, with the same (positional) context ids.
    assert.strictEqual(
      execution.error?.errorMessage,
      `Context usage error in "step": You are using a parent or sibling context instead of the current child context. ` +
        `Expected context ID: "1", but got: "undefined". ` +
        "When inside runInChildContext(), you must use the child context parameter, not the parent context."
    )
    assert.strictEqual(later, 0)
    assert.isUndefined(execution.getOperation("wrong"))
    assert.isUndefined(execution.getOperation("after"))
    await runner.dispose()
  })

  it("fails the execution when a step body calls a durable operation, with AWS's message and what happened, and shows the step as STARTED", async () => {
    const fn = durable("op-in-step", async (_: unknown, ctx) => {
      await ctx.step("outer", async () => {
        await ctx.wait({ seconds: 5 })
      })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("op-in-step")
    assert.strictEqual(execution.status, "FAILED")
    // AWS's words speak of child contexts only; the step's case says which step and what to do instead.
    assert.strictEqual(
      execution.error?.errorMessage,
      `Context usage error in "wait": You are using a parent or sibling context instead of the current child context. ` +
        `Expected context ID: "1", but got: "undefined". ` +
        "When inside runInChildContext(), you must use the child context parameter, not the parent context. " +
        `Here "wait" was called inside the body of step "outer" (1), which is one checkpoint and cannot run durable ` +
        "operations: call them from the handler, or group them with the step's work in ctx.runInChildContext()."
    )
    // As in AWS's history: the step whose body ended the execution is a STARTED step operation.
    const outer = execution.getOperation("outer")
    assert.strictEqual(outer?.type, "STEP")
    assert.strictEqual(outer?.status, "STARTED")
    assert.deepStrictEqual(execution.history.map((e) => e._tag), ["ExecutionStarted", "StepStarted", "ExecutionFailed"])
    await runner.dispose()
  })

  it("refuses continueAsNew, patched and deprecatePatch from a step's body as any durable call (they ended the run or answered)", async () => {
    for (const [method, body] of [
      ["continueAsNew", (ctx: DurableContext) => ctx.continueAsNew({})],
      ["patched", async (ctx: DurableContext) => ctx.patched("p")],
      ["deprecatePatch", async (ctx: DurableContext) => ctx.deprecatePatch("p")]
    ] as const) {
      const fn = durable(`${method.toLowerCase()}-in-step`, async (_: unknown, ctx) => {
        await ctx.step("outer", async () => {
          await body(ctx)
        })
        return "went on"
      })
      const runner = createTestRunner({ functions: [fn] })
      const execution = await runner.run(fn.name)
      assert.strictEqual(execution.status, "FAILED", method)
      assert.match(execution.error?.errorMessage ?? "", new RegExp(`^Context usage error in "${method}"`))
      assert.strictEqual(execution.getOperation("outer")?.status, "STARTED", method)
      await runner.dispose()
    }
  })

  it("a waitForCondition check that uses the parent's context fails the execution and shows the check's operation as STARTED", async () => {
    const fn = durable("op-in-check", async (_: unknown, ctx) => {
      await ctx.waitForCondition("poll", async (state: number) => {
        await ctx.step("inner", async () => 1)
        return state
      }, { initialState: 1, waitStrategy: () => ({ shouldContinue: false }) })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("op-in-check")
    assert.strictEqual(execution.status, "FAILED")
    assert.include(execution.error?.errorMessage, `Context usage error in "step": You are using a parent or sibling context`)
    const poll = execution.getOperation("poll")
    assert.deepStrictEqual([poll?.type, poll?.subType, poll?.status], ["STEP", "WaitForCondition", "STARTED"])
    assert.isUndefined(execution.getOperation("inner"))
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
    assert.include(execution.error?.errorMessage, `Expected context ID: "1-2", but got: "1-1"`)
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
