import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: child contexts", () => {
  it("nests contexts with steps and waits, and reports a failing one as ChildContextError", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const outer = await ctx.runInChildContext("outer", async (outerCtx: any) => {
        const a = await outerCtx.step("a", async () => 1)
        const inner = await outerCtx.runInChildContext("inner", async (innerCtx: any) => {
          await innerCtx.wait("nap", { minutes: 5 })
          return (await innerCtx.step("leaf", async () => 2)) + a
        })
        return { a, inner }
      })
      let failure: string | undefined
      try {
        await ctx.runInChildContext("broken", async (child: any) => {
          await child.step("ok", async () => "fine")
          throw new Error("the child gave up")
        })
      } catch (error) {
        failure = `${(error as Error).name}: ${(error as Error).message}`
      }
      const unnamed = await ctx.runInChildContext(async (child: any) => child.step(async () => "unnamed"))
      return { outer, failure, unnamed }
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ outer: { a: 1, inner: 3 }, failure: "ChildContextError: the child gave up", unnamed: "unnamed" })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })
})
