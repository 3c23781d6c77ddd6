import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { fakeOrderServices, makeOrderFulfilment, type Order } from "../../examples/order-fulfilment.ts"
import { fixedStart } from "../testing/fixed-start.ts"

const order: Order = { orderId: "o-42", email: "ada@example.com", amountCents: 12_900, lines: [{ sku: "KB-1", quantity: 1 }] }
const DAY = 24 * 60 * 60 * 1000

const setup = (options: { paymentOutages?: number } = {}) => {
  const services = fakeOrderServices(options)
  const runner = createTestRunner({ ...fixedStart, functions: [makeOrderFulfilment(services)] })
  return { services, runner }
}

describe("examples/order-fulfilment", () => {
  it("ships the order: payment retried through two outages, charged once, the warehouse answering on the emailed callback id", async () => {
    const { runner, services } = setup({ paymentOutages: 2 })
    const execution = await runner.run("order-fulfilment", order, {
      callbacks: {
        "warehouse-packing": ({ callbackId }) => {
          // The warehouse answers on the id it was emailed.
          assert.deepStrictEqual(services.warehouseInbox, [{ orderId: "o-42", callbackId }])
          return { succeed: JSON.stringify({ parcelId: "p-7", weightKg: 1.2 }) }
        }
      }
    })

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { orderId: "o-42", status: "shipped", chargeId: "ch-1", trackingNumber: "TRK-o-42-p-7" })
    assert.deepStrictEqual(services.calls, { reserve: 1, release: 0, charge: 3, refund: 0, requestPacking: 1, ship: 1, email: 1 })
    // Three attempts, one idempotency key, one charge.
    assert.strictEqual(execution.getOperation("charge-payment")?.attempt, 3)
    assert.strictEqual(services.charges.size, 1)
    assert.deepStrictEqual(services.emails, [{ to: "ada@example.com", text: "Order o-42 is on its way, tracking number TRK-o-42-p-7." }])
    await runner.dispose()
  })

  it("fails the order when the gateway stays down past the retry budget, without packing or shipping", async () => {
    const { runner, services } = setup({ paymentOutages: 10 })
    const execution = await runner.run("order-fulfilment", order)
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "StepError")
    assert.match(execution.error?.errorMessage ?? "", /temporarily unavailable/)
    assert.deepStrictEqual(services.calls, { reserve: 1, release: 0, charge: 5, refund: 0, requestPacking: 0, ship: 0, email: 0 })
    await runner.dispose()
  })

  it("cancels after two silent days: refunds and releases the stock once, ships nothing", async () => {
    const { runner, services } = setup()
    const started = Date.UTC(2026, 0, 1)
    const execution = await runner.run("order-fulfilment", order) // nobody answers the warehouse callback

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { orderId: "o-42", status: "cancelled" })
    assert.deepStrictEqual(services.calls, { reserve: 1, release: 1, charge: 1, refund: 1, requestPacking: 1, ship: 0, email: 0 })
    assert.strictEqual(execution.callback("warehouse-packing").status, "TIMED_OUT")
    assert.strictEqual(execution.now.getTime() - started, 2 * DAY) // two days skipped, none spent
    await runner.dispose()
  })

  it("waits exactly two days: one second short of it, the order is still open", async () => {
    const { runner, services } = setup()
    const execution = await runner.start("order-fulfilment", order)
    await execution.advanceTime(2 * DAY - 1000)
    assert.strictEqual(execution.status, "RUNNING")
    assert.strictEqual(services.calls.refund, 0)
    await execution.advanceTime({ seconds: 1 })
    assert.deepStrictEqual(execution.result, { orderId: "o-42", status: "cancelled" })
    await runner.dispose()
  })

  it("after crashes during a payment retry and while waiting for the warehouse, never reserves, charges or emails twice", async () => {
    const { runner, services } = setup({ paymentOutages: 1 })
    const execution = await runner.start("order-fulfilment", order) // idle: the second charge attempt is on a timer
    assert.deepStrictEqual(services.calls, { reserve: 1, release: 0, charge: 1, refund: 0, requestPacking: 0, ship: 0, email: 0 })

    await execution.evict() // the process dies during the retry delay; only the log survives
    await execution.advanceTime({ seconds: 2 }) // the retry is due (at most 2 s): replay, then the second attempt
    assert.strictEqual(execution.status, "RUNNING") // now waiting for the warehouse
    assert.deepStrictEqual(services.calls, { reserve: 1, release: 0, charge: 2, refund: 0, requestPacking: 1, ship: 0, email: 0 })

    await execution.evict() // and dies again while the warehouse packs
    const { callbackId } = services.warehouseInbox[0]!
    await execution.sendCallbackSuccess(callbackId, JSON.stringify({ parcelId: "p-9", weightKg: 3 }))
    await execution.settle()

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { orderId: "o-42", status: "shipped", chargeId: "ch-1", trackingNumber: "TRK-o-42-p-9" })
    assert.strictEqual(execution.invocations, 3) // the first run, then one replay per crash
    assert.deepStrictEqual(services.calls, { reserve: 1, release: 0, charge: 2, refund: 0, requestPacking: 1, ship: 1, email: 1 })
    assert.strictEqual(services.charges.size, 1)
    await runner.dispose()
  })
})
