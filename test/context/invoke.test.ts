import { assert, describe, it } from "@effect/vitest"
import { durable, InvokeError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("ctx.invoke", () => {
  it("runs a durable child that waits a day, suspends the parent meanwhile, and never starts the child twice", async () => {
    let childStarts = 0
    const child = durable("billing", async (input: { amount: number }, ctx) => {
      await ctx.step("open", async () => childStarts++)
      await ctx.wait("settle", { days: 1 })
      return { billed: input.amount }
    })
    const parent = durable("checkout", async (_: unknown, ctx) => {
      const bill = await ctx.invoke<{ amount: number }, { billed: number }>("bill", "billing", { amount: 30 })
      return await ctx.step("receipt", async () => `billed ${bill.billed}`)
    })
    const runner = createTestRunner({ functions: [child, parent] })
    const execution = await runner.start("checkout")
    assert.strictEqual(execution.getOperation("bill")?.status, "STARTED")
    await execution.evict() // the parent replays: the child must not start again
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "billed 30")
    assert.strictEqual(childStarts, 1)
    const invoke = execution.getOperation("bill")!
    assert.strictEqual(invoke.type, "CHAINED_INVOKE")
    const childExecution = await runner.execution(invoke.state.childExecutionId!)
    assert.strictEqual(childExecution.status, "SUCCEEDED")
    assert.strictEqual(invoke.endedAt!.getTime() - invoke.startedAt.getTime(), 24 * 3600 * 1000)
    await runner.dispose()
  })

  it("gives InvokeError with the child's message when the child fails, and a caught failure lets the parent go on", async () => {
    const child = durable("fragile", async () => {
      throw new Error("card expired")
    })
    const parent = durable("caller", async (_: unknown, ctx) => {
      try {
        await ctx.invoke("fragile", {})
        return "unreachable"
      } catch (error) {
        const fallback = await ctx.step("fallback", async () => "invoice sent instead")
        return { isInvokeError: error instanceof InvokeError, message: (error as Error).message, fallback }
      }
    })
    const runner = createTestRunner({ functions: [child, parent] })
    const execution = await runner.run("caller")
    assert.deepStrictEqual(execution.result, { isInvokeError: true, message: "card expired", fallback: "invoice sent instead" })
    await runner.dispose()
  })

  it("fails the invoke when the function is not registered", async () => {
    const parent = durable("lost", async (_: unknown, ctx) => {
      try {
        return await ctx.invoke("no-such-function", 1)
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    })
    const runner = createTestRunner({ functions: [parent] })
    const execution = await runner.run("lost")
    assert.strictEqual(execution.result, `InvokeError: No durable function is registered as "no-such-function"`)
    await runner.dispose()
  })

  it("gives InvokeError when the child is stopped", async () => {
    const child = durable("long-child", async (_: unknown, ctx) => {
      await ctx.wait({ days: 30 })
    })
    const parent = durable("stopping", async (_: unknown, ctx) => {
      try {
        await ctx.invoke("child", "long-child")
        return "finished"
      } catch (error) {
        return (error as Error).name
      }
    })
    const runner = createTestRunner({ functions: [child, parent] })
    const execution = await runner.start("stopping")
    const childId = execution.getOperation("child")!.state.childExecutionId!
    await (await runner.execution(childId)).stop()
    await execution.settle()
    assert.strictEqual(execution.result, "InvokeError")
    await runner.dispose()
  })
})
