/**
 * `ctx.parallel`'s types as a user writes them: branches that return different types give a BatchResult of their
 * union (AWS's inference overloads), as one type they did not compile. Checked by the type check (`tsc`) of npm test,
 * and run, so the types describe what the branches return.
 */
import { assert, describe, it } from "vitest"
import { type BatchResult, durable } from "reprise"
import { createTestRunner } from "reprise/testing"

const mixed = durable("mixed-branches", async (_event: unknown, ctx) => {
  const named = await ctx.parallel("named", [
    async (branch) => branch.step("count", async () => 1),
    { name: "word", func: async (branch) => branch.step("word", async () => "a") }
  ])
  const unnamed = await ctx.parallel([async () => ({ ok: true }), async (branch) => branch.wait({ seconds: 1 })])
  const results: Array<number | string> = named.getResults()
  const shapes: BatchResult<{ ok: boolean } | void> = unnamed
  // @ts-expect-error: the union is kept, not widened to any
  const wrong: Array<number> = named.getResults()
  // One type still takes an explicit type argument (AWS's homogeneous overload).
  const same = await ctx.parallel<string>("same", [async () => "x", { func: async () => "y" }])
  return { results, unnamed: shapes.successCount, same: same.getResults(), wrong: wrong.length }
})

describe("ctx.parallel's types", () => {
  it("branches of different result types compile and return their results", async () => {
    const runner = createTestRunner({ functions: [mixed] })
    try {
      const execution = await runner.run("mixed-branches")
      assert.deepStrictEqual(execution.expectSucceeded(), { results: [1, "a"], unnamed: 2, same: ["x", "y"], wrong: 2 })
    } finally {
      await runner.dispose()
    }
  })
})
