import { describe, expect, it } from "vitest"
import { outline, runBoth } from "./harness.ts"

const summary = (batch: any) => ({
  status: batch.status,
  reason: batch.completionReason,
  results: batch.getResults(),
  items: batch.all.map((item: any) => `${item.index}:${item.status}`),
  failures: batch.failed().map((item: any) => item.error?.message)
})

describe("reprise/lambda under AWS's local runner: map and parallel", () => {
  it("maps with a concurrency limit and a step per item, all completing", async () => {
    const makeBody = () => async (event: { items: Array<number> }, ctx: any) => {
      const doubled = await ctx.map("double", event.items, async (item: any, n: number) => item.step(`double-${n}`, async () => n * 2), {
        maxConcurrency: 2
      })
      return summary(doubled)
    }
    const { aws, reprise } = await runBoth(makeBody, { payload: { items: [1, 2, 3, 4] } })
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ status: "SUCCEEDED", reason: "ALL_COMPLETED", results: [2, 4, 6, 8], items: ["0:SUCCEEDED", "1:SUCCEEDED", "2:SUCCEEDED", "3:SUCCEEDED"], failures: [] })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("tolerates one failed item (toleratedFailureCount)", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const checked = await ctx.map("check", ["a", "bad", "c"], async (item: any, value: string) =>
        item.step("validate", async () => {
          if (value === "bad") throw new Error(`invalid ${value}`)
          return value.toUpperCase()
        }, { retryStrategy: () => ({ shouldRetry: false }) }), { completionConfig: { toleratedFailureCount: 1 } })
      return summary(checked)
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("runs parallel branches and stops at minSuccessful, leaving the slow branch started", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const raced = await ctx.parallel("quotes", [
        { name: "fast", func: async (branch: any) => branch.step("quote", async () => 10) },
        { name: "slow", func: async (branch: any) => {
          await branch.wait("think", { hours: 2 })
          return branch.step("quote", async () => 20)
        } },
        async (branch: any) => branch.step("quote", async () => 30)
      ], { completionConfig: { minSuccessful: 2 } })
      return summary(raced)
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("replays a FLAT map (virtual item contexts) whose items wait, across invocations", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const batch = await ctx.map("flat", ["x", "y", "z"], async (item: any, value: string, index: number) => {
        const first = await item.step("first", async () => `${value}${index}`)
        await item.wait("gap", { seconds: 30 })
        return item.step("second", async () => `${first}!`)
      }, { nesting: "FLAT", maxConcurrency: 2 })
      return summary(batch)
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ status: "SUCCEEDED", reason: "ALL_COMPLETED", results: ["x0!", "y1!", "z2!"], items: ["0:SUCCEEDED", "1:SUCCEEDED", "2:SUCCEEDED"], failures: [] })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
    expect(reprise.invocations).toBeGreaterThan(1)
  })

  // Found running AWS's examples: a handler returning JSON.stringify of a batch answered with a `name` in each item,
  // and the fields in another order, so the answer was not AWS's.
  it("a batch written as JSON reads as under AWS's SDK: the items' fields in AWS's order, no name", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const parallel = await ctx.parallel("both", [
        { name: "first", func: async (branch: any) => branch.step("one", async () => "one") },
        async (branch: any) => branch.step("two", async () => ({ two: 2 }))
      ])
      const mapped = await ctx.map("each", [1, 2], async (item: any, n: number) => item.step(`n-${n}`, async () => n * 10))
      return JSON.stringify({ parallel, mapped })
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.result).toEqual(aws.result)
  })
})
