import { WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: waitForCallback", () => {
  it("runs the submitter as a step, suspends, and returns what the callback was completed with", async () => {
    const makeBody = () => async (event: { orderId: string }, ctx: any) => {
      const packed = await ctx.waitForCallback("warehouse", async (callbackId: string) => {
        if (!callbackId) throw new Error("no callback id")
      }, { timeout: { hours: 1 } })
      const shipped = await ctx.step("ship", async () => `${event.orderId} shipped`)
      return { packed, shipped }
    }
    const { aws, reprise } = await runBoth(makeBody, {
      payload: { orderId: "o-7" },
      drive: async (runner) => {
        const warehouse = runner.getOperation("warehouse")
        await warehouse.waitForData(WaitingOperationStatus.SUBMITTED)
        await warehouse.sendCallbackSuccess("packed: 3 boxes")
      }
    })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ packed: "packed: 3 boxes", shipped: "o-7 shipped" })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("fails with CallbackSubmitterError when the submitter keeps failing", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      try {
        await ctx.waitForCallback("approval", async () => {
          throw new Error("mail server down")
        }, { retryStrategy: () => ({ shouldRetry: false }) })
        return "approved"
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  })
})
