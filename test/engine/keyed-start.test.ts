/**
 * Keyed starts (`executionName`, `Idempotency-Key`) scoped per function, over a client: a free key is the id,
 * another function's key gives the scoped id `<key>~<fn>`, a repeat finds either, and it still finds the scoped
 * one once the key's own execution is gone. That last case is why the scoped id is described, not looked up in a
 * listing: an index that lags there (the Workers index after a shard change, a publication lost to a restart) made
 * the repeat start a second execution under the freed key (tried 5 Dec 2026, reverted).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine } from "../../src/engine/engine.ts"
import { startWithKey } from "../../src/engine/keyed-start.ts"
import { durable } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const echo = durable("echo", async (input: unknown) => input)
const other = durable("other", async (input: unknown) => input)

const setup = () => {
  const store = makeMemoryStore()
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [echo, other] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  const start = (functionName: string, key: string, input: unknown = 1) =>
    runtime.runPromise(Engine.use((engine) => startWithKey(engine, { functionName, input }, key)))
  return { store, runtime, start }
}

describe("a keyed start", () => {
  it("takes a free key as the id, gives another function's key the scoped id, and repeats find each", async () => {
    const { runtime, start } = setup()
    try {
      assert.deepStrictEqual(await start("echo", "k"), { executionId: "k", created: true })
      assert.deepStrictEqual(await start("echo", "k"), { executionId: "k", created: false })
      assert.deepStrictEqual(await start("other", "k"), { executionId: "k~other", created: true })
      assert.deepStrictEqual(await start("other", "k"), { executionId: "k~other", created: false })
      const conflict = await runtime.runPromise(Engine.use((engine) => Effect.flip(startWithKey(engine, { functionName: "other", input: 2 }, "k"))))
      assert.strictEqual(conflict._tag, "ExecutionAlreadyExists", "the same function under the same key with another input")
    } finally {
      await runtime.dispose()
    }
  })

  it("finds the scoped execution after the key's own execution is gone (deleted after its retention)", async () => {
    const { runtime, start, store } = setup()
    try {
      await start("echo", "k")
      await start("other", "k")
      await Effect.runPromise(store.delete("k"))
      assert.deepStrictEqual(await start("other", "k"), { executionId: "k~other", created: false }, "the repeat, not a new execution under k")
      assert.isUndefined(await Effect.runPromise(store.load("k")), "nothing was started under the freed key")
    } finally {
      await runtime.dispose()
    }
  })
})
