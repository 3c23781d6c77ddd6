/**
 * A test that fakes the global timers for its own code (`vi.useFakeTimers()`) still drives executions: the runner
 * keeps its own virtual clock, and the engine's turns and a step's timeout use the timers the runtime had when
 * Reprise loaded. With a faked setImmediate or queueMicrotask, every runner call hung for ever.
 */
import { afterEach, describe, expect, it, vi } from "vitest"
import { createRetryStrategy, durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

let attempts = 0
const busy = durable("busy", async (_: unknown, ctx) => {
  const first = await ctx.step("first", async () => "one")
  await ctx.wait("nap", { hours: 3 })
  const flaky = await ctx.step("flaky", async () => {
    if (++attempts < 3) throw new Error(`attempt ${attempts}`)
    return attempts
  }, { retryStrategy: createRetryStrategy({ maxAttempts: 5 }) })
  const slow = await ctx.step("slow", async ({ attempt, signal }) => {
    if (attempt === 1) await new Promise((resolve) => signal.addEventListener("abort", resolve)) // until its timeout
    return attempt
  }, { timeout: { seconds: 0.05 }, retryStrategy: createRetryStrategy({ maxAttempts: 2 }) })
  const answer = await ctx.waitForCallback("approve", async () => {}, { timeout: { days: 1 } })
  return { first, flaky, slow, answer }
})

afterEach(() => {
  vi.useRealTimers()
  attempts = 0
})

describe("the test runner under a test's fake timers", () => {
  for (const [label, fake] of [
    ["Vitest's default set", () => vi.useFakeTimers()],
    ["every timer, setImmediate and queueMicrotask included", () =>
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "setInterval", "clearInterval", "queueMicrotask", "Date", "performance"] })]
  ] as const) {
    it(`runs waits, retries, a step timeout and a callback with ${label} faked`, async () => {
      fake()
      const runner = createTestRunner({ functions: [busy] })
      const execution = await runner.run("busy", null, { callbacks: { approve: () => ({ succeed: "yes" }) } })
      expect([execution.status, execution.result]).toEqual(["SUCCEEDED", { first: "one", flaky: 3, slow: 2, answer: "yes" }])
      await runner.dispose()
    })
  }
})
