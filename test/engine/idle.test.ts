/**
 * When an execution is idle (src/engine/actor-activity.ts): it follows the handler's own promise and the durable
 * operations it waits on, so a handler busy with work that is not durable (a file, a plain timer) is not idle.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("idle follows the handler, not quiet turns", () => {
  it("a handler that reads a file and awaits a plain timer before its first step runs to its end in one invocation", async () => {
    const fn = durable("not-durable-first", async (_: unknown, ctx) => {
      const source = await readFile(fileURLToPath(import.meta.url), "utf8")
      await sleep(200)
      const length = await ctx.step("measure", async () => source.length)
      await sleep(50)
      await ctx.wait("pause", { hours: 1 })
      return length > 0
    })
    const runner = createTestRunner({ functions: [fn] })
    const started = await runner.start("not-durable-first")
    // start returns when the execution is idle: here, on the wait, past the timers and the step
    assert.strictEqual(started.status, "RUNNING")
    assert.deepStrictEqual(started.operations.map((op) => `${op.name} ${op.status}`), ["measure SUCCEEDED", "pause STARTED"])
    const done = await started.settle()
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.strictEqual(done.result, true)
    assert.strictEqual(done.invocations, 1)
    await runner.dispose()
  })

  it("a wait started and never awaited does not make the handler idle while it goes on without it", async () => {
    const fn = durable("unawaited-wait", async (_: unknown, ctx) => {
      void ctx.wait("not-awaited", { days: 1 })
      await sleep(100)
      return await ctx.step("after", async () => "done")
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("unawaited-wait")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "done")
    assert.deepStrictEqual(execution.operations.map((op) => `${op.name} ${op.status}`), ["not-awaited STARTED", "after SUCCEEDED"])
    await runner.dispose()
  })

  it("a handler that awaits only a plain timer and ends is not idle before it ends", async () => {
    const fn = durable("timer-only", async () => {
      await sleep(150)
      return "after the timer"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("timer-only")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "after the timer")
    await runner.dispose()
  })
})
