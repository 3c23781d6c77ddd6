/**
 * Issue 19, store faults: an execution whose write the store refused (its actor stopped) is resumed by the host once
 * the store is back. These memory ports have a wake-up source that delivers nothing, so only the host's retry of
 * store-failed executions can resume it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startHost } from "../../src/host/index.ts"
import { durable } from "../../src/index.ts"
import { makeStoreFaults, withStoreFaults } from "../../src/testing/index.ts"
import { memoryPorts } from "./memory-ports.ts"

describe("the host after a store failure", () => {
  it("resumes an execution whose step result the store refused, once the store takes writes again", async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inBody = new Promise<void>((resolve) => (entered = resolve))
    let bodyRuns = 0
    const held = durable("held", async (_: unknown, ctx) =>
      ctx.step("held", async () => {
        bodyRuns++
        entered()
        await released
        return "done"
      }))
    const faults = makeStoreFaults()
    const memory = memoryPorts(new Map(), { executionStore: (inner) => withStoreFaults(inner, faults) })
    const host = await startHost({ functions: [held], env: () => undefined, onError: () => {} }, memory.ports)
    try {
      await host.engine((e) => e.start({ functionName: "held", executionId: "x" }))
      await inBody
      faults.set({ appends: "fail" })
      release()
      for (let i = 0; i < 1000 && faults.counts.failedAppends === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.isAtLeast(faults.counts.failedAppends, 1, "the step's result was refused")
      const refused = await host.engine((e) => e.describe("x"))
      assert.strictEqual(refused.status, "RUNNING")
      assert.isUndefined(refused.operations.find((op) => op.name === "held" && op.status === "SUCCEEDED"), "nothing unwritten is shown")

      faults.clear()
      const ended = await host.engine((e) => Effect.timeout(e.awaitEnd("x"), "30 seconds"))
      assert.strictEqual(ended.status, "SUCCEEDED")
      assert.strictEqual(ended.result, JSON.stringify("done"))
      assert.strictEqual(bodyRuns, 2, "the body ran again: its first result was never written")
    } finally {
      await host.close()
    }
  })
})
