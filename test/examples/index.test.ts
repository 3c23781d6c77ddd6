import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { functions } from "../../examples/index.ts"

describe("examples/index", () => {
  it("exports one durable function per use case, each with a description", () => {
    assert.deepStrictEqual(functions.map((f) => f.name), [
      "order-fulfilment", "approval", "document-processing", "payment", "firmware-rollout", "api-orchestration"
    ])
    for (const fn of functions) assert.isAbove(fn.options.description?.length ?? 0, 20, fn.name)
  })

  it("the served instances run on their default fakes", async () => {
    const runner = createTestRunner({ functions })
    const payment = await runner.run("payment", { customerId: "c-1", amountCents: 100, currency: "EUR" })
    assert.deepStrictEqual(payment.result, { status: "paid", chargeId: "ch_1" })
    const dashboard = await runner.run("api-orchestration", { userId: "u-9" })
    assert.deepStrictEqual((dashboard.result as { degraded: Array<string> }).degraded, ["recommendations"])
    await runner.dispose()
  })
})
