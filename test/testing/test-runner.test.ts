/** The test runner's own life: what it answers once disposed, and responders that answer late. */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("a disposed test runner", () => {
  it("refuses further calls with an Error that says so (not the runtime's bare string); a second dispose is fine", async () => {
    const hello = durable("hello", async () => "hi")
    const runner = createTestRunner({ functions: [hello] })
    const execution = await runner.run("hello")
    await runner.dispose()
    for (const call of [() => runner.run("hello"), () => execution.refresh()]) {
      const refused = await call().then(() => undefined, (error: unknown) => error)
      assert.instanceOf(refused, Error)
      assert.match((refused as Error).message, /test runner was disposed/)
    }
    await runner.dispose()
  })
})

describe("a responder that answers after the execution went past its callback", () => {
  it("is refused as late, and the run returns the execution's outcome rather than throwing", async () => {
    const fn = durable("first-answer-wins", async (_: unknown, ctx) => {
      const [first] = await ctx.createCallback<string>("first")
      await ctx.createCallback<string>("second")
      return await first
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.run("first-answer-wins", undefined, {
        callbacks: {
          first: () => ({ succeed: "a" }),
          second: async () => {
            await new Promise((resolve) => setTimeout(resolve, 20))
            return { succeed: "b" }
          }
        }
      })
      assert.strictEqual(execution.status, "SUCCEEDED")
      assert.strictEqual(execution.result, "a")
      assert.strictEqual(execution.getOperation("second")?.status, "STARTED", "the late answer changed nothing")
    } finally {
      await runner.dispose()
    }
  })
})
