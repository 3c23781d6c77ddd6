import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: promise combinators", () => {
  it("records all, allSettled, any and race as AWS's SDK does", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const never = { retryStrategy: () => ({ shouldRetry: false }) }
      const all = await ctx.promise.all("all", [ctx.step("one", async () => 1), ctx.step("two", async () => 2)])
      const settled = await ctx.promise.allSettled("settled", [
        ctx.step("fine", async () => "ok"),
        ctx.step("broken", async () => {
          throw new Error("nope")
        }, never)
      ])
      const any = await ctx.promise.any("any", [
        ctx.step("fails", async () => {
          throw new Error("first fails")
        }, never),
        ctx.step("works", async () => "second works")
      ])
      const race = await ctx.promise.race("race", [ctx.step("quick", async () => "quick"), ctx.wait("slow", { minutes: 1 })])
      return {
        all,
        settled: settled.map((s: PromiseSettledResult<unknown>) => s.status === "fulfilled" ? s.value : (s.reason as Error).message),
        any,
        race
      }
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })
})
