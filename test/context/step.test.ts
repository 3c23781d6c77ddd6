import { assert, describe, it } from "@effect/vitest"
import {
  createRetryStrategy,
  durable,
  JitterStrategy,
  PayloadTooLargeError,
  retryPresets,
  StepError,
  StepInterruptedError,
  StepSemantics
} from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("ctx.step", () => {
  it("hands StepInterruptedError to the retry strategy when an AtMostOncePerRetry attempt was cut off mid-body", async () => {
    const seen: Array<string> = []
    let bodies = 0
    let runner!: ReturnType<typeof createTestRunner>
    const fn = durable("at-most-once", async (_: unknown, ctx) => {
      return await ctx.step("charge", async ({ attempt }) => {
        bodies++
        if (attempt === 1) {
          // The process dies inside the body: StepStarted is already durable, no outcome ever is.
          await runner.engine((e) => e.evict(ctx.executionId))
          return "lost"
        }
        return `charged on attempt ${attempt}`
      }, {
        semantics: StepSemantics.AtMostOncePerRetry,
        retryStrategy: (error, attempt) => {
          seen.push(`${error.name}@${attempt}`)
          return { shouldRetry: true, delay: { seconds: 2 } }
        }
      })
    })
    runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("at-most-once")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "charged on attempt 2")
    assert.deepStrictEqual(seen, [`${new StepInterruptedError("").name}@1`])
    assert.strictEqual(bodies, 2)
    assert.deepStrictEqual(
      execution.history.filter((e) => "name" in e && e.name === "charge").map((e) => e._tag),
      ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]
    )
    await runner.dispose()
  })

  it("never re-runs an AtMostOncePerRetry body whose strategy says no more attempts", async () => {
    let bodies = 0
    let runner!: ReturnType<typeof createTestRunner>
    const fn = durable("at-most-once-no-retry", async (_: unknown, ctx) => {
      try {
        await ctx.step("transfer", async () => {
          bodies++
          await runner.engine((e) => e.evict(ctx.executionId))
        }, { semantics: StepSemantics.AtMostOncePerRetry, retryStrategy: retryPresets.noRetry })
        return "done"
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    })
    runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("at-most-once-no-retry")
    assert.strictEqual(bodies, 1)
    assert.match(String(execution.result), /^StepError: Step "transfer" was interrupted during attempt 1$/)
    await runner.dispose()
  })

  it("retries on durable timers with the strategy's delays, exposes the attempt, and gives up with StepError", async () => {
    const attempts: Array<number> = []
    const fn = durable("flaky", async (_: unknown, ctx) => {
      try {
        await ctx.step("call-api", async ({ attempt, idempotencyKey }) => {
          attempts.push(attempt)
          throw Object.assign(new Error(`503 from upstream (${idempotencyKey})`), { name: "UpstreamError" })
        }, { retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 10 }, jitter: JitterStrategy.NONE }) })
      } catch (error) {
        const cause = (error as StepError).cause as Error
        return { type: (error as Error).name, isStepError: error instanceof StepError, cause: cause.name, message: (error as Error).message }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("flaky")
    assert.deepStrictEqual(attempts, [1, 2, 3])
    assert.deepStrictEqual(execution.result, {
      type: "StepError",
      isStepError: true,
      cause: "UpstreamError",
      message: `503 from upstream (${execution.executionId}:1)`
    })
    const failures = execution.history.filter((e) => e._tag === "StepFailed")
    assert.deepStrictEqual(failures.map((e) => (e.nextAttemptAt === undefined ? undefined : e.nextAttemptAt - e.at)), [10_000, 20_000, undefined])
    assert.strictEqual(failures[0]!.error.errorType, "UpstreamError")
    await runner.dispose()
  })

  it("gives a body its step context's logger when it reads it, and lets it put another in its place", async () => {
    const lines: Array<string> = []
    const fn = durable("logs", async (_: unknown, ctx) =>
      ctx.step("work", async (step) => {
        step.logger.info("default logger")
        const own = { ...step.logger, info: (...params: Array<unknown>) => void lines.push(params.join(" ")) }
        ;(step as { logger: typeof step.logger }).logger = own
        step.logger.info("own logger, attempt", step.attempt)
        return step.logger === own
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("logs")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, true)
    assert.deepStrictEqual(lines, ["own logger, attempt 1"])
    await runner.dispose()
  })

  it("fails a step whose result is over 256 KiB with a clear error, without retrying it", async () => {
    let bodies = 0
    const fn = durable("too-big", async (_: unknown, ctx) => {
      try {
        await ctx.step("export", async () => {
          bodies++
          return "x".repeat(300 * 1024)
        })
        return "stored"
      } catch (error) {
        const cause = (error as StepError).cause as Error
        return { name: cause.name, message: cause.message }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("too-big")
    assert.strictEqual(bodies, 1)
    assert.deepStrictEqual(execution.result, {
      name: new PayloadTooLargeError("").name,
      message: `The result of step "export" is 307202 bytes once serialised; the limit is 262144 bytes (256 KiB)`
    })
    await runner.dispose()
  })

  it("names the limit it was given: 1000 bytes, not 256 KiB", async () => {
    const fn = durable("over-a-small-limit", async (_: unknown, ctx) =>
      await ctx.step("export", async () => "x".repeat(2000)).catch((error: StepError) => (error.cause as Error).message))
    const runner = createTestRunner({ functions: [fn], maxPayloadBytes: 1000 })
    const execution = await runner.run("over-a-small-limit")
    assert.strictEqual(execution.result, `The result of step "export" is 2002 bytes once serialised; the limit is 1000 bytes`)
    await runner.dispose()
  })

  it("stores results through a custom serdes configured for the execution", async () => {
    const dateSerdes = {
      serialize: async (value: Date | undefined) => (value === undefined ? undefined : `date:${value.toISOString()}`),
      deserialize: async (data: string | undefined) => (data === undefined ? undefined : new Date(data.slice(5)))
    }
    const fn = durable("serdes", async (_: unknown, ctx) => {
      ctx.configureSerdes({ defaultSerdes: dateSerdes })
      const when = await ctx.step("when", async () => new Date("2030-01-02T03:04:05Z"))
      await ctx.wait({ seconds: 1 })
      return when instanceof Date ? when.toISOString() : "not a date"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("serdes")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.result, "2030-01-02T03:04:05.000Z")
    assert.strictEqual(execution.getOperation("when")?.state.result, "date:2030-01-02T03:04:05.000Z")
    await runner.dispose()
  })

  it("returns the value read back from what it stored on the first run too, as on a replay (as AWS's SDK does)", async () => {
    const wrap = {
      serialize: async (value: unknown) => JSON.stringify({ wrapped: value }),
      deserialize: async (data: string | undefined) => (data === undefined ? undefined : { un: JSON.parse(data).wrapped })
    }
    const seen: Array<unknown> = []
    const fn = durable("read-back", async (_: unknown, ctx) => {
      const when = await ctx.step("when", async () => new Date(0)) // the default serdes: JSON, so a string
      const wrapped = await ctx.step("wrapped", async () => 5, { serdes: wrap })
      seen.push({ when: typeof when, wrapped })
      await ctx.wait({ seconds: 1 })
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("read-back")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.result, "done")
    assert.deepStrictEqual(seen, [{ when: "string", wrapped: { un: 5 } }, { when: "string", wrapped: { un: 5 } }])
    await runner.dispose()
  })

  it("fails the execution, without a retry, when a result cannot be serialised (as AWS's SDK does)", async () => {
    let bodies = 0
    const fn = durable("unserialisable", async (_: unknown, ctx) => {
      try {
        await ctx.step("charge", async () => {
          bodies++
          return { amount: 10n }
        })
      } catch {
        return "caught" // a serdes failure is not the step's error to catch
      }
      return "went on"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("unserialisable")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "SerdesFailedError")
    // Named as the author knows it, not by its operation id alone.
    assert.strictEqual(execution.error?.errorMessage, `Could not serialise the value of step "charge" (1): Do not know how to serialize a BigInt`)
    assert.strictEqual(bodies, 1)
    assert.strictEqual(execution.getOperation("charge")?.status, "STARTED")
    await runner.dispose()
  })

  it("starts operations eagerly: an unawaited step still runs and is recorded", async () => {
    let ran = false
    const fn = durable("eager", async (_: unknown, ctx) => {
      const pending = ctx.step("side", async () => {
        ran = true
        return 1
      })
      const executedBefore = pending.isExecuted
      await ctx.step("main", async () => 2)
      return { executedBefore, executedAfter: (await pending, pending.isExecuted) }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("eager")
    assert.isTrue(ran)
    assert.deepStrictEqual(execution.result, { executedBefore: false, executedAfter: true })
    assert.deepStrictEqual(execution.operations.map((op) => `${op.id}:${op.name}`), ["1:side", "2:main"])
    await runner.dispose()
  })

  it("takes its name, body and options in each form AWS's SDK accepts: (fn, options), (name, fn, options), (undefined, fn, options)", async () => {
    const fn = durable("forms", async (_: unknown, ctx) => {
      const unnamed = await ctx.step(async ({ attempt }) => `unnamed ${attempt}`, { subType: "First" })
      const named = await ctx.step("second", async () => "named", { subType: "Second" })
      const undefinedName = await ctx.step(undefined, async () => "undefined name", { subType: "Third" })
      const bare = await ctx.step(async () => "bare")
      return [unnamed, named, undefinedName, bare]
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("forms")
    assert.deepStrictEqual(execution.result, ["unnamed 1", "named", "undefined name", "bare"])
    assert.deepStrictEqual(
      execution.operations.map((op) => `${op.id}:${op.name ?? "-"}:${op.subType}`),
      ["1:-:First", "2:second:Second", "3:-:Third", "4:-:Step"]
    )
    await runner.dispose()
  })

  it("refuses a body that is not a function before anything is recorded, with an error the handler can catch", async () => {
    const fn = durable("no-body", async (_: unknown, ctx) => {
      try {
        await (ctx.step as (name: string, body: unknown) => Promise<unknown>)("x", 42)
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("no-body")
    assert.strictEqual(execution.result, "ConfigurationError: A step's body must be a function, got number")
    assert.deepStrictEqual(execution.operations, [])
    await runner.dispose()
  })

  it("gives a body its attempt, an idempotency key stable across attempts, a signal and a traceparent", async () => {
    const seen: Array<{ attempt: number; key: string; aborted: boolean; traceparent: string }> = []
    const spread: Array<string> = []
    const fn = durable("step-context", async (_: unknown, ctx) =>
      ctx.step("flaky", async (step) => {
        // Read through a Proxy, as instrumentation may wrap it: the getters still find the attempt's state.
        const wrapped = new Proxy(step, {})
        seen.push({ attempt: wrapped.attempt, key: wrapped.idempotencyKey, aborted: wrapped.signal.aborted, traceparent: wrapped.traceparent })
        // Destructuring reads the getters; a spread copy holds the plain fields only (the README says so).
        const { idempotencyKey } = step
        spread.push(`${Object.keys({ ...step }).sort().join(",")} ${idempotencyKey === step.idempotencyKey}`)
        if (step.attempt === 1) throw new Error("first attempt fails")
        return "done"
      }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 1 } }) }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("step-context")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(seen.map(({ attempt, key, aborted }) => ({ attempt, key, aborted })), [
      { attempt: 1, key: `${execution.executionId}:1`, aborted: false },
      { attempt: 2, key: `${execution.executionId}:1`, aborted: false }
    ])
    assert.deepStrictEqual(spread, ["attempt,signal true", "attempt,signal true"])
    // One span per attempt: same trace, different span ids.
    const [first, second] = seen.map(({ traceparent }) => traceparent.split("-"))
    assert.match(seen[0]!.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    assert.strictEqual(first![1], second![1])
    assert.notStrictEqual(first![2], second![2])
    await runner.dispose()
  })
})
