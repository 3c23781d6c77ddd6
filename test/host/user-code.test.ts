/**
 * userCodeRunning tells a host whose code raised a fault outside every fiber: the execution and step whose body set
 * the timer, the execution alone in its handler's code, and nothing outside durable functions.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { type UserCode, userCodeRunning } from "../../src/host/user-code.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("userCodeRunning", () => {
  it("names the execution and step in a timer a step body set, the execution in a timer its handler set, nothing outside", async () => {
    const seen: Array<UserCode | undefined> = []
    const later = () => new Promise<void>((resolve) => setTimeout(() => (seen.push(userCodeRunning()), resolve()), 5))
    const fn = durable("sets-timers", async (_: unknown, ctx) => {
      await ctx.step("notify", async () => later())
      await later()
      return "done"
    })
    const execution = await createTestRunner({ functions: [fn] }).run("sets-timers")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(seen, [
      { executionId: execution.executionId, operationId: execution.getOperation("notify")!.id, operationName: "notify" },
      { executionId: execution.executionId }
    ])
    assert.isUndefined(userCodeRunning())
  })
})
