/**
 * Issue 19, item 8: what an engine keeps per execution is bounded. The EngineProbe's invocation counts keep the
 * executions invoked last only, and a history page is read from the store by seq, not by loading the whole log.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { EngineProbe, INVOCATIONS_KEPT } from "../../src/engine/engine-probe.ts"
import { Engine } from "../../src/engine/index.ts"
import { createApp } from "../../src/http/index.ts"
import { durable } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const instant = durable("instant", async () => "done")
const steps = durable("steps", async (count: number, ctx) => {
  for (let i = 0; i < count; i++) await ctx.step(`s-${i}`, async () => i)
  return count
})

const engineOver = (store: ReturnType<typeof makeMemoryStore>) =>
  ManagedRuntime.make(Engine.layer({ functions: [instant, steps] }).pipe(Layer.provideMerge(Layer.succeed(ExecutionStore, store))))

describe("an engine's memory per execution", () => {
  it("keeps invocation counts for the executions invoked last only", async () => {
    const runtime = engineOver(makeMemoryStore())
    try {
      const count = INVOCATIONS_KEPT + 50
      await runtime.runPromise(Effect.gen(function*() {
        const engine = yield* Engine
        for (let i = 0; i < count; i++) {
          yield* engine.start({ functionName: "instant", executionId: `i-${i}` })
          yield* engine.settle(`i-${i}`)
          yield* engine.evict(`i-${i}`)
        }
      }))
      const counts = await runtime.runPromise(EngineProbe.use((probe) =>
        Effect.succeed([0, 49, 50, count - 1].map((i) => probe.invocations(`i-${i}`)))))
      assert.deepStrictEqual(counts, [0, 0, 1, 1])
      assert.strictEqual(await runtime.runPromise(EngineProbe.use((probe) => Effect.succeed(probe.actorCount()))), 0)
    } finally {
      await runtime.dispose()
    }
  }, 60_000)

  it("reads a history page from the store by seq, without loading the log", async () => {
    const store = makeMemoryStore()
    let loads = 0
    const counting = { ...store, load: (id: string) => Effect.andThen(Effect.sync(() => void loads++), store.load(id)) }
    const runtime = ManagedRuntime.make(Engine.layer({ functions: [instant, steps] }).pipe(Layer.provideMerge(Layer.succeed(ExecutionStore, counting))))
    try {
      await runtime.runPromise(Engine.use((engine) =>
        Effect.andThen(engine.start({ functionName: "steps", input: 150, executionId: "long" }), engine.awaitEnd("long"))))
      await runtime.runPromise(Engine.use((engine) => engine.evict("long")))
      const app = createApp({ runtime })
      loads = 0
      const res = await app.request("/v1/executions/long/history?cursor=100&limit=10")
      const body = (await res.json()) as { events: Array<{ seq: number }>; nextCursor?: string }
      assert.deepStrictEqual(body.events.map((e) => e.seq), [101, 102, 103, 104, 105, 106, 107, 108, 109, 110])
      assert.strictEqual(body.nextCursor, "110")
      const last = (await (await app.request("/v1/executions/long/history?cursor=300&limit=10")).json()) as { executionId: string; events: Array<unknown>; nextCursor?: string }
      assert.deepStrictEqual(last, { executionId: "long", events: [] })
      const end = (await (await app.request("/v1/executions/long/history?cursor=150&limit=10")).json()) as { events: Array<{ seq: number }>; nextCursor?: string }
      assert.deepStrictEqual(end.events.map((e) => e.seq), [151, 152])
      assert.isUndefined(end.nextCursor)
      assert.strictEqual(loads, 0, "no whole-log load for a history page")
    } finally {
      await runtime.dispose()
    }
  })
})
