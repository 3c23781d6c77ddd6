import { assert, describe, it } from "@effect/vitest"
import { setImmediate as macrotask } from "node:timers/promises"
import { DurablePromise } from "../../src/context/durable-promise.ts"

/** Lets the event loop run a couple of turns, long enough for Node to report unhandled rejections. */
const settle = async () => {
  await macrotask()
  await macrotask()
}

describe("DurablePromise", () => {
  it("is not executed until someone awaits it", async () => {
    const promise = new DurablePromise(Promise.resolve(1))
    await settle()
    assert.isFalse(promise.isExecuted)
    assert.strictEqual(await promise, 1)
    assert.isTrue(promise.isExecuted)
  })

  it("is executed once then, catch or finally is called", () => {
    const viaThen = new DurablePromise(Promise.resolve(1))
    void viaThen.then(() => undefined)
    assert.isTrue(viaThen.isExecuted)

    const viaCatch = new DurablePromise(Promise.resolve(1))
    void viaCatch.catch(() => undefined)
    assert.isTrue(viaCatch.isExecuted)

    const viaFinally = new DurablePromise(Promise.resolve(1))
    void viaFinally.finally(() => undefined)
    assert.isTrue(viaFinally.isExecuted)
  })

  it("starts its work when created, not when awaited", async () => {
    let ran = false
    const promise = new DurablePromise((async () => {
      ran = true
      return "done"
    })())
    await settle()
    assert.isTrue(ran)
    assert.isFalse(promise.isExecuted)
    assert.strictEqual(await promise, "done")
  })

  it("resolves like a promise: await, then chains, Promise.all", async () => {
    const promise = new DurablePromise(Promise.resolve(21))
    assert.strictEqual(await promise, 21)
    assert.strictEqual(await promise.then((n) => n * 2), 42)
    assert.deepStrictEqual(await Promise.all([promise, new DurablePromise(Promise.resolve("b"))]), [21, "b"])
  })

  it("rejects like a promise: await throws, catch and the second then argument see the reason", async () => {
    const reason = new Error("step failed")
    const promise = new DurablePromise<number>(Promise.reject(reason))
    try {
      await promise
      assert.fail("expected a rejection")
    } catch (error) {
      assert.strictEqual(error, reason)
    }
    assert.strictEqual(await promise.catch((e: unknown) => e), reason)
    assert.strictEqual(await promise.then(() => "no", (e: unknown) => e), reason)
  })

  it("runs finally callbacks and keeps the outcome", async () => {
    let calls = 0
    assert.strictEqual(await new DurablePromise(Promise.resolve(7)).finally(() => calls++), 7)
    const rejected = new DurablePromise<number>(Promise.reject(new Error("no")))
    try {
      await rejected.finally(() => calls++)
      assert.fail("expected a rejection")
    } catch (error) {
      assert.strictEqual((error as Error).message, "no")
    }
    assert.strictEqual(calls, 2)
  })

  it("says what it is", () => {
    assert.strictEqual(Object.prototype.toString.call(new DurablePromise(Promise.resolve())), "[object DurablePromise]")
  })

  it("a rejection nobody awaits is not reported as unhandled", async () => {
    const unhandled: Array<unknown> = []
    const listener = (reason: unknown) => {
      unhandled.push(reason)
    }
    process.on("unhandledRejection", listener)
    try {
      const promise = new DurablePromise(Promise.reject(new Error("nobody is listening")))
      await settle()
      assert.deepStrictEqual(unhandled, [])
      assert.isFalse(promise.isExecuted)

      // The listener does catch a plain rejected promise, so the silence above means something. (While a test's
      // own listener is attached, Vitest leaves unhandled rejections to it and does not fail the run.)
      void Promise.reject(new Error("a plain promise"))
      await settle()
      assert.strictEqual(unhandled.length, 1)
      assert.strictEqual((unhandled[0] as Error).message, "a plain promise")
    } finally {
      process.off("unhandledRejection", listener)
    }
  })
})
