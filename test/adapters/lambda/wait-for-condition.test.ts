import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: waitForCondition and at-most-once steps", () => {
  it("polls durably (each 'not yet' is a STEP RETRY carrying the state) until the condition holds", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const job = await ctx.waitForCondition("job", async (state: { polls: number }) => ({ polls: state.polls + 1 }), {
        initialState: { polls: 0 },
        waitStrategy: (state: { polls: number }) => (state.polls < 3 ? { shouldContinue: true, delay: { seconds: 10 } } : { shouldContinue: false })
      })
      return job
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ polls: 3 })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("checkpoints START before an at-most-once step's body", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const once = await ctx.step("send-email", async () => "sent", { semantics: "AT_MOST_ONCE_PER_RETRY" })
      await ctx.wait({ seconds: 5 })
      return once
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.events.slice(0, 3)).toEqual(aws.events.slice(0, 3))
  })
})
