import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** Runs `fn` on the test runner and records each write's events, in order. */
const writesOf = async (fn: ReturnType<typeof durable>, run: (runner: ReturnType<typeof createTestRunner>) => Promise<{ result?: unknown; history: ReadonlyArray<{ _tag: string }> }>) => {
  const runner = createTestRunner({ functions: [fn] })
  const writes: Array<Array<string>> = []
  const append = runner.store.append
  runner.store.append = (id, events, expected, options) =>
    Effect.andThen(Effect.sync(() => writes.push(events.map((e) => e._tag))), append(id, events, expected, options))
  try {
    const execution = await run(runner)
    assert.strictEqual(writes.flat().length, execution.history.length, "every event written once")
    return { writes, result: execution.result }
  } finally {
    await runner.dispose()
  }
}

describe("write batching", () => {
  it("writes the appends of branches that finish in the same tick in one store transaction", async () => {
    const fn = durable("fan-out", async (_: unknown, ctx) => {
      const result = await ctx.parallel(Array.from({ length: 8 }, (_, i) => async (branch: typeof ctx) => await branch.step(async () => i)))
      return result.getResults()
    })
    const runner = createTestRunner({ functions: [fn] })
    const batches: Array<number> = []
    const append = runner.store.append
    runner.store.append = (id, events, expected) => Effect.andThen(Effect.sync(() => batches.push(events.length)), append(id, events, expected))
    const execution = await runner.run("fan-out")
    assert.deepStrictEqual(execution.result, [0, 1, 2, 3, 4, 5, 6, 7])
    const events = execution.history.length
    assert.strictEqual(batches.reduce((a, b) => a + b, 0), events)
    // 8 branch contexts start and finish, each with one step: far fewer writes than events.
    assert.isAtMost(batches.length, 8)
    assert.isTrue(batches.some((size) => size >= 8), `batch sizes: ${batches.join(",")}`)
    await runner.dispose()
  })

  it("writes a child context's start with its first step's result, and its outcome with what follows", async () => {
    const fn = durable("contexts", async (_: unknown, ctx) => {
      let sum = 0
      for (let i = 1; i <= 3; i++) sum += await ctx.runInChildContext(`c${i}`, async (child) => child.step(async () => i))
      return sum
    })
    const { writes, result } = await writesOf(fn, (runner) => runner.run("contexts"))
    assert.strictEqual(result, 6)
    // Neither the start nor the outcome of a context is awaited (as in AWS's SDK): they wait a few rounds of
    // microtasks for the handler's next write. One write per context, not three.
    assert.deepStrictEqual(writes, [
      ["ExecutionStarted"],
      ["ContextStarted", "StepSucceeded"],
      ["ContextSucceeded", "ContextStarted", "StepSucceeded"],
      ["ContextSucceeded", "ContextStarted", "StepSucceeded"],
      ["ContextSucceeded", "ExecutionSucceeded"]
    ])
  })

  it("a callback that ends its execution costs two writes: the completion, then waitForCallback's outcome with the end", async () => {
    const fn = durable("approval", async (_: unknown, ctx) => await ctx.waitForCallback<string>("approve", async () => undefined))
    const { writes, result } = await writesOf(fn, async (runner) => {
      const execution = await runner.start("approval")
      const callbackId = execution.history.flatMap((e) => (e._tag === "CallbackStarted" ? [e.callbackId] : []))[0]!
      await execution.settle()
      const before = execution.history.length
      await runner.engine((e) => e.completeCallback(callbackId, { ok: true, result: "yes" }))
      await execution.settle()
      assert.isAbove(execution.history.length, before)
      return execution
    })
    assert.strictEqual(result, "yes")
    assert.deepStrictEqual(writes.slice(-2), [["CallbackSucceeded"], ["ContextSucceeded", "ExecutionSucceeded"]])
  })

  // While a child context runs, its caller goes on in the log's order (write-releases.ts): only callers in its own
  // context are its rivals. Counting every other caller held each child's caller for rounds, and its outcome was
  // written alone (the review: 436 writes instead of 42 for 10 lanes of 20 contexts).
  it("lanes of child contexts side by side share their writes", async () => {
    const fn = durable("lanes-of-contexts", async (_: unknown, ctx) =>
      Promise.all(Array.from({ length: 4 }, (_, lane) => (async () => {
        let sum = 0
        for (let i = 0; i < 5; i++) {
          sum += await ctx.runInChildContext(`c${lane}.${i}`, async (child) => {
            await child.step(`c${lane}.${i}.a`, async () => i)
            return child.step(`c${lane}.${i}.b`, async () => i)
          })
        }
        return sum
      })())))
    const { writes, result } = await writesOf(fn, (runner) => runner.run("lanes-of-contexts"))
    assert.deepStrictEqual(result, [10, 10, 10, 10])
    // A write per step of the lanes (each lane's steps in one), plus the start: not one more per context.
    assert.isAtMost(writes.length, 12, JSON.stringify(writes))
  })

  it("a ctx.promise combinator over steps costs no write of its own", async () => {
    const fn = durable("combined", async (_: unknown, ctx) => {
      let sum = 0
      for (let i = 0; i < 5; i++) {
        const [a = 0, b = 0] = await ctx.promise.all([ctx.step(`a${i}`, async () => 1), ctx.step(`b${i}`, async () => 2)])
        sum += a + b
      }
      return sum
    })
    const { writes, result } = await writesOf(fn, (runner) => runner.run("combined"))
    assert.strictEqual(result, 15)
    // The combinator's outcome goes with the next round's steps: the steps it awaits are its own code's callers.
    assert.isAtMost(writes.length, 7, JSON.stringify(writes))
  })

  // The callers of one write are paced one at a time (write-releases.ts): a branch's next step held behind its own
  // previous one, whose rounds still ran, made the parallel's outcome miss the branches' write (6 writes, 1 run in 6).
  it("100 parallel branches of 3 steps write 5 times, every run", async () => {
    const fn = durable("branches", async (_: unknown, ctx) =>
      (await ctx.parallel(Array.from({ length: 100 }, (_, b) => async (c: typeof ctx) => {
        for (let i = 0; i < 3; i++) await c.step(async () => i)
        return b
      }))).successCount)
    const runner = createTestRunner({ functions: [fn] })
    let writes = 0
    const append = runner.store.append
    runner.store.append = (id, events, expected, options) => Effect.andThen(Effect.sync(() => void writes++), append(id, events, expected, options))
    try {
      const counts: Array<number> = []
      for (let i = 0; i < 50; i++) {
        writes = 0
        await runner.run("branches")
        counts.push(writes)
      }
      assert.deepStrictEqual(counts.filter((n) => n !== 5), [])
    } finally {
      await runner.dispose()
    }
  })
})
