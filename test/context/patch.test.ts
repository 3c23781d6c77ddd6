import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ConfigurationError, durable } from "../../src/index.ts"
import type { LogEvent } from "../../src/log/events.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const markers = (history: ReadonlyArray<LogEvent>) =>
  history.flatMap((e) => (e._tag === "PatchMarked" ? [{ patchId: e.patchId, contextId: e.contextId, position: e.position }] : []))

describe("ctx.patched and ctx.deprecatePatch", () => {
  it("is true on a first run, records one marker however often it is asked, and the version label is recorded and listed", async () => {
    const answers: Array<boolean> = []
    const fn = durable("patched-first", async (_: unknown, ctx) => {
      await ctx.step("a", () => 1)
      answers.push(ctx.patched("p1"), ctx.patched("p1"))
      ctx.deprecatePatch("p0")
      await ctx.step("b", () => 2)
      answers.push(ctx.patched("p1"))
      return "done"
    }, { version: "2026.12" })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("patched-first")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(answers, [true, true, true])
    assert.deepStrictEqual(markers(execution.history), [
      { patchId: "p1", contextId: undefined, position: 1 },
      { patchId: "p0", contextId: undefined, position: 1 }
    ])
    const started = execution.history[0]!
    assert.strictEqual(started._tag === "ExecutionStarted" ? started.version : undefined, "2026.12")
    const view = await runner.engine((e) => e.describe(execution.executionId))
    assert.strictEqual(view.version, "2026.12")
    const listed = await runner.engine((e) => e.list({ version: "2026.12" }))
    assert.deepStrictEqual(listed.items.map((s) => [s.executionId, s.version]), [[execution.executionId, "2026.12"]])
    assert.deepStrictEqual((await runner.engine((e) => e.list({ version: "2026.11" }))).items, [])
    await runner.dispose()
  })

  it("stays true when its own log replays (after an eviction) and writes no second marker", async () => {
    const paths: Array<string> = []
    const fn = durable("patched-replay", async (_: unknown, ctx) => {
      await ctx.step("a", () => 1)
      const path = ctx.patched("p") ? "new" : "old"
      paths.push(path)
      await ctx.wait("pause", { hours: 1 })
      await ctx.step(path, () => path)
      return path
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("patched-replay")
    await execution.evict()
    await execution.advanceTime({ hours: 1 })
    await execution.settle()
    assert.strictEqual(execution.result, "new")
    assert.deepStrictEqual(paths, ["new", "new"]) // first run, then the replay after eviction
    assert.strictEqual(markers(execution.history).length, 1)
    await runner.dispose()
  })

  /** Deploys `next` over the store holding `history`, as a redeploy over the same database does. */
  const redeploy = async (next: ReturnType<typeof durable>, history: ReadonlyArray<LogEvent>) => {
    const runner = createTestRunner({ functions: [next] })
    const id = (history[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>).executionId
    await Effect.runPromise(runner.store.append(id, history, 0))
    return { runner, execution: await runner.execution(id) }
  }

  it("is false on the replay of a log written before the patch, and stays false for the rest of that execution", async () => {
    const v1 = durable("signup", async (_: unknown, ctx) => {
      await ctx.step("a", () => 1)
      await ctx.wait("pause", { hours: 1 })
      await ctx.step("old-2", () => 2)
      return "old"
    })
    const answers: Array<boolean> = []
    const v2 = durable("signup", async (_: unknown, ctx) => {
      await ctx.step("a", () => 1)
      const before = ctx.patched("p")
      answers.push(before)
      if (before) await ctx.step("new-1", () => 1)
      await ctx.wait("pause", { hours: 1 })
      const after = ctx.patched("p")
      answers.push(after)
      if (after) {
        await ctx.step("new-2", () => 2)
        return "new"
      }
      await ctx.step("old-2", () => 2)
      return "old"
    })
    const first = createTestRunner({ functions: [v1] })
    const suspended = await first.start("signup")
    assert.strictEqual(suspended.status, "RUNNING")
    const { runner, execution } = await redeploy(v2, suspended.history)
    await execution.advanceTime({ hours: 1 })
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "old")
    assert.deepStrictEqual(answers, [false, false])
    assert.deepStrictEqual(markers(execution.history), [])
    await first.dispose()
    await runner.dispose()
  })

  it("an old execution that first asks after its suspension takes the new path, and its marker there does not flip the earlier replay", async () => {
    const v1 = durable("late", async (_: unknown, ctx) => {
      await ctx.step("a", () => 1)
      await ctx.wait("first", { hours: 1 })
      await ctx.step("b", () => 2)
      await ctx.wait("second", { hours: 1 })
      return "v1"
    })
    const v2 = durable("late", async (_: unknown, ctx) => {
      await ctx.step("a", () => 1)
      await ctx.wait("first", { hours: 1 })
      const path = ctx.patched("late") ? "new" : "old"
      await ctx.step("b", () => 2)
      await ctx.wait("second", { hours: 1 })
      await ctx.step(path, () => path)
      return path
    })
    const first = createTestRunner({ functions: [v1] })
    const suspended = await first.start("late")
    const { runner, execution } = await redeploy(v2, suspended.history)
    await execution.advanceTime({ hours: 1 })
    assert.deepStrictEqual(markers(execution.history), [{ patchId: "late", contextId: undefined, position: 2 }])
    await execution.evict() // the next wake-up replays the whole log, marker included
    await execution.advanceTime({ hours: 1 })
    await execution.settle()
    assert.strictEqual(execution.result, "new")
    assert.strictEqual(markers(execution.history).length, 1)
    await first.dispose()
    await runner.dispose()
  })

  it("works inside child contexts (marker recorded with its context) and rejects an empty patch id", async () => {
    const fn = durable("nested", async (_: unknown, ctx) => {
      const inner = await ctx.runInChildContext("child", async (child) => {
        await child.step("x", () => 1)
        return child.patched("inner")
      })
      let error: unknown
      try {
        ctx.patched("")
      } catch (e) {
        error = e
      }
      return { inner, rejected: error instanceof ConfigurationError }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("nested")
    assert.deepStrictEqual(execution.result, { inner: true, rejected: true })
    assert.deepStrictEqual(markers(execution.history), [{ patchId: "inner", contextId: "1", position: 1 }])
    await runner.dispose()
  })

  it("refuses a version label that is not 1-128 characters, or holds a control character", () => {
    assert.throws(() => durable("bad-version", async () => 1, { version: "" }), /version/)
    assert.throws(() => durable("bad-version", async () => 1, { version: "x".repeat(129) }), /version/)
    // NUL failed every start on PostgreSQL (text refuses it); an escape sequence would reach terminals through the CLI.
    for (const version of ["v1\u0000", "v1\n", "\u001b[31mv1", "v1\u009b"]) {
      assert.throws(() => durable("bad-version", async () => 1, { version }), /none of them a control character/, JSON.stringify(version))
    }
    assert.strictEqual(durable("good-version", async () => 1, { version: "2026-12-07 release ü/v1.2+build" }).options.version, "2026-12-07 release ü/v1.2+build")
  })
})
