import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

describe("reprise/lambda under AWS's local runner: non-deterministic replay", () => {
  it("fails the execution when a replay calls another operation at a recorded position", async () => {
    const makeBody = () => {
      let invocation = 0
      return async (_event: unknown, ctx: any) => {
        invocation++
        // The first invocation records step "a"; the replay after the wait calls step "b" at the same position.
        await ctx.step(invocation === 1 ? "a" : "b", async () => "value")
        await ctx.wait("pause", { seconds: 10 })
        return "unreachable on replay"
      }
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("FAILED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.error?.errorType).toBe("NonDeterministicExecutionError")
    expect(reprise.error?.errorType).toBe(aws.error?.errorType)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  })
})
