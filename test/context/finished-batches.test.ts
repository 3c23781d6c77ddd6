/**
 * Items of a map or parallel that completed early (src/context/finished-batches.ts): as in AWS's SDK, they start
 * nothing once the batch has its result. Before, a warm actor let them go on (their step bodies ran, their contexts
 * ended SUCCEEDED after the batch), while a replay did not drive them: what ran depended on evictions.
 */
import { assert, describe, it } from "vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** Each operation as `id name status`, in id order. */
const tree = (operations: ReadonlyArray<{ id: string; name: string | undefined; status: string }>) =>
  operations.map((op) => `${op.id} ${op.name ?? "-"} ${op.status}`).sort()

const quotes = durable("quotes", async (_: unknown, ctx) => {
  const raced = await ctx.parallel("quotes", [
    { name: "fast", func: async (branch) => branch.step("fast-quote", async () => 10) },
    {
      name: "slow",
      func: async (branch) => {
        await branch.wait("think", { seconds: 20 })
        return branch.step("slow-quote", async () => 20)
      }
    }
  ], { completionConfig: { minSuccessful: 1 } })
  await ctx.wait("tail", { minutes: 5 }) // the slow branch's wait ends meanwhile
  return raced.getResults()
})

const flatMap = durable("flat-first", async (_: unknown, ctx) => {
  const batch = await ctx.map("items", [0, 20], async (item: DurableContext, seconds) => {
    if (seconds > 0) await item.wait({ seconds })
    return item.step(`item-${seconds}`, async () => seconds)
  }, { nesting: "FLAT", completionConfig: { minSuccessful: 1 } })
  await ctx.wait("tail", { minutes: 5 })
  return batch.getResults()
})

const retrying = durable("retrying-branch", async (_: unknown, ctx) => {
  const raced = await ctx.parallel("p", [
    { name: "fast", func: async (branch) => { await branch.wait({ seconds: 30 }); return branch.step("ok", async () => 1) } },
    { name: "flaky", func: async (branch) => branch.step("flaky", async () => { throw new Error("down") }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 20 } }) }) },
    {
      name: "poll",
      func: async (branch) =>
        branch.waitForCondition("poll", async (n: number) => n + 1, { initialState: 0, waitStrategy: (n) => (n < 100 ? { shouldContinue: true, delay: { seconds: 20 } } : { shouldContinue: false }) })
    }
  ], { completionConfig: { minSuccessful: 1 } })
  await ctx.wait("tail", { minutes: 10 })
  return raced.getResults()
})

/** The slow branch's step is running (real time) when the fast branch completes the batch. */
const inFlight = durable("in-flight-branch", async (_: unknown, ctx) => {
  const raced = await ctx.parallel("p", [
    { name: "fast", func: async () => 1 },
    { name: "slow", func: async (branch) => branch.step("s", () => new Promise<number>((resolve) => setTimeout(() => resolve(2), 100))) }
  ], { completionConfig: { minSuccessful: 1 } })
  await ctx.wait("tail", { seconds: 1 })
  return raced.getResults()
})

describe("an item of a batch that completed without it", () => {
  it("starts no operation after the batch's end: the slow quote is never asked, on a warm run as on crashing ones", async () => {
    const outcomes = []
    for (const crashAtEveryCheckpoint of [false, true]) {
      const runner = createTestRunner({ functions: [quotes] })
      try {
        const execution = await runner.run("quotes", {}, { crashAtEveryCheckpoint })
        assert.deepStrictEqual(execution.expectSucceeded(), [10])
        assert.isUndefined(execution.stepBodyRuns["slow-quote"], `crashAtEveryCheckpoint ${crashAtEveryCheckpoint}`)
        outcomes.push(tree(execution.operations))
      } finally {
        await runner.dispose()
      }
    }
    // As AWS's SDK records it (test/adapters/lambda compares the trees): the slow branch STARTED, its wait done.
    assert.deepStrictEqual(outcomes[0], ["1 quotes SUCCEEDED", "1-1 fast SUCCEEDED", "1-1-1 fast-quote SUCCEEDED", "1-2 slow STARTED", "1-2-1 think SUCCEEDED", "2 tail SUCCEEDED"])
    assert.deepStrictEqual(outcomes[1], outcomes[0])
  })

  it("records nothing more of a step that was running when the batch completed: warm and crashing runs agree", async () => {
    const outcomes = []
    for (const crashAtEveryCheckpoint of [false, true]) {
      const runner = createTestRunner({ functions: [inFlight] })
      try {
        const execution = await runner.run("in-flight-branch", {}, { crashAtEveryCheckpoint })
        assert.deepStrictEqual(execution.expectSucceeded(), [1])
        outcomes.push(tree(execution.operations))
      } finally {
        await runner.dispose()
      }
    }
    assert.deepStrictEqual(outcomes[0], ["1 p SUCCEEDED", "1-1 fast SUCCEEDED", "1-2 slow STARTED", "2 tail SUCCEEDED"])
    assert.deepStrictEqual(outcomes[1], outcomes[0])
  })

  it("does the same under FLAT nesting (virtual item contexts)", async () => {
    const runner = createTestRunner({ functions: [flatMap] })
    try {
      const execution = await runner.run("flat-first")
      assert.deepStrictEqual(execution.expectSucceeded(), [0])
      assert.deepStrictEqual(execution.stepBodyRuns, { "item-0": 1 })
    } finally {
      await runner.dispose()
    }
  })

  it("runs no further retry of its step and no further poll of its waitForCondition", async () => {
    const runner = createTestRunner({ functions: [retrying] })
    try {
      const execution = await runner.run("retrying-branch")
      assert.deepStrictEqual(execution.expectSucceeded(), [1])
      // Attempts at 0 s and 20 s, then the batch ends at 30 s: the retry due at 40 s does not run.
      assert.strictEqual(execution.stepBodyRuns["flaky"], 2)
      const polls = execution.history.filter((event) => event._tag === "StepSucceeded" && event.id === "1-3-1").length
      assert.strictEqual(polls, 2)
    } finally {
      await runner.dispose()
    }
  })
})
