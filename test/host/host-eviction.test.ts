/**
 * The host's idle eviction (src/engine/eviction.ts) on the in-memory ports with real timers: a wait due within
 * keepWarmMs keeps its actor in memory, so it wakes without a replay; one suspended for an hour is dropped.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startHost } from "../../src/host/index.ts"
import { memoryPorts } from "../../src/host/memory-ports.ts"
import { durable } from "../../src/index.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { EngineProbe } from "../../src/testing/index.ts"

const napper = durable("napper", async (seconds: number, ctx) => {
  await ctx.step("before", async () => "before")
  await ctx.wait("nap", { seconds })
  return await ctx.step("after", async () => "after")
})

describe("the host's idle eviction", () => {
  it("keeps a wait due in 1 s warm (it wakes without a replay) and drops one suspended for an hour", async () => {
    // A tick every 20 ms: before keepWarmMs, the first tick after the short wait began evicted it.
    const host = await startHost({ functions: [napper], env: () => undefined, evictEveryMs: 20, logging: { level: "warn" } }, memoryPorts(makeMemoryStore()))
    try {
      const probe = <A>(read: (p: EngineProbe["Service"]) => A) => host.engine(() => EngineProbe.use((p) => Effect.sync(() => read(p))))
      await host.engine((e) => e.start({ functionName: "napper", input: 3600, executionId: "hour" }))
      await host.engine((e) => e.start({ functionName: "napper", input: 1, executionId: "second" }))
      const ended = await host.engine((e) => e.awaitEnd("second"))
      assert.strictEqual(ended.status, "SUCCEEDED")
      assert.strictEqual(await probe((p) => p.invocations("second")), 1, "the short wait woke in memory, without a replay")
      // Dropped by the ticks that ran meanwhile (more than a second of them).
      assert.isFalse(await probe((p) => p.inMemory("hour")), "the hour-long wait was evicted")
      assert.strictEqual(await probe((p) => p.invocations("hour")), 1)
    } finally {
      await host.close()
    }
  })

  it("past maxActorsInMemory, warm actors go too, those due last first", async () => {
    const host = await startHost(
      { functions: [napper], env: () => undefined, evictEveryMs: 20, keepWarmMs: 60_000, maxActorsInMemory: 1, logging: { level: "warn" } },
      memoryPorts(makeMemoryStore())
    )
    try {
      const probe = <A>(read: (p: EngineProbe["Service"]) => A) => host.engine(() => EngineProbe.use((p) => Effect.sync(() => read(p))))
      await host.engine((e) => e.start({ functionName: "napper", input: 30, executionId: "thirty" }))
      await host.engine((e) => e.start({ functionName: "napper", input: 20, executionId: "twenty" }))
      for (let i = 0; i < 200 && (await probe((p) => p.inMemory("thirty"))); i++) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.isFalse(await probe((p) => p.inMemory("thirty")), "the one due last was dropped")
      assert.isTrue(await probe((p) => p.inMemory("twenty")), "the one due first stays")
    } finally {
      await host.close()
    }
  })
})
