import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startedLog } from "../../src/store/conformance-events.ts"
import { storeConformance } from "../../src/store/conformance.ts"
import type { DurableKV } from "../../src/store/durable-kv.ts"
import { makeMemoryIndex } from "../../src/store/execution-index.ts"
import { eventKey, makeKvExecutionStore } from "../../src/store/kv-execution-store.ts"
import { makeMemoryKV } from "../../src/store/memory-kv.ts"
import { makeMemoryStore, type MemoryStore } from "../../src/store/memory-store.ts"

describe("the memory store passes the conformance kit", () => {
  const store = makeMemoryStore()
  for (const c of storeConformance) it.effect(c.name, () => c.run(store))
})

/** A memory KV whose reads suspend first, as Durable Object storage does: other fibers run in between. */
const suspendingKV = (): DurableKV => {
  const kv = makeMemoryKV()
  const suspending = <T extends Pick<DurableKV, "get" | "list">>(ops: T): T => ({
    ...ops,
    get: (key: string) => Effect.andThen(Effect.yieldNow, ops.get(key)),
    list: (options: Parameters<DurableKV["list"]>[0]) => Effect.andThen(Effect.yieldNow, ops.list(options))
  })
  return suspending({ ...kv, transaction: (body) => kv.transaction((tx) => body(suspending(tx))) })
}

describe("the KV store over a KV whose reads suspend passes the conformance kit", () => {
  const kvs = new Map<string, DurableKV>()
  const open = (id: string) => kvs.get(id) ?? kvs.set(id, suspendingKV()).get(id)!
  const store = makeKvExecutionStore({ open, index: makeMemoryIndex() })
  for (const c of storeConformance) it.effect(c.name, () => c.run(store))
})

describe("the memory store on damaged data", () => {
  const threeEvents = (store: MemoryStore, id: string) =>
    Effect.gen(function*() {
      yield* store.append(id, startedLog(id, { functionName: "damaged", at: 1_000, length: 3 }), 0)
      const kv = store.kvs.get(id)
      assert.isDefined(kv)
      return kv!
    })

  it.effect("a corrupted event fails load with LogCorrupted naming the execution and seq", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      const kv = yield* threeEvents(store, "corrupt-1")
      yield* kv.put(eventKey(2), { _tag: "StepSucceeded", seq: "two", garbage: true })
      const error = yield* Effect.flip(store.load("corrupt-1"))
      assert.strictEqual(error._tag, "LogCorrupted")
      if (error._tag !== "LogCorrupted") return
      assert.strictEqual(error.executionId, "corrupt-1")
      assert.strictEqual(error.seq, 2)
      assert.include(error.message, "corrupt-1")
      assert.include(error.message, "seq 2")
    }))

  it.effect("a value that is not an event at all fails load at its seq", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      const kv = yield* threeEvents(store, "corrupt-2")
      yield* kv.put(eventKey(3), "not an event")
      const error = yield* Effect.flip(store.load("corrupt-2"))
      assert.deepStrictEqual([error._tag, error._tag === "LogCorrupted" ? error.seq : -1], ["LogCorrupted", 3])
    }))

  it.effect("a gap in the middle of the log fails load with LogCorrupted at the missing seq", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      const kv = yield* threeEvents(store, "gap")
      yield* kv.delete(eventKey(2))
      const error = yield* Effect.flip(store.load("gap"))
      assert.strictEqual(error._tag, "LogCorrupted")
      if (error._tag !== "LogCorrupted") return
      assert.strictEqual(error.executionId, "gap")
      assert.strictEqual(error.seq, 2)
    }))

  it.effect("a missing last event (a truncated log) fails load with LogCorrupted at that seq", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      const kv = yield* threeEvents(store, "truncated")
      yield* kv.delete(eventKey(3))
      const error = yield* Effect.flip(store.load("truncated"))
      assert.strictEqual(error._tag, "LogCorrupted")
      if (error._tag !== "LogCorrupted") return
      assert.strictEqual(error.executionId, "truncated")
      assert.strictEqual(error.seq, 3)
    }))

  it.effect("the store keeps each execution in its own KV", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      yield* threeEvents(store, "own-a")
      yield* threeEvents(store, "own-b")
      const listed = yield* store.kvs.get("own-a")!.list({ prefix: "e:" })
      assert.deepStrictEqual(listed.map(([key]) => key), [eventKey(1), eventKey(2), eventKey(3)])
    }))
})

describe("the memory store's alarm index", () => {
  it.effect("follows every alarm write: set, an append that carries one, delete, a rolled-back transaction", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      yield* store.append("a", startedLog("a", { functionName: "f", at: 1_000, length: 1 }), 0, { alarmAt: 5_000 })
      yield* store.setAlarm("b", 7_000)
      assert.deepStrictEqual([...store.alarms], [["a", 5_000], ["b", 7_000]])
      yield* store.setAlarm("a", 6_000)
      yield* store.deleteAlarm("b")
      assert.deepStrictEqual([...store.alarms], [["a", 6_000]])
      // A conditional append that loses (wrong seq) writes nothing, its alarm included.
      const lost = yield* Effect.flip(store.append("a", startedLog("a", { functionName: "f", at: 1_000, length: 1 }), 0, { alarmAt: 1 }))
      assert.strictEqual(lost._tag, "SeqConflict")
      assert.deepStrictEqual([...store.alarms], [["a", 6_000]])
      yield* store.kvs.get("a")!.deleteAll()
      assert.deepStrictEqual([...store.alarms], [])
    }))

  it.effect("a transaction that fails puts the index back with the alarm", () =>
    Effect.gen(function*() {
      const changes: Array<number | undefined> = []
      const kv = makeMemoryKV((at) => changes.push(at))
      yield* kv.setAlarm(10)
      yield* Effect.flip(kv.transaction((tx) => Effect.andThen(tx.setAlarm(20), Effect.fail("no"))))
      assert.strictEqual(yield* kv.getAlarm(), 10)
      assert.deepStrictEqual(changes, [10, 20, 10])
    }))
})
