/**
 * Two ends the actor writes itself, one after the other: two waits that fire in one write, or two callbacks completed
 * back to back (two writes a store answers within microtasks). A replay settles them in the log's order, the first
 * one's continuation with its rounds before the second goes (write-releases.ts `woke`). Before, both callers went on
 * at once on the first run, and the second lane, with the shorter continuation, took the id a replay gives the first:
 * "Operation name mismatch" on every replay below with d1 > d2.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner, type TestExecution, type TestRunner } from "../../src/testing/index.ts"
import { plain } from "./replay-fuzz-runs.ts"

const DEPTHS = [[0, 0], [8, 0], [0, 8], [16, 0], [24, 0]] as const

const replayed = async (
  lanes: (d1: number, d2: number) => Parameters<typeof durable>[1],
  drive: (execution: TestExecution, now: number, runner: TestRunner) => Promise<void>
) => {
  const failed: Array<string> = []
  for (const [d1, d2] of DEPTHS) {
    const fn = durable("ends", lanes(d1, d2))
    const runner = createTestRunner({ functions: [fn], skipTime: false })
    try {
      const { executionId } = (await runner.begin("ends")) as { executionId: string }
      const execution = await runner.execution(executionId)
      await execution.settle()
      await drive(execution, execution.now.getTime(), runner)
      await execution.settle()
      await execution.evict()
      await runner.fireAt(executionId, execution.now.getTime() + 5_000) // the cool-off: a replay from the log
      await execution.settle()
      if (execution.status !== "SUCCEEDED") failed.push(`depths ${d1}, ${d2}: ${execution.status} ${execution.error?.errorMessage?.slice(0, 120)}`)
    } finally {
      await runner.dispose()
    }
  }
  return failed
}

describe("replay order: two ends the actor writes itself", () => {
  it("two waits that fire in one write", { timeout: 60_000 }, async () => {
    const failed = await replayed(
      (d1, d2) => async (_: unknown, ctx) => {
        const r = await Promise.all([
          (async () => { await ctx.wait("w1", { seconds: 5 }); await plain(d1); return ctx.step("p1", async () => 1) })(),
          (async () => { await ctx.wait("w2", { seconds: 5 }); await plain(d2); return ctx.step("p2", async () => 2) })()
        ])
        await ctx.wait("cool-off", { seconds: 5 })
        return r
      },
      (execution, now, runner) => runner.fireAt(execution.executionId, now + 5_000)
    )
    assert.deepStrictEqual(failed, [])
  })

  it("two callbacks completed back to back", { timeout: 60_000 }, async () => {
    const failed = await replayed(
      (d1, d2) => async (_: unknown, ctx) => {
        const r = await Promise.all([
          (async () => { const [a] = await ctx.createCallback<string>("c1"); await a; await plain(d1); return ctx.step("p1", async () => 1) })(),
          (async () => { const [a] = await ctx.createCallback<string>("c2"); await a; await plain(d2); return ctx.step("p2", async () => 2) })()
        ])
        await ctx.wait("cool-off", { seconds: 5 })
        return r
      },
      async (execution) => {
        const callbacks = execution.operations.filter((op) => op.type === "CALLBACK")
        assert.strictEqual(callbacks.length, 2)
        await Promise.all([
          execution.sendCallbackSuccess(callbacks[0]!.callbackId!, "\"x\""),
          execution.sendCallbackSuccess(callbacks[1]!.callbackId!, "\"y\"")
        ])
      }
    )
    assert.deepStrictEqual(failed, [])
  })
})
