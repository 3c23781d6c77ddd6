/**
 * Keyed starts over a client with a listing (`listed`, the Cloudflare Worker's index): the scoped id `<key>~<fn>` is
 * looked up there, not by describing it (on Workers, a Durable Object made just to answer "not found"), and the
 * answers are those of the plain client's: a free key is the id, another function's key gives the scoped id, and a
 * repeat finds the scoped execution even once the key's own execution is gone.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine } from "../../src/engine/engine.ts"
import type { ExecutionClientShape } from "../../src/engine/execution-client.ts"
import { startWithKey } from "../../src/engine/keyed-start.ts"
import { durable } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"

const echo = durable("echo", async (input: unknown) => input)
const other = durable("other", async (input: unknown) => input)

const setup = () => {
  const store = makeMemoryStore()
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [echo, other] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  const described: Array<string> = []
  let listing: "store" | "broken" = "store"
  /** The engine as a client whose listing is the store's own; every describe is counted. */
  const client = (engine: ExecutionClientShape): ExecutionClientShape => ({
    ...engine,
    describe: (id) => Effect.andThen(Effect.sync(() => void described.push(id)), engine.describe(id)),
    listed: (id) =>
      listing === "broken"
        ? Effect.fail(new StoreFailure({ operation: "has", reason: "the index is unreachable" }))
        : Effect.map(store.summary(id), (summary) => summary !== undefined)
  })
  const start = (functionName: string, key: string) =>
    runtime.runPromise(Engine.use((engine) => startWithKey(client(engine), { functionName, input: 1 }, key)))
  return { store, runtime, described, start, breakListing: () => void (listing = "broken") }
}

describe("a keyed start over a client with a listing", () => {
  it("asks the listing, not the execution, for the scoped id, and gives the ids the plain client gives", async () => {
    const { described, runtime, start } = setup()
    try {
      assert.deepStrictEqual(await start("echo", "k"), { executionId: "k", created: true }, "a free key is the id")
      assert.deepStrictEqual(await start("echo", "k"), { executionId: "k", created: false })
      assert.deepStrictEqual(await start("other", "k"), { executionId: "k~other", created: true }, "another function's key")
      assert.deepStrictEqual(await start("other", "k"), { executionId: "k~other", created: false })
      assert.deepStrictEqual(described, [], "no execution was described to look the scoped id up")
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
    } finally {
      await runtime.dispose()
    }
  })

  it("falls back to describing the scoped id when the listing cannot be read", async () => {
    const { breakListing, described, runtime, start, store } = setup()
    try {
      await start("echo", "k")
      await start("other", "k")
      await Effect.runPromise(store.delete("k"))
      breakListing()
      assert.deepStrictEqual(await start("other", "k"), { executionId: "k~other", created: false })
      assert.deepStrictEqual(described, ["k~other"])
    } finally {
      await runtime.dispose()
    }
  })
})
