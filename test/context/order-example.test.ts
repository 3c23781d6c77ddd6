import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("the order example from the mission", () => {
  it("runs each step as often as it should and keeps the history in order", async () => {
    const runs = { process: 0, charge: 0, confirm: 0 }
    const order = durable("order", async (event: { orderId: string }, ctx) => {
      const processed = await ctx.step("process-order", async () => {
        runs.process++
        return { orderId: event.orderId }
      })
      const charged = await ctx.step("charge-payment", async () => {
        runs.charge++
        if (runs.charge < 3) throw new Error(`card declined (try ${runs.charge})`)
        return { chargeId: `ch-${processed.orderId}` }
      })
      await ctx.step("send-confirmation", async () => {
        runs.confirm++
      })
      return { orderId: processed.orderId, chargeId: charged.chargeId }
    })
    const runner = createTestRunner({ functions: [order] })
    const execution = await runner.run("order", { orderId: "o-1" })

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { orderId: "o-1", chargeId: "ch-o-1" })
    assert.deepStrictEqual(runs, { process: 1, charge: 3, confirm: 1 })
    assert.strictEqual(execution.getOperation("charge-payment")?.attempt, 3)
    assert.deepStrictEqual(
      execution.history.map((e) => `${e._tag}${"name" in e && e.name !== undefined ? ` ${e.name}` : ""}`),
      [
        "ExecutionStarted",
        "StepSucceeded process-order",
        "StepFailed charge-payment",
        "StepFailed charge-payment",
        "StepSucceeded charge-payment",
        "StepSucceeded send-confirmation",
        "ExecutionSucceeded"
      ]
    )
    // Each charge attempt after a failure starts no earlier than the retry time recorded with that failure.
    const charges = execution.history.filter((e) => e._tag === "StepFailed" || (e._tag === "StepSucceeded" && e.name === "charge-payment"))
    for (let i = 1; i < charges.length; i++) {
      const previous = charges[i - 1]!
      const current = charges[i]!
      assert.isTrue(previous._tag === "StepFailed" && previous.nextAttemptAt !== undefined)
      assert.isAtLeast("startedAt" in current ? current.startedAt ?? 0 : 0, previous._tag === "StepFailed" ? previous.nextAttemptAt ?? Infinity : Infinity)
    }
    assert.deepStrictEqual(execution.history.map((e) => e.seq), execution.history.map((_, i) => i + 1))
    await runner.dispose()
  })
})
