/**
 * The engine's side of ctx.continueAsNew (src/engine/continue-as-new.ts): a chain of runs that do nothing durable
 * between them gives the event loop a turn per run, so that on a store that answers at once (the test runner's
 * memory store) it no longer starved the process until memory ran out.
 */
import { assert, describe, it } from "vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("a chain of runs with no durable operation in them", () => {
  it("lets the event loop in between runs: runner.start returns at the first run, timers fire while the chain goes on", async () => {
    const RUNS = 300
    let runs = 0
    const chain = durable("tight-chain", async (event: { i?: number }, ctx) => {
      runs++
      const i = event.i ?? 0
      return i < RUNS ? ctx.continueAsNew({ i: i + 1 }) : "end"
    })
    const runner = createTestRunner({ functions: [chain] })
    try {
      let turns = 0
      const ticking = setInterval(() => turns++, 0)
      const first = await runner.start("tight-chain", {}, { executionId: "tight" })
      // Before, start returned only once all 301 runs had run on microtasks, no timer firing meanwhile.
      assert.strictEqual(first.status, "CONTINUED_AS_NEW")
      assert.isBelow(runs, RUNS, "runner.start answered at the first run, not at the chain's end")
      const deadline = Date.now() + 30_000
      while (runs <= RUNS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      clearInterval(ticking)
      const last = await runner.execution(`tight~${RUNS + 1}`)
      assert.strictEqual(last.expectSucceeded(), "end")
      assert.isAbove(turns, 10, "timers fired while the chain ran")
    } finally {
      await runner.dispose()
    }
  })
})
