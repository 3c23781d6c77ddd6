/**
 * A delete takes the executions named after the one deleted (src/engine/delete-dependents.ts): not a child another
 * execution invoked (a fork copies its source's invokes), and also a child a rewind made the execution forget.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { ExecutionNotFound } from "../../src/engine/engine-errors.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { fixedStart } from "../testing/fixed-start.ts"
import { rejects } from "../rejects.ts"

let charges = 0
const charge = durable("charge", async (input: { euros: number }, ctx) => await ctx.step("pay", async () => (charges++, input.euros)))

describe("a delete's dependents", () => {
  it("leaves the source's child when a fork that copied its invoke is deleted", async () => {
    const order = durable("order", async (input: { euros: number }, ctx) => {
      const paid = await ctx.invoke("charge", "charge", input)
      return await ctx.step("receipt", async () => `paid ${paid}`)
    })
    const runner = createTestRunner({ ...fixedStart, functions: [order, charge] })
    const source = await runner.run("order", { euros: 5 }, { executionId: "order-1" })
    const childId = (await runner.engine((e) => e.describe("order-1"))).operations.find((op) => op.type === "CHAINED_INVOKE")!.childExecutionId!
    const fork = await source.fork("2") // keeps the invoke, with the source's child's id
    assert.strictEqual(fork.expectSucceeded(), "paid 5")
    await runner.engine((e) => e.delete(fork.executionId))
    assert.strictEqual((await runner.engine((e) => e.describe(childId))).status, "SUCCEEDED", "the source's child is not the fork's to delete")
    await runner.dispose()
  })

  it("deletes the child of an invoke a rewind forgot: a start under the name then runs its invoke anew", async () => {
    let fail = true
    const order = durable("order", async (input: { euros: number }, ctx) => {
      const paid = await ctx.invoke("charge", "charge", input)
      await ctx.step("check", async () => {
        if (fail) throw new Error("declined")
      }, { retryStrategy: () => ({ shouldRetry: false }) })
      return paid
    })
    const runner = createTestRunner({ ...fixedStart, functions: [order, charge] })
    charges = 0
    const execution = await runner.run("order", { euros: 5 }, { executionId: "order-2" })
    assert.strictEqual(execution.status, "FAILED")
    const firstChild = (await runner.engine((e) => e.describe("order-2"))).operations.find((op) => op.type === "CHAINED_INVOKE")!.childExecutionId!
    fail = false
    await execution.rewind("1") // invokes again, as a new child; the first is forgotten
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    await runner.engine((e) => e.delete("order-2"))
    assert.instanceOf(await rejects(runner.engine((e) => e.describe(firstChild))), ExecutionNotFound, "the forgotten child went with its parent")
    charges = 0
    assert.strictEqual((await runner.run("order", { euros: 5 }, { executionId: "order-2" })).expectSucceeded(), 5)
    assert.strictEqual(charges, 1, "the new order's child ran its step: it did not take the forgotten child's outcome")
    await runner.dispose()
  })
})
