/**
 * withStoreFaults (reprise/testing) on the in-memory store: a refused append writes nothing, `only` limits the
 * fault, a delayed append lands after its delay (TestClock), torn reads fail with LogCorrupted from the real
 * decoder, and clearing the fault brings the store back as it was.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { LogCorrupted } from "../../src/log/log-corrupted.ts"
import { executionStarted, stepSucceeded, t } from "../../src/store/conformance-events.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { makeStoreFaults, withStoreFaults } from "../../src/testing/index.ts"

const setup = () => {
  const faults = makeStoreFaults()
  return { faults, store: withStoreFaults(makeMemoryStore(), faults) }
}

describe("withStoreFaults", () => {
  it.effect("a failing append is a StoreFailure and writes nothing; `only` spares the others; clear() restores", () =>
    Effect.gen(function*() {
      const { faults, store } = setup()
      faults.set({ appends: "fail", only: (id) => id === "a" })
      const refused = yield* Effect.flip(store.append("a", [executionStarted("a", { functionName: "f", at: t(0) })], 0))
      assert.instanceOf(refused, StoreFailure)
      assert.isUndefined(yield* store.load("a"), "nothing was written")
      yield* store.append("b", [executionStarted("b", { functionName: "f", at: t(0) })], 0)
      assert.strictEqual((yield* store.load("b"))?.seq, 1, "another execution is not affected")
      assert.deepStrictEqual([faults.counts.failedAppends, faults.counts.written], [1, ["b:1"]])
      faults.clear()
      yield* store.append("a", [executionStarted("a", { functionName: "f", at: t(0) })], 0)
      assert.strictEqual((yield* store.load("a"))?.seq, 1)
    }))

  it.effect("a delayed append is written after its delay, not before", () =>
    Effect.gen(function*() {
      const { faults, store } = setup()
      faults.set({ appendDelayMs: 100 })
      const append = yield* Effect.forkChild(store.append("d", [executionStarted("d", { functionName: "f", at: t(0) })], 0))
      yield* TestClock.adjust(99)
      assert.isUndefined(yield* store.load("d"))
      yield* TestClock.adjust(1)
      yield* Fiber.join(append)
      assert.deepStrictEqual([faults.counts.delayedAppends, faults.counts.written], [1, ["d:1"]])
    }))

  it.effect("torn reads fail with LogCorrupted at the last event; whole again once cleared", () =>
    Effect.gen(function*() {
      const { faults, store } = setup()
      yield* store.append("c", [executionStarted("c", { functionName: "f", at: t(0) })], 0)
      yield* store.append("c", [stepSucceeded(2, t(1))], 1)
      faults.set({ corruptReads: true })
      const torn = yield* Effect.flip(store.load("c"))
      assert.instanceOf(torn, LogCorrupted)
      assert.strictEqual((torn as LogCorrupted).seq, 2)
      if (store.readPage !== undefined) assert.instanceOf(yield* Effect.flip(store.readPage("c", 0, 10)), LogCorrupted)
      assert.isAtLeast(faults.counts.corruptReads, 1)
      faults.clear()
      assert.strictEqual((yield* store.load("c"))?.events.length, 2)
    }))
})
