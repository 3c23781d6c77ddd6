import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { durable } from "../../src/index.ts"
import { Engine } from "../../src/engine/engine.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
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

  it("a gate that fails (a flow object out of reach) fails that step only, and leaves no started attempt to record later", async () => {
    let ran = false
    const fn = durable("gated", async (_: unknown, ctx) => {
      const gated = await ctx.step("api", async () => void (ran = true), { concurrencyKey: "api", limit: 1 })
        .then(() => "ran", (error: Error) => `caught: ${error.message}`)
      // A promise combinator writes a StepStarted for each step still running (AWS's layout): "api" is not one.
      await ctx.promise.all([ctx.step("after", async () => 1)])
      return gated
    })
    const store = makeMemoryStore()
    const layer = Engine.layer({
      functions: [fn],
      externalFlow: { slot: () => undefined, stepLimit: () => Promise.reject(new Error("flow object unreachable")) }
    }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store)))
    const runtime = ManagedRuntime.make(layer)
    try {
      const view = await runtime.runPromise(Engine.use((engine) =>
        Effect.flatMap(engine.start({ functionName: "gated", executionId: "g-1" }), () => engine.awaitEnd("g-1"))))
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.strictEqual(view.result, JSON.stringify("caught: flow object unreachable"))
      assert.isFalse(ran)
      // Only "after" (2) was started before the combinator (3); "api" (1) left nothing in the log.
      const log = await Effect.runPromise(store.load("g-1"))
      assert.deepStrictEqual(
        log!.events.flatMap((event) => ("id" in event ? [`${event._tag} ${event.id}`] : [])),
        ["StepStarted 2", "ContextStarted 3", "StepSucceeded 2", "ContextSucceeded 3"]
      )
    } finally {
      await runtime.dispose()
    }
  })
})
