/**
 * The service refuses an error update of 32 KiB or more, and AWS's local runner checks it as the service does. A
 * step that failed with an error whose cause carries a long message (an upstream's response body) was refused
 * under reprise/lambda, which sends the causes as "caused by" lines where AWS's SDK sends none: the invocation
 * threw, for good. The update is now made to fit.
 */
import { describe, expect, it } from "vitest"
import { fitErrorUpdate, MAX_ERROR_UPDATE_BYTES } from "../../../adapters/lambda/error-size.ts"
import type { OperationUpdate } from "../../../adapters/lambda/wire.ts"
import { runBoth, runUnder } from "./harness.ts"

const bytes = (update: OperationUpdate) => new TextEncoder().encode(JSON.stringify(update)).length

const failed = (message: string, stack: Array<string>, data?: string): OperationUpdate => ({
  Id: "c4ca4238a0b92382",
  Type: "STEP",
  SubType: "Step",
  Action: "FAIL",
  Error: { ErrorType: "Error", ErrorMessage: message, StackTrace: stack, ...(data === undefined ? {} : { ErrorData: data }) }
})

describe("an error update within the service's 32 KiB", () => {
  it("is sent as it is when it fits", () => {
    const update = failed("short", ["Error: short", "    at here"])
    expect(fitErrorUpdate(update)).toBe(update)
  })

  it("loses the deepest stack lines first, keeping the message and the error's own frames", () => {
    const body = "b".repeat(20_000)
    const update = failed(`HTTP 500: ${body}`, ["Error: HTTP 500", "    at fetchOrder", `caused by Error: upstream said: ${body}`, "    at upstream"])
    const fitted = fitErrorUpdate(update)
    expect(bytes(fitted)).toBeLessThan(MAX_ERROR_UPDATE_BYTES)
    expect(fitted.Error).toEqual({ ErrorType: "Error", ErrorMessage: `HTTP 500: ${body}`, StackTrace: ["Error: HTTP 500", "    at fetchOrder"] })
  })

  it("cuts the end of a message that is too long alone, and keeps the error's data whole", () => {
    const fitted = fitErrorUpdate(failed("€".repeat(20_000), ["Error: €€€"], "{\"order\":\"o-1\"}"))
    expect(bytes(fitted)).toBeLessThan(MAX_ERROR_UPDATE_BYTES)
    expect(fitted.Error?.StackTrace).toBeUndefined()
    expect(fitted.Error?.ErrorData).toBe("{\"order\":\"o-1\"}")
    expect(fitted.Error?.ErrorMessage).toMatch(/^€+… \(cut to fit the service's 32 KiB error limit\)$/)
  })

  it("lets a step fail with a long-winded cause under AWS's local runner, as AWS's SDK does", async () => {
    const { aws, reprise } = await runBoth(() => async (_event, ctx) => {
      const body = "b".repeat(20_000)
      try {
        await ctx.step("fetch-order", async () => {
          throw new Error(`HTTP 500: ${body}`, { cause: new Error(`upstream said: ${body}`) })
        }, { retryStrategy: () => ({ shouldRetry: false }) })
      } catch (error: any) {
        return { name: error.name, length: error.message.length }
      }
    })
    expect(aws.result).toEqual({ name: "StepError", length: 20_010 })
    expect(reprise.status).toBe("SUCCEEDED")
    expect(reprise.result).toEqual(aws.result)
  }, 60_000)
})

describe("an error cut to fit the service's 32 KiB", () => {
  it("reaches the handler's first run as a replay reads it back: the message of a 40 KB error is the same in both", async () => {
    const run = await runUnder("reprise", async (_event, ctx) => {
      let seen: string
      try {
        await ctx.step("fetch-order", async () => {
          throw new Error(`HTTP 500: ${"b".repeat(40_000)}`)
        }, { retryStrategy: () => ({ shouldRetry: false }) })
        return "the step succeeded"
      } catch (error: any) {
        seen = error.message
      }
      // Kept as the first run saw it; after the wait, the next invocation replays the step's recorded failure.
      const firstRun = await ctx.step("first-run", async () => seen)
      await ctx.wait("replay", { seconds: 1 })
      return { firstRun, replay: seen }
    })
    expect(run.status).toBe("SUCCEEDED")
    expect(run.invocations).toBe(2)
    const { firstRun, replay } = run.result as { firstRun: string; replay: string }
    expect(replay).toMatch(/^HTTP 500: b+… \(cut to fit the service's 32 KiB error limit\)$/)
    // Compared as a flag: a failure would print both 32 KB messages.
    expect({ length: firstRun.length, same: firstRun === replay }).toEqual({ length: replay.length, same: true })
  }, 60_000)
})
