import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { attemptStore, attemptStorePromise, StoreFailure, storeFailure } from "../../src/store/store-errors.ts"

describe("StoreFailure helpers", () => {
  it("keep what the backend threw as the cause, with its message as the reason", () => {
    const thrown = new Error("database or disk is full")
    const failure = storeFailure("append")(thrown)
    assert.strictEqual(failure.operation, "append")
    assert.strictEqual(failure.reason, "database or disk is full")
    assert.strictEqual(failure.cause, thrown)
    assert.strictEqual(failure.message, "Store append failed: database or disk is full")
    assert.strictEqual(storeFailure("load")("not an Error").reason, "not an Error")
  })

  it("pass a StoreFailure through unchanged", () => {
    const inner = new StoreFailure({ operation: "setAlarm", reason: "the key kept changing" })
    assert.strictEqual(storeFailure("append")(inner), inner)
  })

  it.effect("turn throws and rejections into typed failures", () =>
    Effect.gen(function*() {
      const disk = new Error("I/O error")
      const sync = yield* Effect.flip(attemptStore("load", () => { throw disk }))
      assert.strictEqual(sync.cause, disk)
      const rejected = yield* Effect.flip(attemptStorePromise("list", () => Promise.reject(disk)))
      assert.deepStrictEqual([rejected._tag, rejected.operation, rejected.cause], ["StoreFailure", "list", disk])
      assert.strictEqual(yield* attemptStore("get", () => 7), 7)
    }))
})
