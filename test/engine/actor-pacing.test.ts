/**
 * Messages the actor handles while the callers of a write are paced (write-releases.ts): what they write wakes its
 * own callers only after the paced ones went, as a replay settles them in the log's order. "a wait that fires" failed
 * before (after-w took the id a replay gives after-b); the others pin neighbouring orders.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { gate } from "../context/step-gate.ts"

describe("messages during the hold", () => {
  it("a callback completed while callers of a write are paced replays as it ran", async () => {
    const hook: { during?: ((callbackId: string) => Promise<unknown>) | undefined } = {}
    const fn = durable("cb-during-hold", async (_: unknown, ctx) => {
      const [answer, callbackId] = await ctx.createCallback<string>("cb")
      const results = await Promise.all([
        (async () => {
          await answer
          return ctx.step("after-cb", async () => "c")
        })(),
        (async () => {
          await ctx.step("a", async () => { await gate(); return "a" })
          const during = hook.during
          hook.during = undefined
          if (during !== undefined) void during(callbackId)
          return ctx.step("after-a", async () => "a")
        })(),
        ...["b", "c", "d", "e", "f"].map(async (x) => {
          await ctx.step(x, async () => { await gate(); return x })
          return ctx.step(`after-${x}`, async () => x)
        })
      ])
      await ctx.wait("cool-off", { seconds: 5 })
      return results
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      hook.during = (id) => runner.completeCallback(id, { ok: true, result: JSON.stringify("ok") })
      const execution = await runner.start("cb-during-hold")
      await execution.settle({ skipCallbackTimeouts: false })
      const ids = execution.operations.map((op) => `${op.id}=${op.name}`).join(" ")
      await execution.evict()
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", `${execution.error?.errorMessage} | first run: ${ids}`)
    } finally {
      await runner.dispose()
    }
  })
})

describe("an alarm during the hold", () => {
  it("a wait that fires while callers of a write are paced replays as it ran", async () => {
    const hook: { during?: ((executionId: string) => Promise<unknown>) | undefined } = {}
    const fn = durable("alarm-during-hold", async (_: unknown, ctx) => {
      const results = await Promise.all([
        (async () => {
          await ctx.wait("w", { seconds: 1 })
          return ctx.step("after-w", async () => "w")
        })(),
        (async () => {
          await ctx.step("a", async () => { await gate(); return "a" })
          const during = hook.during
          hook.during = undefined
          if (during !== undefined) void during(ctx.executionId)
          return ctx.step("after-a", async () => "a")
        })(),
        ...["b", "c", "d", "e", "f"].map(async (x) => {
          await ctx.step(x, async () => { await gate(); return x })
          return ctx.step(`after-${x}`, async () => x)
        })
      ])
      await ctx.wait("cool-off", { seconds: 5 })
      return results
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      hook.during = async (id) => {
        const clock = runner.clock(id)
        clock.setTime(clock.currentTimeMillisUnsafe() + 1_000)
        await runner.engine((e) => e.alarm(id))
      }
      const execution = await runner.start("alarm-during-hold")
      const ids = execution.operations.map((op) => `${op.id}=${op.name}`).join(" ")
      await execution.evict()
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", `${execution.error?.errorMessage} | first run: ${ids}`)
    } finally {
      await runner.dispose()
    }
  })
})

describe("an invoked child ending during the pacing", () => {
  it("replays as it ran", async () => {
    const child = durable("quick-child", async (_: unknown, ctx) => ctx.step("c", async () => { await gate(); return 1 }))
    const fn = durable("invoke-during-hold", async (_: unknown, ctx) => {
      const results = await Promise.all([
        (async () => {
          await ctx.invoke("child", "quick-child", {})
          return ctx.step("after-child", async () => "w")
        })(),
        ...["a", "b", "c", "d", "e", "f"].map(async (x) => {
          await ctx.step(x, async () => { await gate(); return x })
          return ctx.step(`after-${x}`, async () => x)
        })
      ])
      await ctx.wait("cool-off", { seconds: 5 })
      return results
    })
    const failures: Array<string> = []
    for (let rep = 0; rep < 20; rep++) {
      const runner = createTestRunner({ functions: [fn, child] })
      try {
        const execution = await runner.start("invoke-during-hold")
        const ids = execution.operations.map((op) => `${op.id}=${op.name}`).join(" ")
        await execution.evict()
        await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
        await execution.settle()
        if (execution.status !== "SUCCEEDED") failures.push(`${execution.error?.errorMessage} | first run: ${ids}`)
      } finally {
        await runner.dispose()
      }
    }
    assert.deepStrictEqual(failures, [])
  })
})

describe("the test runner's time skip during the pacing", () => {
  it("a wait beside lanes of steps replays as it ran", async () => {
    const fn = durable("skip-during-pacing", async (_: unknown, ctx) => {
      const results = await Promise.all([
        (async () => {
          await ctx.wait("w", { seconds: 1 })
          return ctx.step("after-w", async () => "w")
        })(),
        ...["a", "b", "c", "d", "e", "f"].map(async (x) => {
          await ctx.step(x, async () => { await gate(); return x })
          return ctx.step(`after-${x}`, async () => x)
        })
      ])
      const [answer] = await ctx.createCallback<string>("end")
      await answer
      return results
    })
    const failures: Array<string> = []
    for (let rep = 0; rep < 10; rep++) {
      const runner = createTestRunner({ functions: [fn] })
      try {
        const execution = await runner.start("skip-during-pacing")
        await execution.settle()
        const ids = execution.operations.map((op) => `${op.id}=${op.name}`).join(" ")
        await execution.evict()
        await execution.sendCallbackSuccess("end", JSON.stringify("x"))
        await execution.settle()
        if (execution.status !== "SUCCEEDED") failures.push(`${execution.error?.errorMessage} | first run: ${ids}`)
      } finally {
        await runner.dispose()
      }
    }
    assert.deepStrictEqual(failures, [])
  })
})
