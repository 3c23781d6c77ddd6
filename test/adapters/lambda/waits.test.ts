import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: waits", () => {
  it("skips a day-long and an hour-long wait, with steps between, as AWS's SDK does", async () => {
    const makeBody = () => async (event: { name: string }, ctx: any) => {
      const greeting = await ctx.step("greet", async () => `hello ${event.name}`)
      await ctx.wait("cooling-off", { days: 1 })
      await ctx.wait({ hours: 1, minutes: 30 })
      const later = await ctx.step("follow-up", async () => `${greeting}, again`)
      return { greeting, later }
    }
    const { aws, reprise } = await runBoth(makeBody, { payload: { name: "ada" } })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ greeting: "hello ada", later: "hello ada, again" })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
    // Neither wait was slept (the shorter is an hour and a half), and each suspended the execution.
    expect(reprise.elapsedMs).toBeLessThan(90 * 60 * 1000)
    expect(reprise.invocations).toBe(3)
  })
})
