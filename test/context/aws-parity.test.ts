/**
 * Where Reprise's user API now behaves as AWS's SDK 2.4.0 does (issue 18, checked side by side under AWS's local
 * runner in test/adapters/lambda/parity.test.ts), pinned here through `reprise/testing` as a user would run it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  ConfigurationError,
  durable,
  type DurableLogData,
  type DurableLogger,
  type DurableLoggingContext,
  NonDeterministicExecutionError,
  StepError
} from "reprise"
import { createTestRunner } from "reprise/testing"
import type { LogEvent } from "../../src/log/events.ts"

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

class PaymentDeclined extends Error {
  override name = "PaymentDeclined"
}

describe("an execution started without an input", () => {
  it("gets {} as AWS's SDK gives it, started or invoked, so that a handler may destructure its event", async () => {
    const child = durable("no-input-child", async ({ id }: { id?: string }) => ({ id: id ?? "none" }))
    const parent = durable("no-input-parent", async (event: { id?: string }, ctx) => ({
      own: typeof event,
      child: await ctx.invoke<undefined, { id: string }>("child", "no-input-child")
    }))
    const runner = createTestRunner({ functions: [parent, child] })
    const execution = await runner.run("no-input-parent")
    assert.deepStrictEqual([execution.status, execution.result], ["SUCCEEDED", { own: "object", child: { id: "none" } }])
    // What was stored is still no input: the log's start holds none.
    assert.notProperty(execution.history[0], "input")
    await runner.dispose()
  })
})

describe("StepError as AWS's SDK shapes it", () => {
  it("serialises a StepError inside a result with name, errorType and its cause's name", async () => {
    const fn = durable("step-error-json", async (_: unknown, ctx) => {
      try {
        await ctx.step("s", async () => {
          throw new TypeError("bad")
        }, noRetry)
      } catch (error) {
        return JSON.parse(JSON.stringify(error))
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("step-error-json")
    // Exactly what the same handler returns under AWS's SDK.
    assert.deepStrictEqual(execution.result, { cause: { name: "TypeError" }, name: "StepError", errorType: "StepError" })
    await runner.dispose()
  })

  it("StepError.isCausedBy matches the thrown class on the first run and on replay alike", async () => {
    const seen: Array<unknown> = []
    const fn = durable("caused-by", async (_: unknown, ctx) => {
      let caught: unknown
      try {
        await ctx.step("charge", async () => {
          throw new PaymentDeclined("card declined")
        }, noRetry)
      } catch (error) {
        caught = error
      }
      seen.push(StepError.isCausedBy(caught, PaymentDeclined))
      await ctx.wait({ seconds: 5 })
      return {
        byClass: StepError.isCausedBy(caught, PaymentDeclined),
        byType: StepError.isCausedBy(caught, "PaymentDeclined"),
        other: StepError.isCausedBy(caught, RangeError),
        instanceOfFails: (caught as Error).cause instanceof PaymentDeclined
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("caused-by")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.invocations, 2, "the second invocation is a cold replay")
    assert.deepStrictEqual(seen, [true, true])
    assert.deepStrictEqual(execution.result, { byClass: true, byType: true, other: false, instanceOfFails: false })
    await runner.dispose()
  })
})

describe("waitForCondition failures are StepError, as on AWS", () => {
  it("a check that throws fails it with StepError carrying the check's message", async () => {
    const fn = durable("wfc-throws", async (_: unknown, ctx) => {
      try {
        await ctx.waitForCondition("w", async () => {
          throw new TypeError("bad check")
        }, { initialState: 1, waitStrategy: () => ({ shouldContinue: false }) })
      } catch (error) {
        return { isStepError: error instanceof StepError, name: (error as Error).name, message: (error as Error).message }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.deepStrictEqual((await runner.run("wfc-throws")).result, { isStepError: true, name: "StepError", message: "bad check" })
    await runner.dispose()
  })
})

describe("waitForCallback with a custom serdes", () => {
  it("keeps the raw string in its context and decodes after it, so the decoded value need not be JSON", async () => {
    let decoded = 0
    const fn = durable("wfc-serdes", async (_: unknown, ctx) => {
      const value = await ctx.waitForCallback("approval", async () => undefined, {
        serdes: { deserialize: async (data) => (decoded++, { size: BigInt(data!.length), at: new Date(0) }) }
      })
      await ctx.wait({ seconds: 5 })
      return { size: String(value.size), isDate: value.at instanceof Date }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("wfc-serdes")
    await execution.sendCallbackSuccess("approval", "hello")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, { size: "5", isDate: true })
    // The context records the raw string (as JSON), as AWS's does; the replay decoded it again.
    assert.strictEqual(execution.getOperation("approval")?.result, "hello")
    assert.strictEqual(decoded, 2)
    await runner.dispose()
  })
})

const tags = (history: ReadonlyArray<LogEvent>) =>
  history.map((e) => `${e._tag}${"name" in e && e.name !== undefined ? ` ${e.name}` : ""}`)

const layout = durable("layout", async (_: unknown, ctx) => {
  const a = ctx.step("a", async () => 1)
  const b = ctx.wait("b", { seconds: 10 })
  const both = await ctx.promise.all("both", [a, b])
  await ctx.wait("after", { seconds: 10 })
  return both
})

/**
 * What the layout function wrote before this change, recorded with it: the combinator's ContextStarted came before
 * the outcome of step "a" (a default step wrote nothing before its outcome). The execution waits on "b".
 */
const OLD_LAYOUT: ReadonlyArray<LogEvent> = [
  { _tag: "ExecutionStarted", seq: 1, at: 1767225600000, executionId: "old-layout", functionName: "layout", timeoutAt: 1798848000000, retentionMs: 1209600000 },
  { _tag: "WaitStarted", seq: 2, at: 1767225600000, id: "2", name: "b", type: "WAIT", subType: "Wait", until: 1767225610000 },
  { _tag: "ContextStarted", seq: 3, at: 1767225600000, id: "3", name: "both", type: "CONTEXT", subType: "RunInChildContext" },
  { _tag: "StepSucceeded", seq: 4, at: 1767225600000, id: "1", name: "a", type: "STEP", subType: "Step", startedAt: 1767225600000, attempt: 1, result: "1" }
]

describe("promise combinators over running steps", () => {
  it("records the running steps as started before the combinator's CONTEXT operation, as AWS does", async () => {
    const runner = createTestRunner({ functions: [layout] })
    const execution = await runner.run("layout")
    assert.deepStrictEqual(execution.result, [1, null])
    assert.deepStrictEqual(tags(execution.history).slice(0, 5), [
      "ExecutionStarted",
      "WaitStarted b",
      "StepStarted a",
      "ContextStarted both",
      "StepSucceeded a"
    ])
    assert.deepStrictEqual(execution.operations.slice(0, 3).map((op) => op.status), ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
    await runner.dispose()
  })

  it("replays a history written by the old layout (CONTEXT first) to the same result", async () => {
    const runner = createTestRunner({ functions: [layout] })
    await Effect.runPromise(runner.store.append("old-layout", OLD_LAYOUT, 0))
    const execution = await runner.execution("old-layout")
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, [1, null])
    // The recorded events are kept as they were; the replay only added what came after them.
    assert.deepStrictEqual(tags(execution.history).slice(0, 4), ["ExecutionStarted", "WaitStarted b", "ContextStarted both", "StepSucceeded a"])
    assert.deepStrictEqual(tags(execution.history).slice(4), [
      "WaitSucceeded b",
      "ContextSucceeded both",
      "WaitStarted after",
      "WaitSucceeded after",
      "ExecutionSucceeded"
    ])
    await runner.dispose()
  })
})

describe("a fractional maxConcurrency", () => {
  it("is taken as AWS's SDK takes it: 1.5 lets two items run at once", async () => {
    let running = 0
    let most = 0
    const fn = durable("half", async (_: unknown, ctx) =>
      (await ctx.map("m", [1, 2, 3, 4], async (child, item) =>
        await child.step(async () => {
          most = Math.max(most, ++running)
          await new Promise((resolve) => setTimeout(resolve, 5))
          running--
          return item
        }), { maxConcurrency: 1.5 })).getResults())
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("half")
    assert.deepStrictEqual(execution.result, [1, 2, 3, 4])
    assert.strictEqual(most, 2)
    await runner.dispose()
  })
})

describe("parallel branches that are not functions", () => {
  it("are refused with AWS's catchable error before anything is recorded", async () => {
    const fn = durable("bad-branches", async (_: unknown, ctx) => {
      try {
        await ctx.parallel("p", [async () => "a", 1 as never])
      } catch (error) {
        return (error as Error).message
      }
      return "went on"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("bad-branches")
    assert.strictEqual(execution.result, "All branches must be functions or NamedParallelBranch objects")
    assert.deepStrictEqual(execution.operations, [])
    await runner.dispose()
  })
})

describe("invalid batch configuration", () => {
  for (
    const [label, config, message] of [
      ["maxConcurrency: 0", { maxConcurrency: 0 }, "Invalid maxConcurrency: 0. Must be a positive number or undefined for unlimited concurrency."],
      ["maxConcurrency: NaN", { maxConcurrency: Number.NaN }, "Invalid maxConcurrency: NaN. Must be a positive number or undefined for unlimited concurrency."],
      [
        "shouldComplete with minSuccessful",
        { completionConfig: { shouldComplete: () => ({ complete: true }), minSuccessful: 1 } },
        "completionConfig.shouldComplete is mutually exclusive with minSuccessful, toleratedFailureCount, and toleratedFailurePercentage"
      ]
    ] as const
  ) {
    it(`${label} fails the execution with a message naming the setting; the handler cannot catch it`, async () => {
      let after = 0
      const fn = durable("bad-batch", async (_: unknown, ctx) => {
        try {
          await ctx.map("m", [1, 2], async (_c, item) => item, config as never)
        } catch {
          return "caught"
        }
        after++
        return "went on"
      })
      const runner = createTestRunner({ functions: [fn] })
      const execution = await runner.run("bad-batch")
      assert.strictEqual(execution.status, "FAILED")
      assert.deepInclude(execution.error, { errorType: new ConfigurationError("").name, errorMessage: message })
      assert.strictEqual(after, 0)
      assert.deepStrictEqual(execution.operations, [])
      await runner.dispose()
    })
  }
})

describe("non-determinism names the property that differs", () => {
  const replayWith = async (first: (ctx: any) => Promise<unknown>, second: (ctx: any) => Promise<unknown>) => {
    let invocation = 0
    const fn = durable("changes", async (_: unknown, ctx) => {
      invocation++
      await (invocation === 1 ? first(ctx) : second(ctx))
      await ctx.wait({ seconds: 5 })
      return "done"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("changes")
    await execution.evict()
    await execution.settle()
    await runner.dispose()
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, new NonDeterministicExecutionError("").name)
    return execution.error?.errorMessage
  }
  const tail = "This indicates non-deterministic control flow in your workflow code."

  it("name", async () => {
    const message = await replayWith((ctx) => ctx.step("a", async () => 1), (ctx) => ctx.step("b", async () => 1))
    assert.strictEqual(message, `[Unrecoverable Execution] Non-deterministic execution detected: Operation name mismatch for step "1". Expected name "a", but got "b". ${tail}`)
  })

  it("type", async () => {
    const message = await replayWith((ctx) => ctx.step("a", async () => 1), (ctx) => ctx.wait("a", { seconds: 1 }))
    assert.strictEqual(message, `[Unrecoverable Execution] Non-deterministic execution detected: Operation type mismatch for step "1". Expected type "STEP", but got "WAIT". ${tail}`)
  })

  it("subtype (a step's subType option is checked on replay)", async () => {
    const message = await replayWith(
      (ctx) => ctx.step("pay", async () => 1, { subType: "Charge" }),
      (ctx) => ctx.step("pay", async () => 1, { subType: "Refund" })
    )
    assert.strictEqual(message, `[Unrecoverable Execution] Non-deterministic execution detected: Operation subtype mismatch for step "1". Expected subtype "Charge", but got "Refund". ${tail}`)
  })
})

describe("the subType option", () => {
  it("is recorded for a step and a callback, and a replay with the same subtypes goes on", async () => {
    const fn = durable("subtypes", async (_: unknown, ctx) => {
      const paid = await ctx.step("pay", async () => "paid", { subType: "Charge" })
      const [answer] = await ctx.createCallback("approve", { subType: "Approval" })
      return { paid, answer: await answer }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("subtypes")
    await execution.evict()
    await execution.sendCallbackSuccess("approve", "yes")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, { paid: "paid", answer: "yes" })
    assert.strictEqual(execution.invocations, 2)
    assert.deepStrictEqual(execution.operations.map((op) => [op.type, op.subType, op.name]), [
      ["STEP", "Charge", "pay"],
      ["CALLBACK", "Approval", "approve"]
    ])
    await runner.dispose()
  })
})

describe("the logging context of custom loggers (AWS's DurableLoggingContext)", () => {
  /** A logger written for AWS's SDK: it keeps the context it is given and reads it at each record. */
  class RecordingLogger implements DurableLogger {
    context: DurableLoggingContext | undefined
    configured = 0
    readonly records: Array<{ level: string; message: unknown; data: DurableLogData }> = []
    #write(level: string, message: unknown) {
      this.records.push({ level, message, data: this.context!.getDurableLogData() })
    }
    log(level: "DEBUG" | "INFO" | "WARN" | "ERROR", message: unknown) {
      this.#write(level, message)
    }
    debug(message: unknown) {
      this.#write("DEBUG", message)
    }
    info(message: unknown) {
      this.#write("INFO", message)
    }
    warn(message: unknown) {
      this.#write("WARN", message)
    }
    error(message: unknown) {
      this.#write("ERROR", message)
    }
    configureDurableLoggingContext(context: DurableLoggingContext) {
      this.configured++
      this.context = context
    }
  }

  it("gives the execution, and the operation, operation name and attempt of the code that logs", async () => {
    const logger = new RecordingLogger()
    let attempts = 0
    const fn = durable("logging-context", async (_: unknown, ctx) => {
      ctx.configureLogger({ customLogger: logger })
      ctx.logger.info("at the root")
      await ctx.step("work", async ({ logger: stepLogger }) => {
        stepLogger.warn(`attempt ${++attempts}`)
        if (attempts === 1) throw new Error("once")
      }, { retryStrategy: (_e, n) => ({ shouldRetry: n < 2, delay: { seconds: 1 } }) })
      await ctx.runInChildContext("child", async (child) => {
        child.logger.log("INFO", "in the child")
      })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("logging-context")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    const executionArn = execution.executionId
    assert.isAtLeast(logger.configured, 1)
    assert.deepStrictEqual(logger.records, [
      { level: "INFO", message: "at the root", data: { requestId: "", executionArn } },
      { level: "WARN", message: "attempt 1", data: { requestId: "", executionArn, operationId: "1", operationName: "work", attempt: 1 } },
      { level: "WARN", message: "attempt 2", data: { requestId: "", executionArn, operationId: "1", operationName: "work", attempt: 2 } },
      { level: "INFO", message: "in the child", data: { requestId: "", executionArn, operationId: "2", operationName: "child" } }
    ])
    await runner.dispose()
  })
})
