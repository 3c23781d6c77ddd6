/** The engine's test-only probe: what the test runner's drive loops read of an execution in memory each round. */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("EngineProbe.openView", () => {
  it("shows a running execution in memory with its open operations only, and nothing for one not in memory", async () => {
    const waiting = durable("waiting", async (_: unknown, ctx) => {
      await ctx.step("one", async () => 1)
      await ctx.step("two", async () => 2)
      const [answer] = await ctx.createCallback("approve")
      await ctx.wait("nap", { hours: 1 })
      return await answer
    })
    const runner = createTestRunner({ functions: [waiting] })
    const execution = await runner.start("waiting")
    const open = runner.probe((p) => p.openView(execution.executionId))
    assert.strictEqual(open?.status, "RUNNING")
    assert.deepStrictEqual(open?.operations.map((op) => [op.name, op.type, op.status]), [["approve", "CALLBACK", "STARTED"], ["nap", "WAIT", "STARTED"]])
    // The whole view, as describe (and the handle the test reads) has it, still holds every operation.
    assert.deepStrictEqual(execution.operations.map((op) => op.name), ["one", "two", "approve", "nap"])
    await execution.evict()
    assert.isUndefined(runner.probe((p) => p.openView(execution.executionId)))
    await runner.dispose()
  })
})
