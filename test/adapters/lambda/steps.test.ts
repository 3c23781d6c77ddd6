import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: steps with retries", () => {
  it("retries a flaky step and gives up on a failing one, as AWS's SDK does", async () => {
    const makeBody = () => {
      let flaky = 0
      return async (event: { orderId: string }, ctx: any) => {
        const charged = await ctx.step("charge", async () => {
          flaky++
          if (flaky < 3) throw new Error(`card network down (${flaky})`)
          return { orderId: event.orderId, chargeId: "ch-1" }
        }, { retryStrategy: (_e: Error, attempt: number) => ({ shouldRetry: attempt < 4, delay: { seconds: 5 } }) })
        let refused: string | undefined
        try {
          await ctx.step("refund", async () => {
            throw new Error("refunds are closed")
          }, { retryStrategy: (_e: Error, attempt: number) => ({ shouldRetry: attempt < 2, delay: { seconds: 1 } }) })
        } catch (error) {
          refused = `${(error as Error).name}: ${(error as Error).message}`
        }
        const plain = await ctx.step(async () => 42)
        return { charged, refused, plain }
      }
    }
    const { aws, reprise } = await runBoth(makeBody, { payload: { orderId: "o-1" } })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
    expect(reprise.result).toEqual({ charged: { orderId: "o-1", chargeId: "ch-1" }, refused: "StepError: refunds are closed", plain: 42 })
  })
})
