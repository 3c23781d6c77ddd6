/**
 * A failure read back on replay has the cause chain the thrown one had on the first run, so code that branches on
 * a cause decides the same way after a crash (the replay probe: it failed as non-deterministic, or silently took
 * the other branch).
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, StepError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

class OutOfStock extends Error {
  override readonly name = "OutOfStock"
}

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

/** The names and messages of an error's `cause` chain, nearest first. */
const chainOf = (error: unknown): Array<string> => {
  const links: Array<string> = []
  for (let node = (error as Error).cause as Error | undefined; node !== undefined; node = node.cause as Error | undefined) links.push(`${node.name}: ${node.message}`)
  return links
}

/** An error with five causes: its story keeps the nearest and the root, and counts those left out. */
const deeplyCaused = (): Error => {
  let error: Error = new OutOfStock("root")
  for (let i = 5; i >= 1; i--) error = new Error(`cause ${i}`, { cause: error })
  return error
}

/** Both runs, without crashes and with a crash at every checkpoint, must end alike. */
const bothWays = async (fn: ReturnType<typeof durable>) => {
  const runner = createTestRunner({ functions: [fn] })
  try {
    const calm = await runner.run(fn.name)
    const crashed = await runner.run(fn.name, undefined, { crashAtEveryCheckpoint: true })
    const evicted = await runner.start(fn.name)
    await evicted.evict()
    await evicted.settle()
    return { calm, crashed, evicted }
  } finally {
    await runner.dispose()
  }
}

describe("replayed errors", () => {
  it("keep a cause two levels down: a step's error inside ctx.promise.all", async () => {
    const fn = durable("combinator-cause", async (_: unknown, ctx) => {
      let branch = "other"
      try {
        await ctx.promise.all([ctx.step("reserve", async () => { throw new OutOfStock("none left") }, noRetry)])
      } catch (error) {
        if (StepError.isCausedBy((error as Error).cause, OutOfStock)) branch = "out-of-stock"
      }
      await ctx.step(`handle-${branch}`, async () => branch)
      await ctx.wait("cool-off", { seconds: 3 })
      return branch
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    assert.strictEqual(calm.result, "out-of-stock")
    assert.strictEqual(crashed.status, "SUCCEEDED", crashed.error?.errorMessage)
    assert.strictEqual(crashed.result, "out-of-stock")
    assert.strictEqual(evicted.result, "out-of-stock")
  })

  it("keep a nested child context's cause: the error its body threw", async () => {
    const fn = durable("nested-cause", async (_: unknown, ctx) => {
      let cause = "none"
      try {
        await ctx.runInChildContext("outer", (outer) => outer.runInChildContext("inner", async () => { throw new OutOfStock("none left") }))
      } catch (error) {
        cause = ((error as Error).cause as Error | undefined)?.name ?? "none"
      }
      await ctx.wait("cool-off", { seconds: 3 })
      return ctx.step(`handle-${cause}`, async () => cause)
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    assert.strictEqual(calm.result, "OutOfStock")
    assert.strictEqual(crashed.status, "SUCCEEDED", crashed.error?.errorMessage)
    assert.strictEqual(crashed.result, "OutOfStock")
    assert.strictEqual(evicted.result, "OutOfStock")
  })

  it("keep a failed map item's cause", async () => {
    const fn = durable("item-cause", async (_: unknown, ctx) => {
      const batch = await ctx.map([0, 1], async (item, i) => {
        if (i === 1) throw new OutOfStock(`item ${i}`)
        return item.step(async () => i)
      }, { completionConfig: { toleratedFailureCount: 1 } })
      await ctx.wait("cool-off", { seconds: 3 })
      return batch.getErrors().map((error) => (error.cause as Error | undefined)?.name ?? "none")
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    assert.deepStrictEqual(calm.result, ["OutOfStock"])
    assert.deepStrictEqual(crashed.result, ["OutOfStock"])
    assert.deepStrictEqual(evicted.result, ["OutOfStock"])
  })

  it("keep the submitter's error under a waitForCallback's CallbackSubmitterError", async () => {
    const fn = durable("submitter-cause", async (_: unknown, ctx) => {
      let caused = false
      try {
        await ctx.waitForCallback("approval", async () => { throw new OutOfStock("cannot ask") }, noRetry)
      } catch (error) {
        caused = StepError.isCausedBy(error, OutOfStock)
      }
      await ctx.wait("cool-off", { seconds: 3 })
      return ctx.step(`handle-${caused}`, async () => caused)
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    assert.strictEqual(calm.result, true)
    assert.strictEqual(crashed.result, true)
    assert.strictEqual(evicted.result, true)
  })

  it("keep a cause whose message begins as an AggregateError's inner error's does ([errors[0]] …)", async () => {
    const fn = durable("prefixed-cause", async (_: unknown, ctx) => {
      let caused = false
      try {
        await ctx.step("reserve", async () => { throw new Error("reserve failed", { cause: new OutOfStock("[errors[0]] none left") }) }, noRetry)
      } catch (error) {
        caused = StepError.isCausedBy(error, OutOfStock)
      }
      await ctx.wait("cool-off", { seconds: 3 })
      return ctx.step(`handle-${caused}`, async () => caused)
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    assert.strictEqual(calm.result, true)
    assert.strictEqual(crashed.result, true)
    assert.strictEqual(evicted.result, true)
  })

  it("give a failed map item the chain a failed step gets: its causes, without the count of those left out", async () => {
    const fn = durable("item-chain", async (_: unknown, ctx) => {
      let step: Array<string> = []
      try {
        await ctx.step("reserve", async () => { throw deeplyCaused() }, noRetry)
      } catch (error) {
        step = chainOf(error)
      }
      const batch = await ctx.map([0], async () => { throw deeplyCaused() }, { completionConfig: { toleratedFailureCount: 1 } })
      await ctx.wait("cool-off", { seconds: 3 })
      return { step, item: chainOf(batch.getErrors()[0]) }
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    const expected = { step: ["Error: cause 1", "Error: cause 2", "Error: cause 3", "OutOfStock: root"], item: ["Error: cause 1", "Error: cause 2", "Error: cause 3", "OutOfStock: root"] }
    assert.deepStrictEqual(calm.result, expected)
    assert.deepStrictEqual(crashed.result, expected)
    assert.deepStrictEqual(evicted.result, expected)
  })

  it("keep an allSettled rejection's cause", async () => {
    const fn = durable("settled-cause", async (_: unknown, ctx) => {
      const [outcome] = await ctx.promise.allSettled([ctx.step("reserve", async () => { throw new OutOfStock("none left") }, noRetry)])
      await ctx.wait("cool-off", { seconds: 3 })
      return outcome!.status === "rejected" ? StepError.isCausedBy(outcome!.reason, OutOfStock) : "fulfilled"
    })
    const { calm, crashed, evicted } = await bothWays(fn)
    assert.strictEqual(calm.result, true)
    assert.strictEqual(crashed.result, true)
    assert.strictEqual(evicted.result, true)
  })
})
