/**
 * A lane that awaits a few microtasks before its first call (`await helper()`) beside a lane whose first operation's
 * continuation calls again. On a first run no operation ends before the lanes have made their first calls (an end
 * takes a write); a replay let the first recorded operation go at once, its continuation took the next id, and the
 * replay failed as non-deterministic. Now a body's start gets rounds of microtasks on both (replay-order.ts and
 * write-releases.ts `bodyStarted`).
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** Some plain async work before a lane's first call: `depth` microtasks. */
const helper = async (depth: number) => {
  for (let i = 0; i < depth; i++) await Promise.resolve()
  return "checked"
}

const lanes = (ctx: DurableContext, depth = 3) =>
  Promise.all([
    (async () => {
      const a = await ctx.step("a", async () => "a")
      return ctx.step("after-a", async () => `${a}!`)
    })(),
    (async () => {
      const checked = await helper(depth)
      return ctx.step("after-helper", async () => checked)
    })()
  ])

const atTheRoot = durable("lanes-at-the-root", async (_: unknown, ctx) => {
  const results = await lanes(ctx)
  await ctx.wait("cool-off", { seconds: 5 })
  return results
})

const inAChild = durable("lanes-in-a-child", async (_: unknown, ctx) =>
  ctx.runInChildContext("child", async (child) => {
    const results = await lanes(child)
    await child.wait("cool-off", { seconds: 5 })
    return results
  }))

/**
 * Deeper than a first run's first write takes to answer (12-20 rounds of microtasks on the test runner), within the
 * start's 32: on a first run the step's caller went on first, while a replay, which gives the start its rounds, let
 * the lane call first.
 */
const deeper = durable("lanes-deeper", async (_: unknown, ctx) => {
  const results = await lanes(ctx, 20)
  await ctx.wait("cool-off", { seconds: 5 })
  return results
})

const names = (operations: ReadonlyArray<{ readonly name?: string | undefined }>) => operations.map((op) => op.name)

describe("replay order at a body's start", () => {
  it("replays a lane that awaited plain work before its first call, beside one that called from a continuation", async () => {
    const runner = createTestRunner({ functions: [atTheRoot] })
    try {
      const execution = await runner.start("lanes-at-the-root")
      assert.deepStrictEqual(names(execution.operations), ["a", "after-helper", "after-a", "cool-off"])
      await execution.evict()
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["a!", "checked"])
    } finally {
      await runner.dispose()
    }
  })

  it("does so inside a child context whose body runs again", async () => {
    const runner = createTestRunner({ functions: [inAChild] })
    try {
      const execution = await runner.start("lanes-in-a-child")
      const child = execution.getOperation("child")!
      assert.deepStrictEqual(names(execution.operations.filter((op) => op.parentId === child.id)), ["a", "after-helper", "after-a", "cool-off"])
      await execution.evict()
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["a!", "checked"])
    } finally {
      await runner.dispose()
    }
  })

  it("gives a first run's start the same rounds, so a lane that awaits longer than a write takes still calls first", async () => {
    const runner = createTestRunner({ functions: [deeper] })
    try {
      const execution = await runner.start("lanes-deeper")
      assert.deepStrictEqual(names(execution.operations), ["a", "after-helper", "after-a", "cool-off"])
      await execution.evict()
      await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
    } finally {
      await runner.dispose()
    }
  })
})
