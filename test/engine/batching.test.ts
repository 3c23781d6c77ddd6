import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("write batching", () => {
  it("writes the appends of branches that finish in the same tick in one store transaction", async () => {
    const fn = durable("fan-out", async (_: unknown, ctx) => {
      const result = await ctx.parallel(Array.from({ length: 8 }, (_, i) => async (branch: typeof ctx) => await branch.step(async () => i)))
      return result.getResults()
    })
    const runner = createTestRunner({ functions: [fn] })
    const batches: Array<number> = []
    const append = runner.store.append
    runner.store.append = (id, events, expected) => Effect.andThen(Effect.sync(() => batches.push(events.length)), append(id, events, expected))
    const execution = await runner.run("fan-out")
    assert.deepStrictEqual(execution.result, [0, 1, 2, 3, 4, 5, 6, 7])
    const events = execution.history.length
    assert.strictEqual(batches.reduce((a, b) => a + b, 0), events)
    // 8 branch contexts start and finish, each with one step: far fewer writes than events.
    assert.isAtMost(batches.length, 8)
    assert.isTrue(batches.some((size) => size >= 8), `batch sizes: ${batches.join(",")}`)
    await runner.dispose()
  })
})
