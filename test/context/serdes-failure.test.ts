/** A serdes that throws fails the execution (as AWS's SDK does), wherever it runs: user code cannot catch it. */
import { assert, describe, it } from "@effect/vitest"
import { type DurableContext, durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const failsToSerialise = {
  serialize: async (): Promise<string | undefined> => {
    throw new Error("cannot write")
  },
  deserialize: async (payload: string | undefined) => payload === undefined ? undefined : JSON.parse(payload)
}
const failsToDeserialise = {
  serialize: async (value: unknown) => JSON.stringify(value),
  deserialize: async (): Promise<unknown> => {
    throw new Error("cannot read")
  }
}

/** What the invoke cases call. */
const target = durable("target", async (input: number) => input + 1)

const cases: ReadonlyArray<[string, (ctx: DurableContext) => Promise<unknown>]> = [
  ["a child context's result", (ctx) => ctx.runInChildContext("child", async () => 1, { serdes: failsToSerialise })],
  ["a step's read-back", (ctx) => ctx.step("step", async () => 1, { serdes: failsToDeserialise })],
  ["a waitForCondition state", (ctx) =>
    ctx.waitForCondition("poll", async (state: number) => state + 1, {
      initialState: 0,
      serdes: failsToSerialise,
      waitStrategy: () => ({ shouldContinue: false })
    })],
  ["a map item's result", (ctx) => ctx.map("items", [1], async (_child, value) => value, { itemSerdes: failsToSerialise })],
  ["a map item's read-back", (ctx) => ctx.map("items", [1, 2], async (_child, value) => value, { itemSerdes: failsToDeserialise })],
  ["a parallel branch's read-back", (ctx) => ctx.parallel("branches", [async () => "a"], { itemSerdes: failsToDeserialise })],
  ["an invoke's input", (ctx) => ctx.invoke("call", "target", 1, { payloadSerdes: failsToSerialise })],
  ["an invoke's result read-back", (ctx) => ctx.invoke("call", "target", 1, { resultSerdes: failsToDeserialise })],
  ["a promise combinator's read-back (the execution's default serdes)", async (ctx) => {
    ctx.configureSerdes({ defaultSerdes: failsToDeserialise })
    return await ctx.promise.all("both", [ctx.step(async () => 1), ctx.step(async () => 2)])
  }],
  ["a callback's result", async (ctx) => {
    const [result] = await ctx.createCallback("approve", { serdes: failsToDeserialise })
    return await result
  }]
]

describe("a serdes that throws", () => {
  for (const [what, use] of cases) {
    it(`fails the execution with SerdesFailedError, uncaught by user code: ${what}`, async () => {
      const fn = durable("serdes-failure", async (_: unknown, ctx) => {
        try {
          await use(ctx)
        } catch (error) {
          return `caught ${(error as Error).name}`
        }
        return "went on"
      })
      const runner = createTestRunner({ functions: [fn, target] })
      const execution = await runner.run("serdes-failure", undefined, { callbacks: { approve: () => ({ succeed: "yes" }) } })
      assert.strictEqual(execution.status, "FAILED", JSON.stringify(execution.result))
      assert.strictEqual(execution.error?.errorType, "SerdesFailedError")
      // What the serdes threw is the cause, with the serdes's own line: the story says where it failed.
      const cause = execution.error?.causes?.[0]
      assert.match(cause?.errorMessage ?? "", /^cannot (write|read)$/, JSON.stringify(execution.error))
      assert.include(cause?.stackTrace?.[0] ?? "", "serdes-failure.test.ts:")
      await runner.dispose()
    })
  }
})

describe("a waitForCondition whose serdes fails on its first poll", () => {
  it("is left STARTED in the history, as AWS's shows it", async () => {
    const fn = durable("poll-fails", async (_: unknown, ctx) =>
      await ctx.waitForCondition("poll", async (state: number) => state + 1, {
        initialState: 0,
        serdes: failsToSerialise,
        waitStrategy: () => ({ shouldContinue: false })
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("poll-fails")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.getOperation("poll")?.status, "STARTED")
    await runner.dispose()
  })
})
