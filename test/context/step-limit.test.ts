import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("step-level limits: ctx.step(name, fn, { concurrencyKey, limit })", () => {
  it("caps the bodies of one key across executions of the host; other keys and steps without a key are not held", async () => {
    let api = 0
    let apiMost = 0
    let other = 0
    let otherMost = 0
    const fn = durable("calls-api", async (_: unknown, ctx) => {
      await ctx.step("api", async () => {
        api++
        apiMost = Math.max(apiMost, api)
        await new Promise((resolve) => setTimeout(resolve, 2))
        api--
      }, { concurrencyKey: "payments-api", limit: 2 })
      await ctx.step("other", async () => {
        other++
        otherMost = Math.max(otherMost, other)
        await new Promise((resolve) => setTimeout(resolve, 2))
        other--
      })
    })
    const runner = createTestRunner({ functions: [fn] })
    const ids: Array<string> = []
    for (let n = 0; n < 12; n++) ids.push((await runner.begin("calls-api")).executionId)
    await runner.drain()
    for (const id of ids) assert.strictEqual((await runner.execution(id)).status, "SUCCEEDED")
    assert.strictEqual(apiMost, 2)
    assert.isAbove(otherMost, 2) // unlimited steps of the same executions ran side by side
    await runner.dispose()
  })

  it("a key without a limit (or a limit that is not a positive integer) fails the step before its body runs", async () => {
    let ran = false
    const fn = durable("bad-limit", async (_: unknown, ctx) => {
      await ctx.step("api", () => void (ran = true), { concurrencyKey: "api", limit: 0 })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("bad-limit")
    assert.strictEqual(execution.status, "FAILED")
    assert.match(execution.error!.errorMessage, /limit must be a positive integer/)
    assert.isFalse(ran)
    await runner.dispose()
  })
})
