/**
 * The argument checks of the DurableContext (src/context/durable-context.ts), and of what a strategy returns
 * (step.ts, wait-for-condition.ts): a call a user got wrong is refused before anything is recorded, with a message
 * naming what is wrong, rather than failing later with a bare TypeError or a batch outcome no setting should give.
 */
import { assert, describe, it } from "vitest"
import { ConfigurationError, durable, type DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const configurationError = new ConfigurationError("").name

/** Runs `call` in a handler that catches what it throws; answers the execution. */
const attempt = async (call: (ctx: DurableContext) => Promise<unknown>) => {
  const fn = durable("wrong-call", async (_: unknown, ctx) => {
    try {
      await call(ctx)
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`
    }
    return "went on"
  })
  const runner = createTestRunner({ functions: [fn] })
  try {
    return await runner.run("wrong-call")
  } finally {
    await runner.dispose()
  }
}

describe("calls refused before anything is recorded, catchable", () => {
  const cases: ReadonlyArray<readonly [string, (ctx: DurableContext) => Promise<unknown>, string]> = [
    ["a step's name that is not a string", (ctx) => (ctx.step as (name: unknown, body: unknown) => Promise<unknown>)(42, async () => 1), "A step's name must be a string, got number"],
    [
      "a step's retryStrategy that is not a function",
      (ctx) => ctx.step("s", async () => 1, { retryStrategy: 5 as never }),
      "A step's retryStrategy must be a function (error, attemptCount) => ({ shouldRetry, delay? }), got number"
    ],
    [
      "a step's semantics that is neither StepSemantics value (misspelt, it ran at least once per retry)",
      (ctx) => ctx.step("s", async () => 1, { semantics: "AT_MOST_ONCE" as never }),
      `A step's semantics must be "AT_MOST_ONCE_PER_RETRY" or "AT_LEAST_ONCE_PER_RETRY" (StepSemantics), got "AT_MOST_ONCE"`
    ],
    [
      "a waitForCallback submitter that is not a function",
      (ctx) => ctx.waitForCallback("c", "send it" as never),
      "waitForCallback's submitter must be a function (callbackId) => …, got string"
    ],
    [
      "a waitForCallback retryStrategy that is not a function",
      (ctx) => ctx.waitForCallback("c", async () => {}, { retryStrategy: {} as never }),
      "waitForCallback's retryStrategy must be a function (error, attemptCount) => ({ shouldRetry, delay? }), got object"
    ],
    ["a map function that is not a function", (ctx) => ctx.map("m", [1, 2], "double" as never), "map needs a function to run for each item, got string"],
    ["a child context body that is not a function", (ctx) => ctx.runInChildContext("c", 5 as never), "runInChildContext needs a function (context) => …, got number"],
    [
      "a retryStrategy that returns nothing (when the step fails)",
      (ctx) => ctx.step("s", async () => { throw new Error("down") }, { retryStrategy: (() => undefined) as never }),
      `The retryStrategy of step "s" must return { shouldRetry, delay? }, got undefined`
    ]
  ]
  for (const [label, call, message] of cases) {
    it(label, async () => {
      const execution = await attempt(call)
      assert.strictEqual(execution.result, `${configurationError}: ${message}`)
      assert.deepStrictEqual(execution.operations, [])
    })
  }
})

describe("a step's semantics misspelt in code deployed after the step was recorded", () => {
  it("replays the recorded step: only a step that would run is refused", async () => {
    let semantics: unknown
    const fn = durable("deployed", async (_: unknown, ctx) => {
      const value = await ctx.step("charge", async () => "charged", { semantics: semantics as never })
      await ctx.waitForCallback("confirm", async () => undefined)
      return value
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("deployed")
    await execution.settle()
    semantics = "AT_MOST_ONCE" // the new code, as it replays
    await execution.evict()
    await execution.sendCallbackSuccess("confirm")
    await execution.settle()
    assert.deepInclude(await execution.refresh(), { status: "SUCCEEDED", result: "charged" })
    await runner.dispose()
  })
})

describe("completion settings out of range", () => {
  for (
    const [setting, value, range] of [
      ["toleratedFailureCount", -1, "a number of 0 or more"],
      ["minSuccessful", Number.NaN, "a number of 0 or more"],
      ["toleratedFailurePercentage", 150, "a number from 0 to 100"],
      ["toleratedFailurePercentage", "50", "a number from 0 to 100"]
    ] as const
  ) {
    it(`${setting}: ${String(value)} fails the execution naming the setting (it had been taken)`, async () => {
      const execution = await attempt((ctx) => ctx.map("m", [1, 2], async (_c, item) => item, { completionConfig: { [setting]: value } as never }))
      assert.strictEqual(execution.status, "FAILED")
      assert.deepInclude(execution.error, {
        errorType: configurationError,
        errorMessage: `Invalid completionConfig.${setting}: ${String(value)}. Must be ${range}, or undefined.`
      })
      assert.deepStrictEqual(execution.operations, [])
    })
  }

  it("takes the bounds themselves", async () => {
    const execution = await attempt(async (ctx) => {
      const batch = await ctx.map("m", [1, 2], async (_c, item) => item, {
        completionConfig: { minSuccessful: 0, toleratedFailureCount: 0, toleratedFailurePercentage: 100 }
      })
      throw new Error(batch.completionReason)
    })
    assert.strictEqual(execution.status, "SUCCEEDED")
  })
})

describe("a waitForCondition whose waitStrategy returns nothing", () => {
  it("fails it with a StepError saying what the strategy must return", async () => {
    const execution = await attempt((ctx) => ctx.waitForCondition("w", async (n: number) => n + 1, { initialState: 0, waitStrategy: (() => undefined) as never }))
    assert.strictEqual(execution.result, `StepError: The waitStrategy of waitForCondition "w" must return { shouldContinue, delay? }, got undefined`)
  })
})
