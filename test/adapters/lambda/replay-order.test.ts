/**
 * reprise/lambda replays every invocation from the service's operations; it orders their ends by the service's end
 * timestamps, so code that calls operations from the continuations of callbacks completed out of order replays as it
 * ran (wire-to-log.ts, src/context/replay-order.ts). Listed per operation, it replayed them in call order and failed
 * as non-deterministic on the invocation after the second completion.
 */
import { WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { describe, expect, it } from "vitest"
import { runUnder } from "./harness.ts"

const body = async (_event: unknown, ctx: any) => {
  const [one] = await ctx.createCallback("one")
  const [two] = await ctx.createCallback("two")
  return await Promise.all([
    one.then((value: string) => ctx.step("after-one", async () => `1:${value}`)),
    two.then((value: string) => ctx.step("after-two", async () => `2:${value}`))
  ])
}

describe("reprise/lambda under AWS's local runner: replay order", () => {
  it("replays continuations of callbacks completed out of call order with the ids they took", async () => {
    const run = await runUnder("reprise", body, {
      skipTime: false,
      drive: async (runner) => {
        const one = runner.getOperation("one")
        const two = runner.getOperation("two")
        await one.waitForData(WaitingOperationStatus.STARTED)
        await two.waitForData(WaitingOperationStatus.STARTED)
        await two.sendCallbackSuccess("b")
        await runner.getOperation("after-two").waitForData(WaitingOperationStatus.COMPLETED)
        await new Promise((resolve) => setTimeout(resolve, 50))
        await one.sendCallbackSuccess("a")
      }
    })
    expect(run.error).toBeUndefined()
    expect(run.status).toBe("SUCCEEDED")
    expect(run.result).toEqual(["1:a", "2:b"])
  })
})
