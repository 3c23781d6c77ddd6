import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option } from "effect"
import type { DurableKV } from "../../src/store/durable-kv.ts"
import { makeMemoryKV } from "../../src/store/memory-kv.ts"

const keysOf = (entries: ReadonlyArray<readonly [string, unknown]>) => entries.map(([key]) => key)

/** Every key and value, in key order. */
const dump = (kv: DurableKV) => Effect.map(kv.list({}), (entries) => Object.fromEntries(entries))

const seeded = Effect.fnUntraced(function*(entries: Record<string, unknown>) {
  const kv = makeMemoryKV()
  yield* kv.putMany(Object.entries(entries))
  return kv
})

class Boom {
  readonly _tag = "Boom"
}

describe("memory KV: keys", () => {
  it.effect("get, put, overwrite and delete", () =>
    Effect.gen(function*() {
      const kv = makeMemoryKV()
      assert.isUndefined(yield* kv.get("a"))
      yield* kv.put("a", { n: 1 })
      assert.deepStrictEqual(yield* kv.get("a"), { n: 1 })
      yield* kv.put("a", [1, 2])
      assert.deepStrictEqual(yield* kv.get("a"), [1, 2])
      yield* kv.delete("a")
      assert.isUndefined(yield* kv.get("a"))
      yield* kv.delete("never-there")
      yield* kv.putMany([["x", 1], ["y", 2], ["x", 3]])
      assert.deepStrictEqual(yield* dump(kv), { x: 3, y: 2 })
    }))

  it.effect("list is in key order, with prefix, inclusive start and limit", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ "e:3": 3, "meta": "m", "e:1": 1, "e:10": 10, "d": "d", "e:2": 2, "f": "f" })
      const list = (options: Parameters<DurableKV["list"]>[0]) => Effect.map(kv.list(options), keysOf)
      assert.deepStrictEqual(yield* list({}), ["d", "e:1", "e:10", "e:2", "e:3", "f", "meta"])
      assert.deepStrictEqual(yield* kv.list({ prefix: "e:" }), [["e:1", 1], ["e:10", 10], ["e:2", 2], ["e:3", 3]])
      assert.deepStrictEqual(yield* list({ prefix: "e:", start: "e:2" }), ["e:2", "e:3"])
      assert.deepStrictEqual(yield* list({ prefix: "e:", start: "e:10" }), ["e:10", "e:2", "e:3"])
      assert.deepStrictEqual(yield* list({ prefix: "e:", start: "a" }), ["e:1", "e:10", "e:2", "e:3"])
      assert.deepStrictEqual(yield* list({ prefix: "e:", limit: 2 }), ["e:1", "e:10"])
      assert.deepStrictEqual(yield* list({ prefix: "e:", start: "e:11", limit: 1 }), ["e:2"])
      assert.deepStrictEqual(yield* list({ start: "e:3", limit: 10 }), ["e:3", "f", "meta"])
      assert.deepStrictEqual(yield* list({ prefix: "e:", limit: 0 }), [])
      assert.deepStrictEqual(yield* list({ prefix: "zzz" }), [])
    }))
})

describe("memory KV: transactions", () => {
  it.effect("a successful body commits its writes and reads its own writes", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ a: 1, b: 2 })
      const seen = yield* kv.transaction((tx) =>
        Effect.gen(function*() {
          yield* tx.put("a", 10)
          yield* tx.delete("b")
          yield* tx.putMany([["c", 3]])
          return [yield* tx.get("a"), yield* tx.get("b"), keysOf(yield* tx.list({}))]
        })
      )
      assert.deepStrictEqual(seen, [10, undefined, ["a", "c"]])
      assert.deepStrictEqual(yield* dump(kv), { a: 10, c: 3 })
    }))

  it.effect("a failing body leaves no trace: new keys removed, overwritten and deleted keys restored", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ a: 1, b: 2, c: 3 })
      const error = yield* Effect.flip(kv.transaction((tx) =>
        Effect.gen(function*() {
          yield* tx.put("a", 10)
          yield* tx.put("d", 4)
          yield* tx.delete("b")
          yield* tx.putMany([["c", 30], ["a", 11], ["e", 5]])
          yield* tx.delete("d")
          yield* tx.put("b", 20)
          return yield* Effect.fail(new Boom())
        })
      ))
      assert.instanceOf(error, Boom)
      assert.deepStrictEqual(yield* dump(kv), { a: 1, b: 2, c: 3 })
    }))

  it.effect("a body that dies is rolled back too", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ a: 1 })
      const exit = yield* Effect.exit(kv.transaction((tx) => Effect.andThen(tx.put("a", 2), Effect.die("defect"))))
      assert.strictEqual(exit._tag, "Failure")
      assert.deepStrictEqual(yield* dump(kv), { a: 1 })
    }))

  it.effect("an interrupted body is rolled back and releases the KV", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ a: 1 })
      const entered = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(kv.transaction((tx) =>
        Effect.gen(function*() {
          yield* tx.put("a", 2)
          yield* tx.put("b", 3)
          yield* Deferred.succeed(entered, undefined)
          return yield* Effect.never
        })
      ))
      yield* Deferred.await(entered)
      assert.deepStrictEqual(yield* dump(kv), { a: 2, b: 3 }) // written through while running
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* dump(kv), { a: 1 })
      yield* kv.transaction((tx) => tx.put("c", 4))
      assert.deepStrictEqual(yield* dump(kv), { a: 1, c: 4 })
    }))

  it.effect("concurrent transactions never interleave", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ counter: 0 })
      const trace: Array<string> = []
      const increment = (name: string) =>
        kv.transaction((tx) =>
          Effect.gen(function*() {
            trace.push(`${name} begin`)
            const n = (yield* tx.get("counter")) as number
            yield* Effect.yieldNow
            yield* Effect.yieldNow
            yield* tx.put("counter", n + 1)
            trace.push(`${name} end`)
          })
        )
      const names = ["a", "b", "c", "d", "e"]
      yield* Effect.all(names.map(increment), { concurrency: "unbounded" })
      assert.strictEqual(yield* kv.get("counter"), names.length)
      for (let i = 0; i < trace.length; i += 2) {
        assert.strictEqual(trace[i + 1], trace[i]!.replace("begin", "end"), `interleaved: ${trace.join(", ")}`)
      }
    }))

  it.effect("a transaction that suspends on a Deferred holds off the next one and single writes", () =>
    Effect.gen(function*() {
      const kv = makeMemoryKV()
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const trace: Array<string> = []
      const first = yield* Effect.forkChild(kv.transaction((tx) =>
        Effect.gen(function*() {
          trace.push("first begin")
          yield* Deferred.succeed(entered, undefined)
          yield* Deferred.await(release)
          yield* tx.put("k", "first")
          trace.push("first end")
        })
      ))
      yield* Deferred.await(entered)
      const second = yield* Effect.forkChild(kv.transaction((tx) =>
        Effect.sync(() => trace.push("second")).pipe(Effect.andThen(tx.put("k", "second")))
      ))
      const write = yield* Effect.forkChild(kv.put("w", 1))
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow
      assert.deepStrictEqual(trace, ["first begin"])
      assert.isUndefined(yield* kv.get("w"))
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      yield* Fiber.join(write)
      assert.deepStrictEqual(trace, ["first begin", "first end", "second"])
      assert.deepStrictEqual(yield* dump(kv), { k: "second", w: 1 })
    }))

  it.live("a transaction interrupted while waiting for the KV does not block later ones", () =>
    Effect.gen(function*() {
      const kv = makeMemoryKV()
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(kv.transaction((tx) =>
        Effect.gen(function*() {
          yield* Deferred.succeed(entered, undefined)
          yield* Deferred.await(release)
          yield* tx.put("holder", true)
        })
      ))
      yield* Deferred.await(entered)
      const waiter = yield* Effect.forkChild(kv.transaction((tx) => tx.put("waiter", true)))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      yield* Fiber.interrupt(waiter)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      const later = yield* kv.transaction((tx) => tx.put("later", true)).pipe(Effect.timeoutOption("1 second"))
      assert.isTrue(Option.isSome(later), "the transaction after an interrupted waiter never ran")
      const write = yield* kv.put("single", true).pipe(Effect.timeoutOption("1 second"))
      assert.isTrue(Option.isSome(write), "a single write after an interrupted waiter never ran")
      assert.deepStrictEqual(yield* dump(kv), { holder: true, later: true, single: true })
    }))

  it.live("many contending transactions, some interrupted while waiting or running, stay serial and consistent", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ counter: 0 })
      let inside = 0
      let overlaps = 0
      const increment = kv.transaction((tx) =>
        Effect.gen(function*() {
          if (++inside > 1) overlaps++
          const n = (yield* tx.get("counter")) as number
          yield* Effect.yieldNow
          yield* tx.put("counter", n + 1)
          yield* Effect.yieldNow
        }).pipe(Effect.ensuring(Effect.sync(() => void inside--)))
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 60 }), () => Effect.forkChild(increment))
      yield* Effect.yieldNow
      yield* Effect.forEach(fibers.filter((_, i) => i % 3 === 1), (fiber) => Fiber.interrupt(fiber), { discard: true })
      yield* Effect.yieldNow
      yield* Effect.forEach(fibers.filter((_, i) => i % 7 === 2), (fiber) => Fiber.interrupt(fiber), { discard: true })
      const exits = yield* Effect.forEach(fibers, Fiber.await).pipe(Effect.timeoutOption("5 seconds"))
      assert.isTrue(Option.isSome(exits), "the transactions deadlocked")
      const succeeded = Option.getOrThrow(exits).filter((exit) => exit._tag === "Success").length
      assert.isAbove(succeeded, 0)
      assert.isBelow(succeeded, 60)
      assert.strictEqual(overlaps, 0)
      assert.strictEqual(yield* kv.get("counter"), succeeded)
      yield* kv.transaction((tx) => tx.put("after", true)).pipe(Effect.timeoutOption("1 second"))
      assert.isTrue(yield* kv.get("after"))
    }))
})

describe("memory KV: alarm and deleteAll", () => {
  it.effect("getAlarm, setAlarm, deleteAlarm", () =>
    Effect.gen(function*() {
      const kv = makeMemoryKV()
      assert.isUndefined(yield* kv.getAlarm())
      yield* kv.setAlarm(1_000)
      assert.strictEqual(yield* kv.getAlarm(), 1_000)
      yield* kv.setAlarm(500)
      assert.strictEqual(yield* kv.getAlarm(), 500)
      yield* kv.deleteAlarm()
      assert.isUndefined(yield* kv.getAlarm())
      yield* kv.deleteAlarm()
      assert.isUndefined(yield* kv.getAlarm())
      assert.deepStrictEqual(yield* dump(kv), {})
    }))

  it.effect("deleteAll removes every key and the alarm, and the KV stays usable", () =>
    Effect.gen(function*() {
      const kv = yield* seeded({ a: 1, "e:1": 2, meta: 3 })
      yield* kv.setAlarm(42)
      yield* kv.deleteAll()
      assert.deepStrictEqual(yield* dump(kv), {})
      assert.isUndefined(yield* kv.getAlarm())
      yield* kv.put("b", 1)
      yield* kv.setAlarm(7)
      assert.deepStrictEqual(yield* dump(kv), { b: 1 })
      assert.strictEqual(yield* kv.getAlarm(), 7)
    }))
})
