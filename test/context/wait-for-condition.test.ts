import { assert, describe, it } from "@effect/vitest"
import { createWaitStrategy, durable, JitterStrategy, StepError } from "../../src/index.ts"
import { withJitterSource } from "../../src/context/retry.ts"
import { createTestRunner } from "../../src/testing/index.ts"

interface Job {
  readonly polls: number
}

/** The polls of one waitForCondition as the log has them: seconds since the first one, and the recorded state. */
const pollsOf = (history: ReadonlyArray<{ _tag: string }>, name: string) => {
  const events = history.filter((e) => "name" in e && e.name === name) as Array<
    { _tag: string; at: number; attempt: number; result?: string; nextAttemptAt?: number }
  >
  const start = events[0]!.at
  return events.map((e) => ({
    tag: e._tag,
    attempt: e.attempt,
    atSeconds: (e.at - start) / 1000,
    state: e.result === undefined ? undefined : JSON.parse(e.result),
    nextInSeconds: e.nextAttemptAt === undefined ? undefined : (e.nextAttemptAt - e.at) / 1000
  }))
}

describe("ctx.waitForCondition", () => {
  it("records every poll; after evictions mid-polling no poll runs twice and the state carries on", async () => {
    const seen: Array<{ polls: number; attempt: number }> = []
    const fn = durable("poll-job", async (_: unknown, ctx) => {
      const final = await ctx.waitForCondition("job-done", async (state: Job, { attempt }) => {
        seen.push({ polls: state.polls, attempt })
        return { polls: state.polls + 1 }
      }, {
        initialState: { polls: 0 },
        waitStrategy: createWaitStrategy({
          shouldContinuePolling: (job: Job) => job.polls < 4,
          initialDelay: { seconds: 10 },
          backoffRate: 2,
          jitter: JitterStrategy.NONE
        })
      })
      await ctx.wait("cool-down", { minutes: 1 })
      return final
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("poll-job")
    const first = execution.getOperation("job-done")!
    assert.strictEqual(first.type, "STEP")
    assert.strictEqual(first.subType, "WaitForCondition")
    assert.strictEqual(first.status, "PENDING")
    assert.deepStrictEqual(first.result, { polls: 1 })

    await execution.advanceTime({ seconds: 10 }) // poll 2, warm
    await execution.evict()
    await execution.advanceTime({ seconds: 20 }) // poll 3, after a cold replay
    await execution.advanceTime({ seconds: 40 }) // poll 4: done; now in the cool-down
    assert.strictEqual(execution.getOperation("job-done")?.status, "SUCCEEDED")
    await execution.evict()
    await execution.settle() // the replay returns the recorded state without polling again

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { polls: 4 })
    assert.deepStrictEqual(seen, [{ polls: 0, attempt: 1 }, { polls: 1, attempt: 2 }, { polls: 2, attempt: 3 }, { polls: 3, attempt: 4 }])
    assert.strictEqual(execution.invocations, 3)
    assert.deepStrictEqual(pollsOf(execution.history, "job-done"), [
      { tag: "StepSucceeded", attempt: 1, atSeconds: 0, state: { polls: 1 }, nextInSeconds: 10 },
      { tag: "StepSucceeded", attempt: 2, atSeconds: 10, state: { polls: 2 }, nextInSeconds: 20 },
      { tag: "StepSucceeded", attempt: 3, atSeconds: 30, state: { polls: 3 }, nextInSeconds: 40 },
      { tag: "StepSucceeded", attempt: 4, atSeconds: 70, state: { polls: 4 }, nextInSeconds: undefined }
    ])
    await runner.dispose()
  })

  it("fails at once, without another poll, when the check throws", async () => {
    let polls = 0
    const fn = durable("vanishing-job", async (_: unknown, ctx) => {
      try {
        await ctx.waitForCondition("job-done", async (state: number) => {
          if (++polls === 2) throw Object.assign(new Error("job 42 vanished"), { name: "JobLookupError" })
          return state + 1
        }, { initialState: 0, waitStrategy: () => ({ shouldContinue: true, delay: { minutes: 5 } }) })
        return "done"
      } catch (error) {
        const e = error as StepError
        return { isStepError: e instanceof StepError, name: e.name, message: e.message, cause: (e.cause as Error).name }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("vanishing-job")
    assert.deepStrictEqual(execution.result, {
      isStepError: true,
      name: "StepError",
      message: "job 42 vanished",
      cause: "JobLookupError"
    })
    assert.strictEqual(polls, 2)
    const op = execution.getOperation("job-done")!
    assert.strictEqual(op.status, "FAILED")
    assert.deepInclude(op.error, { errorType: "JobLookupError", errorMessage: "job 42 vanished" })
    assert.deepStrictEqual(pollsOf(execution.history, "job-done").map((p) => `${p.tag}@${p.atSeconds}`), ["StepSucceeded@0", "StepFailed@300"])
    await runner.dispose()
  })

  it("fails the execution once the strategy's maximum attempts are used up", async () => {
    let polls = 0
    const fn = durable("never-ready", async (_: unknown, ctx) => {
      await ctx.waitForCondition(async (state: string) => (polls++, state), {
        initialState: "pending",
        waitStrategy: createWaitStrategy({ shouldContinuePolling: (s: string) => s === "pending", maxAttempts: 3 })
      })
      return "unreachable"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("never-ready")
    assert.strictEqual(execution.status, "FAILED")
    assert.deepInclude(execution.error, {
      errorType: "StepError",
      errorMessage: "waitForCondition exceeded maximum attempts (3)"
    })
    assert.strictEqual(polls, 3)
    assert.strictEqual(execution.getOperationByIndex(0)?.status, "FAILED")
    await runner.dispose()
  })

  it("enforces timeoutSeconds: the last poll is at the deadline, then the wait fails", async () => {
    const fn = durable("deadline", async (_: unknown, ctx) => {
      await ctx.waitForCondition("ready", async () => false, {
        initialState: false,
        waitStrategy: createWaitStrategy({
          shouldContinuePolling: (ready: boolean) => !ready,
          initialDelay: { seconds: 10 },
          backoffRate: 2,
          jitter: JitterStrategy.NONE,
          timeoutSeconds: 30
        })
      })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("deadline")
    assert.strictEqual(execution.error?.errorMessage, "waitForCondition exceeded timeout (30 seconds)")
    assert.deepStrictEqual(pollsOf(execution.history, "ready").map((p) => `${p.tag}@${p.atSeconds}`), [
      "StepSucceeded@0",
      "StepSucceeded@10",
      "StepFailed@30"
    ])
    await runner.dispose()
  })
})

describe("createWaitStrategy", () => {
  it("has the AWS defaults: 5 s growing by 1.5x up to 300 s, whole seconds, 60 attempts", () => {
    const strategy = createWaitStrategy({ shouldContinuePolling: () => true, jitter: JitterStrategy.NONE })
    const delays = [1, 2, 3, 10, 59].map((attempt) => strategy(undefined, attempt))
    assert.deepStrictEqual(delays.map((d) => (d.shouldContinue ? d.delay : undefined)), [
      { seconds: 5 },
      { seconds: 8 },
      { seconds: 11 },
      { seconds: 192 },
      { seconds: 300 }
    ])
    assert.throws(() => strategy(undefined, 60), "waitForCondition exceeded maximum attempts (60)")
    assert.deepStrictEqual(createWaitStrategy({ shouldContinuePolling: () => false })(undefined, 60), { shouldContinue: false })
  })

  it("applies full jitter from the execution's random source, never below 1 second", () => {
    const strategy = createWaitStrategy({ shouldContinuePolling: () => true, initialDelay: { seconds: 10 } })
    assert.deepStrictEqual(withJitterSource(() => 0.5, () => strategy(null, 1)), { shouldContinue: true, delay: { seconds: 5 } })
    assert.deepStrictEqual(withJitterSource(() => 0, () => strategy(null, 1)), { shouldContinue: true, delay: { seconds: 1 } })
  })
})
