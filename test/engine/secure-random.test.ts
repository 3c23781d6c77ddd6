/**
 * Issue 19, finding 9: callback tokens (capabilities) and server-chosen execution ids come from Web Crypto, not from
 * Effect's Random (a seedable PRNG): two engines whose Random is the same sequence still pick different ones, and
 * a test can fix them by providing SecureRandom.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime, Random } from "effect"
import { durable } from "../../src/index.ts"
import { Engine } from "../../src/engine/engine.ts"
import { SecureRandom, uuidV7Of } from "../../src/engine/secure-random.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const asks = durable("asks", async (_: unknown, ctx) => {
  const [answer] = await ctx.createCallback("answer")
  return await answer
})

/** Every engine gets the same predictable Random: 0, 1, 2, … scaled into [0, 1). */
const sameSequence = () => {
  let n = 0
  return { nextIntUnsafe: () => n++, nextDoubleUnsafe: () => (n++ % 1000) / 1000 }
}

const ids = async (extra: Layer.Layer<never> = Layer.empty) => {
  const runtime = ManagedRuntime.make(
    Engine.layer({ functions: [asks] }).pipe(
      Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())),
      Layer.provide(Layer.succeed(Random.Random, sameSequence())),
      Layer.provide(extra)
    )
  )
  try {
    return await runtime.runPromise(Engine.use((engine) =>
      Effect.gen(function*() {
        const started = yield* engine.start({ functionName: "asks" })
        const named = yield* engine.start({ functionName: "asks", executionId: "named-1" })
        yield* engine.settle(started.executionId)
        yield* engine.settle(named.executionId)
        const view = yield* engine.describe(named.executionId)
        return { executionId: started.executionId, callbackId: view.operations.find((op) => op.type === "CALLBACK")?.callbackId }
      })
    ))
  } finally {
    await runtime.dispose()
  }
}

describe("secure random ids (issue 19, finding 9)", () => {
  it("gives different execution ids and callback tokens under the same Random sequence", async () => {
    const first = await ids()
    const second = await ids()
    assert.match(first.executionId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.isString(first.callbackId)
    assert.notStrictEqual(first.executionId, second.executionId)
    assert.notStrictEqual(first.callbackId, second.callbackId)
  })

  it("takes them from SecureRandom, which a test may fix", async () => {
    const fixed = Layer.succeed(SecureRandom, { bytes: (length: number) => new Uint8Array(length).fill(0xab) })
    const first = await ids(fixed)
    const second = await ids(fixed)
    // The time in front is the engine's clock (a TestClock-free runtime: now), the rest the fixed bytes.
    assert.match(first.executionId, /^[0-9a-f]{8}-[0-9a-f]{4}-7bab-abab-abababababab$/)
    assert.strictEqual(first.callbackId, second.callbackId)
  })

  it("draws from a pool, but never hands out the same bytes twice (across refills too) and serves any length", async () => {
    const secure = await Effect.runPromise(Effect.service(SecureRandom))
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(secure.bytes(16)).toString("hex")) // 16,000 bytes: 4 refills
    assert.strictEqual(seen.size, 1000)
    const a = secure.bytes(16)
    a.fill(0) // the caller owns its copy: the pool is not changed under another caller
    assert.notDeepEqual(secure.bytes(16), a)
    assert.strictEqual(secure.bytes(10_000).length, 10_000)
    assert.strictEqual(secure.bytes(4096).length, 4096)
  })

  it("puts the start time in front of a server-picked execution id (UUID version 7), so ids sort in start order", async () => {
    const startedAt = Date.now()
    const { executionId } = await ids()
    const millis = Number.parseInt(executionId.replace("-", "").slice(0, 12), 16)
    assert.isAtLeast(millis, startedAt)
    assert.isAtMost(millis, Date.now())

    const random = new Uint8Array(16).fill(0xff)
    assert.strictEqual(uuidV7Of(0x0123_4567_89ab, random), "01234567-89ab-7fff-bfff-ffffffffffff")
    assert.strictEqual(uuidV7Of(Date.parse("2026-12-03T18:00:00Z"), new Uint8Array(16)).slice(0, 13), "01a23d10-2d00")
    const inOrder = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, Date.parse("2026-12-03T18:00:00Z"), 2 ** 48 - 1]
    const sorted = inOrder.map((ms) => uuidV7Of(ms, random)).sort()
    assert.deepStrictEqual(sorted, inOrder.map((ms) => uuidV7Of(ms, random)))
  })
})
