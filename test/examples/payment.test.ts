import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { fakeBackOffice, fakePsp, makePayment, type PaymentRequest } from "../../examples/payment.ts"

const request: PaymentRequest = { customerId: "cus-1", amountCents: 4_990, currency: "EUR" }

const setup = (psp = fakePsp()) => {
  const services = { psp, backOffice: fakeBackOffice() }
  const runner = createTestRunner({ functions: [makePayment(services)] })
  return { ...services, runner }
}

describe("examples/payment", () => {
  it("charges once and books it, keyed by the step's idempotencyKey when the client sends none", async () => {
    const { runner, psp, backOffice } = setup()
    const execution = await runner.run("payment", request)
    assert.deepStrictEqual(execution.result, { status: "paid", chargeId: "ch_1" })
    assert.deepStrictEqual(psp.requests, [`${execution.executionId}:${execution.getOperation("charge")!.id}`])
    assert.deepStrictEqual(backOffice.ledger, [{ chargeId: "ch_1", amountCents: 4_990 }])
    assert.deepStrictEqual(backOffice.receipts, [{ customerId: "cus-1", chargeId: "ch_1" }])
    await runner.dispose()
  })

  it("retries after the PSP took the charge but its answer was lost: two requests, one key, one charge", async () => {
    const { runner, psp, backOffice } = setup(fakePsp({ lostResponses: 1 }))
    const execution = await runner.run("payment", request)
    assert.deepStrictEqual(execution.result, { status: "paid", chargeId: "ch_1" })
    assert.strictEqual(psp.requests.length, 2)
    assert.strictEqual(new Set(psp.requests).size, 1) // the same key on both attempts
    assert.strictEqual(psp.charges.size, 1)
    assert.strictEqual(execution.getOperation("charge")?.attempt, 2)
    assert.deepStrictEqual(
      execution.history.filter((e) => e._tag === "StepFailed").map((e) => e._tag === "StepFailed" && e.error.errorMessage),
      ["ETIMEDOUT: no answer from the PSP within 10 s"]
    )
    assert.strictEqual(backOffice.ledger.length, 1)
    await runner.dispose()
  })

  it("uses the client's paymentId as the key on every attempt", async () => {
    const { runner, psp } = setup(fakePsp({ lostResponses: 2 }))
    const execution = await runner.run("payment", { ...request, paymentId: "pay-2026-0001" })
    assert.deepStrictEqual(execution.result, { status: "paid", chargeId: "ch_1" })
    assert.deepStrictEqual(psp.requests, ["pay-2026-0001", "pay-2026-0001", "pay-2026-0001"])
    assert.deepStrictEqual([...psp.charges.keys()], ["pay-2026-0001"])
    await runner.dispose()
  })

  it("gives up after 4 attempts when no answer ever comes back; the customer was still charged at most once", async () => {
    const { runner, psp, backOffice } = setup(fakePsp({ lostResponses: 100 }))
    const execution = await runner.run("payment", request)
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "StepError")
    assert.strictEqual(psp.requests.length, 4)
    assert.strictEqual(psp.charges.size, 1)
    assert.strictEqual(backOffice.ledger.length, 0)
    await runner.dispose()
  })

  it("does not retry a declined card", async () => {
    const { runner, psp, backOffice } = setup(fakePsp({ declined: ["cus-1"] }))
    const execution = await runner.run("payment", request)
    assert.deepStrictEqual(execution.result, { status: "declined", reason: "card declined: insufficient funds" })
    assert.strictEqual(psp.requests.length, 1)
    assert.strictEqual(psp.charges.size, 0)
    assert.strictEqual(backOffice.ledger.length, 0)
    await runner.dispose()
  })

  it("a crash between the lost answer and the retry: the replayed retry reuses the key, the PSP charges once", async () => {
    const { runner, psp, backOffice } = setup(fakePsp({ lostResponses: 1 }))
    const execution = await runner.start("payment", request) // idle: the PSP holds a charge, the retry is on a timer
    assert.strictEqual(psp.charges.size, 1)
    assert.strictEqual(execution.getOperation("charge")?.status, "PENDING")

    await execution.evict()
    await execution.settle() // the retry timer brings the execution back: replay, then attempt 2

    assert.deepStrictEqual(execution.result, { status: "paid", chargeId: "ch_1" })
    assert.strictEqual(execution.invocations, 2)
    assert.strictEqual(psp.requests.length, 2)
    assert.strictEqual(new Set(psp.requests).size, 1)
    assert.strictEqual(psp.charges.size, 1)
    assert.strictEqual(backOffice.ledger.length, 1)
    assert.strictEqual(backOffice.receipts.length, 1)
    await runner.dispose()
  })
})
