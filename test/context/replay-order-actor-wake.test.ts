/**
 * A callback completed (an end the actor writes itself, woken through OperationWaiters) while another lane's step
 * body is about to end: the callback's caller gets its rounds (write-releases.ts `woke`), so the step's end, landing
 * within them, waits and its caller does not pass it. Before, `a2` took the id a replay gives `p` (35 of 324 cells of
 * the reviewer's grid).
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { plain } from "./replay-fuzz-runs.ts"

describe("replay order: a callback completed while another lane's step body ends", () => {
  it("keeps the log's order on replay", { timeout: 120_000 }, async () => {
    const failed: Array<string> = []
    for (const n of [3, 8, 16]) {
      for (let k = 0; k <= 40; k += 2) {
        let open!: () => void
        const gate = new Promise<void>((resolve) => (open = resolve))
        const fn = durable("cb", async (_: unknown, ctx) => {
          const r = await Promise.all([
            (async () => { const [answer] = await ctx.createCallback<string>("cb"); await answer; await plain(n); return ctx.step("p", async () => 1) })(),
            (async () => { await ctx.step("a", async () => { await gate; await plain(k); return 2 }); return ctx.step("a2", async () => 2) })()
          ])
          await ctx.wait("cool-off", { seconds: 5 })
          return r
        })
        const runner = createTestRunner({ functions: [fn], skipTime: false })
        try {
          const { executionId } = (await runner.begin("cb")) as { executionId: string }
          const execution = await runner.execution(executionId)
          for (let i = 0; i < 500; i++) {
            await new Promise((resolve) => setTimeout(resolve, 1))
            await execution.refresh()
            if (execution.operations.some((op) => op.type === "CALLBACK" && op.status === "STARTED") && execution.stepBodyRuns["a"] === 1) break
          }
          const callback = execution.operations.find((op) => op.type === "CALLBACK")!
          assert.strictEqual(callback?.status, "STARTED", "the callback is there")
          assert.strictEqual(execution.stepBodyRuns["a"], 1, "step a's body runs (it waits for the gate)")
          open() // the step body ends a few microtasks after the completion is sent
          await execution.sendCallbackSuccess(callback.callbackId!, "\"x\"")
          await execution.settle()
          await execution.evict()
          await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
          await execution.settle()
          if (execution.status !== "SUCCEEDED") failed.push(`n=${n} k=${k}: ${execution.status} ${execution.error?.errorMessage?.slice(0, 100)}`)
        } finally {
          open()
          await runner.dispose()
        }
      }
    }
    assert.deepStrictEqual(failed, [])
  })
})
