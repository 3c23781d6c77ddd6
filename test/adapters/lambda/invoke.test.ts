import { describe, expect, it } from "vitest"
import { outline, runBoth, wrap } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: invoke", () => {
  it("invokes a registered durable function and a plain one, and sees a failing one as InvokeError", async () => {
    const makeBody = () => async (event: { n: number }, ctx: any) => {
      const squared = await ctx.invoke("square", "square-fn", { n: event.n })
      const mailed = await ctx.invoke("mailer", { to: "ops" })
      let failed: string | undefined
      try {
        await ctx.invoke("broken", "broken-fn", {})
      } catch (error) {
        failed = `${(error as Error).name}: ${(error as Error).message}`
      }
      return { squared, mailed, failed }
    }
    const square = async (event: { n: number }, ctx: any) => ctx.step("multiply", async () => event.n * event.n)
    const { aws, reprise } = await runBoth(makeBody, {
      payload: { n: 7 },
      register: (runner, sdk) => {
        runner.registerDurableFunction("square-fn", wrap(sdk, square))
        runner.registerFunction("mailer", async (event: { to: string }) => ({ sent: event.to }))
        runner.registerFunction("broken-fn", async () => {
          throw new Error("no such customer")
        })
      }
    })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ squared: 49, mailed: { sent: "ops" }, failed: "InvokeError: no such customer" })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })
})
