import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const within = <A>(promise: Promise<A>, ms: number): Promise<A | "hung"> =>
  Promise.race([promise, new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), ms))])

describe("the actor's batches", () => {
  it("answers every message of a batch when an append in that batch fails (no reply is left hanging)", async () => {
    const fn = durable("two-callbacks", async (_: unknown, ctx) => {
      const [a] = await ctx.createCallback("a")
      const [b] = await ctx.createCallback("b")
      return [await a, await b]
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("two-callbacks")
    const ids = execution.history.flatMap((e) => (e._tag === "CallbackStarted" ? [e.callbackId] : []))
    assert.strictEqual(ids.length, 2)
    // The store fails the next append once (a transient failure, or another writer winning the race).
    const store = runner.store as { append: typeof runner.store.append }
    const append = store.append
    let failures = 1
    store.append = (...args) => failures-- > 0 ? Effect.fail(new StoreFailure({ operation: "append", reason: "transient" })) : append(...args)
    const both = runner.engine((e) =>
      Effect.all([
        Effect.result(e.completeCallback(ids[0]!, { ok: true, result: "1" })),
        Effect.result(e.completeCallback(ids[1]!, { ok: true, result: "2" }))
      ], { concurrency: "unbounded" })
    )
    const outcome = await within(both, 30_000) // a bound on a hang, not a timing
    assert.notStrictEqual(outcome, "hung", "completeCallback never settled")
    // The message whose write failed is answered with the StoreFailure; the other one is tried again, and lands.
    const results = outcome === "hung" ? [] : outcome
    const failed = results.flatMap((result, i) => (result._tag === "Failure" ? [i] : []))
    assert.strictEqual(failed.length, 1)
    const failure = results[failed[0]!]!
    assert.instanceOf(failure._tag === "Failure" ? failure.failure : undefined, StoreFailure)
    await runner.engine((e) => e.completeCallback(ids[failed[0]!]!, { ok: true, result: String(failed[0]! + 1) }))
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, ["1", "2"])
    await runner.dispose()
  })

  it("writes nothing after the execution's terminal event, even from a step still running when the handler returned", async () => {
    const bad: Array<string> = []
    for (let delay = 0; delay < 12; delay++) {
      const fn = durable(`leaky-${delay}`, async (_: unknown, ctx) => {
        void ctx.step("late", async () => {
          for (let i = 0; i < delay; i++) await null
          return "late"
        }).catch(() => undefined)
        return "done"
      })
      const runner = createTestRunner({ functions: [fn] })
      const execution = await runner.run(`leaky-${delay}`)
      const end = execution.history.findIndex((e) => e._tag.startsWith("Execution") && e._tag !== "ExecutionStarted")
      if (end !== -1 && end !== execution.history.length - 1) bad.push(`${delay}: ${execution.history.map((e) => e._tag).join(",")}`)
      await runner.dispose()
    }
    assert.deepStrictEqual(bad, [])
  })

  it("a step's promise never resolves when its outcome was not written (its append came right after a Stop)", async () => {
    const bad: Array<string> = []
    for (let delay = 0; delay < 16; delay++) {
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let ranAfterStop = 0
      const fn = durable(`stopped-${delay}`, async (_: unknown, ctx) => {
        await ctx.step("a", async () => {
          await gate
          return "a"
        })
        await ctx.step("b", async () => void ranAfterStop++)
        return "done"
      })
      const runner = createTestRunner({ functions: [fn] })
      const id = `stopped-${delay}`
      await runner.engine((e) => e.start({ functionName: id, executionId: id }))
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve)) // step a's body is waiting
      release()
      for (let i = 0; i < delay; i++) await null
      const stopping = runner.engine((e) => e.stop(id)).catch(() => undefined)
      await stopping
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
      const history = await runner.engine((e) => e.history(id))
      const aRecorded = history.some((e) => e._tag === "StepSucceeded" && e.name === "a")
      // Step b can only start once step a's promise resolved, which must mean a's outcome is in the log.
      if (ranAfterStop > 0 && !aRecorded) {
        bad.push(`${delay}: b ran ${ranAfterStop}x; ${history.map((e) => e._tag).join(",")}`)
      }
      await runner.dispose()
    }
    assert.deepStrictEqual(bad, [])
  })
})
