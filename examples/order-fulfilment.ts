/**
 * Order fulfilment: reserve the stock, charge the card (retried on durable timers, with an idempotency key), hand
 * the order to the warehouse and sleep until it reports the parcel packed (at most two days), ship it and email the
 * customer. If the warehouse never answers, the order is cancelled: the charge refunded, the stock released.
 */
import { CallbackTimeoutError, createRetryStrategy, durable } from "reprise"

export interface OrderLine {
  readonly sku: string
  readonly quantity: number
}
export interface Order {
  readonly orderId: string
  readonly email: string
  readonly amountCents: number
  readonly lines: ReadonlyArray<OrderLine>
}
/** What the warehouse completes its callback with (as JSON). */
export interface Parcel {
  readonly parcelId: string
  readonly weightKg: number
}

/**
 * In-memory stand-ins for the services an order touches. Each counts its calls; the payment gateway fails with a
 * 503 the first `paymentOutages` times and keeps one charge per idempotency key, as real gateways do.
 */
export const fakeOrderServices = (options: { paymentOutages?: number; print?: boolean } = {}) => {
  const calls = { reserve: 0, release: 0, charge: 0, refund: 0, requestPacking: 0, ship: 0, email: 0 }
  const charges = new Map<string, { chargeId: string; amountCents: number }>()
  const warehouseInbox: Array<{ orderId: string; callbackId: string }> = []
  const emails: Array<{ to: string; text: string }> = []
  let outages = options.paymentOutages ?? 0
  return {
    calls, charges, warehouseInbox, emails,
    inventory: {
      reserve: async (orderId: string, _lines: ReadonlyArray<OrderLine>) => { calls.reserve++; return `rsv-${orderId}` },
      release: async (_reservationId: string) => { calls.release++ }
    },
    payments: {
      charge: async (request: { idempotencyKey: string; amountCents: number }) => {
        calls.charge++
        if (outages-- > 0) throw new Error("payment gateway temporarily unavailable (503)")
        const charge = charges.get(request.idempotencyKey) ?? { chargeId: `ch-${charges.size + 1}`, amountCents: request.amountCents }
        charges.set(request.idempotencyKey, charge)
        return charge
      },
      refund: async (_chargeId: string) => { calls.refund++ }
    },
    warehouse: {
      /** "Emails" the warehouse: pack this order, then complete this callback id with the parcel. */
      requestPacking: async (orderId: string, _lines: ReadonlyArray<OrderLine>, callbackId: string) => {
        calls.requestPacking++
        warehouseInbox.push({ orderId, callbackId })
        if (options.print) console.log(`[warehouse] pack order ${orderId}, then complete callback ${callbackId}`)
      }
    },
    shipping: {
      ship: async (orderId: string, parcel: Parcel) => { calls.ship++; return { trackingNumber: `TRK-${orderId}-${parcel.parcelId}` } }
    },
    email: {
      send: async (to: string, text: string) => { calls.email++; emails.push({ to, text }) }
    }
  }
}
export type OrderServices = ReturnType<typeof fakeOrderServices>

export const makeOrderFulfilment = (services: OrderServices) =>
  durable("order-fulfilment", async (order: Order, ctx) => {
    const reservationId = await ctx.step("reserve-inventory", () => services.inventory.reserve(order.orderId, order.lines))

    // Retried up to 5 times on durable timers. The key is the same on every attempt (and after a crash), so an
    // attempt that reached the gateway before failing cannot charge the customer twice.
    const charge = await ctx.step("charge-payment", ({ idempotencyKey }) =>
      services.payments.charge({ idempotencyKey, amountCents: order.amountCents }), {
      retryStrategy: createRetryStrategy({ maxAttempts: 5, initialDelay: { seconds: 2 }, retryableErrors: ["temporarily unavailable"] })
    })

    // The warehouse gets a callback id and the function sleeps, without using compute, until it answers.
    let parcel: Parcel
    try {
      const packed = await ctx.waitForCallback("warehouse-packing", (callbackId) =>
        services.warehouse.requestPacking(order.orderId, order.lines, callbackId), { timeout: { days: 2 } })
      parcel = JSON.parse(packed)
    } catch (error) {
      if (!(error instanceof CallbackTimeoutError)) throw error
      // Compensate in reverse order; each step runs once, even if the function is replayed.
      await ctx.step("refund-payment", () => services.payments.refund(charge.chargeId))
      await ctx.step("release-inventory", () => services.inventory.release(reservationId))
      return { orderId: order.orderId, status: "cancelled" as const }
    }

    const { trackingNumber } = await ctx.step("ship", () => services.shipping.ship(order.orderId, parcel))
    await ctx.step("send-confirmation", () =>
      services.email.send(order.email, `Order ${order.orderId} is on its way, tracking number ${trackingNumber}.`))
    return { orderId: order.orderId, status: "shipped" as const, chargeId: charge.chargeId, trackingNumber }
  }, { description: "Order fulfilment: inventory, payment with retries, a warehouse callback (2 days), shipping, confirmation" })

/** The instance `npm start` serves, on fakes that print what they would send. */
export const orderFulfilment = makeOrderFulfilment(fakeOrderServices({ print: true }))
