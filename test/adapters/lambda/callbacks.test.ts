import { WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

const approvalBody = (timeout?: { seconds: number }) => () => async (_event: unknown, ctx: any) => {
  const [answer, callbackId] = await ctx.createCallback("approval", timeout === undefined ? undefined : { timeout })
  const shared = await ctx.step("notify", async () => typeof callbackId === "string" && callbackId.length > 0)
  try {
    return { shared, answer: await answer }
  } catch (error) {
    return { shared, failed: (error as Error).message, type: (error as Error).name }
  }
}

describe("reprise/lambda under AWS's local runner: callbacks completed from the test", () => {
  it("succeeds with the raw string the callback was completed with", async () => {
    const { aws, reprise } = await runBoth(approvalBody(), {
      drive: async (runner) => {
        const approval = runner.getOperation("approval")
        await approval.waitForData(WaitingOperationStatus.STARTED)
        await approval.sendCallbackSuccess(JSON.stringify({ approved: true }))
      }
    })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ shared: true, answer: JSON.stringify({ approved: true }) })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("fails with the error the callback was failed with", async () => {
    const { aws, reprise } = await runBoth(approvalBody(), {
      drive: async (runner) => {
        const approval = runner.getOperation("approval")
        await approval.waitForData(WaitingOperationStatus.STARTED)
        await approval.sendCallbackFailure({ ErrorType: "Rejected", ErrorMessage: "the approver said no" })
      }
    })
    expect(reprise.status).toBe(aws.status)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    // Both throw CallbackExternalError (a CallbackError subclass) for a callback failed from outside.
    expect(aws.result).toEqual({ shared: true, failed: "the approver said no", type: "CallbackExternalError" })
    expect(reprise.result).toEqual(aws.result)
  })

  it("times out when nobody answers (the runner's callback timers run in real time)", async () => {
    const { aws, reprise } = await runBoth(approvalBody({ seconds: 1 }))
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ shared: true, failed: "Callback timed out", type: "CallbackTimeoutError" })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.tree.find((n) => n.type === "CALLBACK")?.status).toBe("TIMED_OUT")
  })
})
