/**
 * Payment with an idempotency key. The payment service provider (PSP) keeps one charge per key, so retrying after
 * an ambiguous failure (the PSP took the charge, but its answer never arrived) cannot charge the customer twice.
 * The key is the client's `paymentId` when it sends one, so a payment submitted twice is charged once; otherwise
 * it is the step's `idempotencyKey` (execution id + operation id: the same on every attempt and after a crash).
 */
import { createRetryStrategy, durable, StepError } from "reprise"

export interface PaymentRequest {
  /** The client's idempotency key for this payment, if it has one. */
  readonly paymentId?: string
  readonly customerId: string
  readonly amountCents: number
  readonly currency: string
}
export interface Charge {
  readonly chargeId: string
  readonly amountCents: number
  readonly currency: string
}

export class CardDeclinedError extends Error {
  override readonly name = "CardDeclinedError"
}

/**
 * A fake PSP that dedupes by idempotency key. The first `lostResponses` calls take the charge and then time out,
 * as a dropped connection would; customers in `declined` have their card declined.
 */
export const fakePsp = (options: { lostResponses?: number; declined?: ReadonlyArray<string> } = {}) => {
  const charges = new Map<string, Charge>()
  const requests: Array<string> = [] // the idempotency key of every call
  let lostResponses = options.lostResponses ?? 0
  return {
    charges, requests,
    charge: async (idempotencyKey: string, request: PaymentRequest): Promise<Charge> => {
      requests.push(idempotencyKey)
      if (options.declined?.includes(request.customerId)) throw new CardDeclinedError("card declined: insufficient funds")
      let charge = charges.get(idempotencyKey)
      if (charge === undefined) {
        charge = { chargeId: `ch_${charges.size + 1}`, amountCents: request.amountCents, currency: request.currency }
        charges.set(idempotencyKey, charge)
      }
      if (lostResponses-- > 0) throw new Error("ETIMEDOUT: no answer from the PSP within 10 s")
      return charge
    }
  }
}

/** The bookkeeping side: a ledger entry and a receipt per payment. */
export const fakeBackOffice = () => {
  const ledger: Array<{ chargeId: string; amountCents: number }> = []
  const receipts: Array<{ customerId: string; chargeId: string }> = []
  return {
    ledger, receipts,
    record: async (charge: Charge) => { ledger.push({ chargeId: charge.chargeId, amountCents: charge.amountCents }) },
    sendReceipt: async (customerId: string, chargeId: string) => { receipts.push({ customerId, chargeId }) }
  }
}

export interface PaymentServices {
  readonly psp: ReturnType<typeof fakePsp>
  readonly backOffice: ReturnType<typeof fakeBackOffice>
}

export const makePayment = (services: PaymentServices) =>
  durable("payment", async (payment: PaymentRequest, ctx) => {
    let charge: Charge
    try {
      charge = await ctx.step("charge", ({ idempotencyKey }) => services.psp.charge(payment.paymentId ?? idempotencyKey, payment), {
        // Timeouts and 5xx are retried; a declined card is not, it would be declined again.
        retryStrategy: createRetryStrategy({ maxAttempts: 4, initialDelay: { seconds: 1 }, retryableErrors: [/ETIMEDOUT|5\d\d/] })
      })
    } catch (error) {
      // A step that gives up throws StepError; its cause carries the original error's name and message.
      if (error instanceof StepError && error.cause instanceof Error && error.cause.name === "CardDeclinedError") {
        return { status: "declined" as const, reason: error.message }
      }
      throw error
    }
    await ctx.step("record-in-ledger", () => services.backOffice.record(charge))
    await ctx.step("send-receipt", () => services.backOffice.sendReceipt(payment.customerId, charge.chargeId))
    return { status: "paid" as const, chargeId: charge.chargeId }
  }, { description: "Payment with an idempotency key: retries after a lost PSP response never charge twice" })

/** The instance `npm start` serves. */
export const payment = makePayment({ psp: fakePsp(), backOffice: fakeBackOffice() })
