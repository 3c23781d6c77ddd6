/** AWS-SDK handlers (`awsHandler`) under Reprise's in-memory test runner: the service's behaviour, time skipped. */
import { assert, beforeEach, describe, it } from "vitest"
import { StepSemantics, withDurableExecution } from "@aws/durable-execution-sdk-js"
import { awsHandler } from "reprise/aws"
import { durable } from "reprise"
import { createTestRunner } from "reprise/testing"
import { counters, doomed, double, flaky, submitted, tour } from "./fixtures/aws-handlers.ts"

describe("awsHandler under the test runner", () => {
  beforeEach(() => {
    counters.clear()
    submitted.length = 0
  })

  it("retries a step on durable timers until it succeeds", async () => {
    const runner = createTestRunner({ functions: [flaky] })
    const execution = await runner.run("aws-flaky", { id: "o-1" })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, { charged: "charged-o-1-on-3" })
    assert.strictEqual(counters.get("prepare"), 1)
    assert.strictEqual(counters.get("charge"), 3)
    const charge = execution.getOperation("charge")!
    assert.strictEqual(charge.status, "SUCCEEDED")
    assert.strictEqual(charge.attempt, 3)
    assert.deepStrictEqual(execution.operations.map((op) => [op.id, op.type, op.name]), [["1", "STEP", "prepare"], ["2", "STEP", "charge"]])
  })

  it("refuses a step result over the service's 256 KiB as Lambda does (AWS's local runner takes it)", async () => {
    const big = awsHandler("aws-big-step", withDurableExecution(async (_event, context) => {
      const text = await context.step("big", async () => "x".repeat(300_000))
      return text.length
    }))
    const runner = createTestRunner({ functions: [big] })
    const execution = await runner.run("aws-big-step", {})
    assert.strictEqual(execution.status, "FAILED")
    assert.include(JSON.stringify(execution.error), "payload size must be <= 262144 bytes")
    assert.notStrictEqual(execution.getOperation("big")?.status, "SUCCEEDED", "nothing of the refused checkpoint was written")
  })

  it("refuses a step's error of 32 KiB or more as Lambda and AWS's local runner do, where it was caught and passed", async () => {
    const loud = awsHandler("aws-loud-error", withDurableExecution(async (_event, context) => {
      try {
        await context.step("call", async () => {
          throw new Error(`HTTP 500: ${"b".repeat(40_000)}`)
        }, { retryStrategy: () => ({ shouldRetry: false }) })
      } catch {
        return "caught"
      }
    }))
    const runner = createTestRunner({ functions: [loud] })
    const execution = await runner.run("aws-loud-error", {})
    assert.strictEqual(execution.status, "FAILED")
    assert.include(JSON.stringify(execution.error), "Error object size must be less than 32768 bytes")
    assert.notStrictEqual(execution.getOperation("call")?.status, "FAILED", "nothing of the refused checkpoint was written")
    await runner.dispose()
  })

  it("refuses a checkpoint whose payload is not a string (a serdes that returned an object) and fails, running the step once", async () => {
    let runs = 0
    const objectSerdes = awsHandler("aws-object-serdes", withDurableExecution(async (_event, context) => {
      const value = await context.step("a", async () => {
        runs++
        return 1
      }, { serdes: { serialize: async (v: unknown) => ({ obj: v }) as unknown as string, deserialize: async (s: string | undefined) => s as unknown as number } })
      return value
    }))
    const runner = createTestRunner({ functions: [objectSerdes] })
    const execution = await runner.run("aws-object-serdes", {})
    assert.strictEqual(execution.status, "FAILED")
    assert.include(JSON.stringify(execution.error), "Payload must be a string, got an object")
    assert.strictEqual(runs, 1, "the step body is not run again and again")
  })

  it("fails with AWS's StepError once the retries are spent", async () => {
    const runner = createTestRunner({ functions: [doomed] })
    const execution = await runner.run("aws-doomed", {})
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "StepError")
    assert.strictEqual(execution.error?.errorMessage, "no luck")
    assert.strictEqual(execution.getOperation("never")?.status, "FAILED")
  })

  it("runs a wait, a child context, a map, an invoke and a callback", async () => {
    const runner = createTestRunner({ functions: [tour, double] })
    const execution = await runner.run("aws-tour", { n: 4 }, { callbacks: { approval: () => ({ succeed: "yes" }) } })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, { base: 4, child: 50, squares: [1, 4, 9], doubled: 8, approval: "yes", after: "done" })
    assert.strictEqual(counters.get("base"), 1)
    assert.strictEqual(counters.get("after"), 1)
    const ops = execution.operations
    const shape = (name: string) => {
      const op = ops.find((o) => o.name === name)!
      return [op.id, op.type, op.subType, op.status]
    }
    assert.deepStrictEqual(shape("pause"), ["2", "WAIT", "Wait", "SUCCEEDED"])
    assert.deepStrictEqual(shape("child"), ["3", "CONTEXT", "RunInChildContext", "SUCCEEDED"])
    assert.deepStrictEqual(shape("inner-b"), ["3-2", "STEP", "Step", "SUCCEEDED"])
    assert.deepStrictEqual(shape("squares"), ["4", "CONTEXT", "Map", "SUCCEEDED"])
    assert.deepStrictEqual(shape("double-it"), ["5", "CHAINED_INVOKE", "ChainedInvoke", "SUCCEEDED"])
    assert.deepStrictEqual(shape("approval"), ["6", "CONTEXT", "WaitForCallback", "SUCCEEDED"])
    // The invoked function is an execution of its own, with the id Reprise gives a child.
    const child = await runner.execution(`${execution.executionId}:invoke:5`)
    assert.strictEqual(child.status, "SUCCEEDED")
    assert.strictEqual(child.result, 8)
  })

  it("comes to the same end when its actor is dropped before and after every checkpoint", async () => {
    const runner = createTestRunner({ functions: [tour, double] })
    const execution = await runner.run("aws-tour", { n: 4 }, { callbacks: { approval: () => ({ succeed: "yes" }) }, crashAtEveryCheckpoint: true })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, { base: 4, child: 50, squares: [1, 4, 9], doubled: 8, approval: "yes", after: "done" })
    assert.isAbove(execution.checkpointCrashes!.crashes, 10)
    // Each step is recorded once however often its invocation was cut short.
    const recorded = execution.history.filter((e) => e._tag === "StepSucceeded").map((e) => ("id" in e ? e.id : ""))
    assert.deepStrictEqual(recorded, [...new Set(recorded)])
  })

  it("is stopped while it waits on a callback, and paused and resumed", async () => {
    const runner = createTestRunner({ functions: [tour, double] })
    const stopped = await runner.start("aws-tour", { n: 1 })
    await stopped.settle()
    assert.strictEqual(stopped.status, "RUNNING")
    assert.strictEqual(stopped.callback("approval").status, "STARTED")
    await stopped.stop({ errorMessage: "no longer needed" })
    assert.strictEqual(stopped.status, "STOPPED")
    assert.isUndefined(counters.get("after"))

    const paused = await runner.start("aws-tour", { n: 2 })
    await paused.pause()
    await paused.settle()
    assert.strictEqual(paused.status, "PAUSED")
    await paused.resume()
    await paused.settle()
    await paused.sendCallbackSuccess("approval", "late")
    await paused.settle()
    assert.strictEqual(paused.status, "SUCCEEDED", JSON.stringify(paused.error))
    assert.strictEqual((paused.result as { approval: string }).approval, "late")
  })

  it("invokes a function written with Reprise's API, and sees an unknown one as InvokeError", async () => {
    const native = durable("native-square", async (n: number, ctx) => ctx.step("square", async () => n * n))
    const caller = awsHandler("aws-caller", withDurableExecution(async (_event, context) => {
      const squared = await context.invoke("square", "native-square", 9)
      const missing = await context.invoke("missing", "no-such-function", {}).catch((error: unknown) => `${(error as Error).name}: ${(error as Error).message}`)
      return { squared, missing }
    }))
    const runner = createTestRunner({ functions: [caller, native] })
    const execution = await runner.run("aws-caller")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    const result = execution.result as { squared: number; missing: string }
    assert.strictEqual(result.squared, 81)
    assert.match(result.missing, /^InvokeError: .*no-such-function/)
  })

  it("runs 1,500 steps in one context (ids far past where the wire-id search first looks)", async () => {
    const many = awsHandler("aws-many", withDurableExecution(async (n: number, context) => {
      let sum = 0
      for (let i = 0; i < n; i++) sum += await context.step(async () => i)
      return sum
    }))
    const runner = createTestRunner({ functions: [many] })
    const execution = await runner.run("aws-many", 1500)
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.strictEqual(execution.result, (1500 * 1499) / 2)
    assert.strictEqual(execution.operations.at(-1)?.id, "1500")
  })

  it("never runs an at-most-once step's body twice: each attempt cut short by a crash is AWS's StepInterruptedError", async () => {
    const seen = new Set<string>()
    let bodies = 0
    const once = awsHandler("aws-once", withDurableExecution(async (_event, context) =>
      context.step("charge", async (step) => {
        bodies++
        return `charged on ${step.attempt}`
      }, {
        semantics: StepSemantics.AtMostOncePerRetry,
        retryStrategy: (error, attempt) => {
          seen.add(`${error.name} after ${attempt}`)
          return { shouldRetry: attempt < 3, delay: { seconds: 1 } }
        }
      })
    ))
    const runner = createTestRunner({ functions: [once] })
    // Every attempt's start is written and the actor dropped before the body could run: each replay finds the
    // attempt open, which AWS's SDK treats as interrupted, and the retries run out.
    const crashed = await runner.run("aws-once", {}, { crashAtEveryCheckpoint: true })
    assert.strictEqual(crashed.status, "FAILED")
    assert.strictEqual(crashed.error?.errorType, "StepError")
    assert.match(crashed.error?.errorMessage ?? "", /interruption/)
    assert.deepStrictEqual([...seen], ["StepInterruptedError after 1", "StepInterruptedError after 2", "StepInterruptedError after 3"])
    assert.strictEqual(bodies, 0)
    assert.strictEqual(crashed.history.filter((e) => e._tag === "StepStarted").length, 3)

    // Without crashes the same step runs once.
    const calm = await runner.run("aws-once", {})
    assert.strictEqual(calm.status, "SUCCEEDED")
    assert.strictEqual(calm.result, "charged on 1")
    assert.strictEqual(bodies, 1)
  })
})
