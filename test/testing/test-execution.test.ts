/** The test runner's step-by-step API and pending callbacks: the clock never beats the test to its callback. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable, saga } from "../../src/index.ts"
import { createTestRunner, type TestRunner } from "../../src/testing/index.ts"
import { SLOW_SETTLE_MS } from "../../src/testing/slow-settle.ts"
import { fixedStart } from "./fixed-start.ts"

const approval = durable("approval", async (_input: unknown, ctx) => {
  const answer = await ctx.waitForCallback("manager", async () => undefined, { timeout: { hours: 1 } })
  await ctx.wait("cooling-off", { minutes: 30 })
  return answer
})

let runner: TestRunner | undefined
afterEach(() => runner?.dispose())

describe("settle() and callback timeouts", () => {
  it("start, advanceTime, settle, then sendCallbackSuccess: the callback is still there to complete", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [approval] })
    const execution = await runner.start("approval", {})
    await execution.advanceTime({ minutes: 10 })
    await execution.settle()
    assert.strictEqual(execution.status, "RUNNING")
    assert.strictEqual(execution.callback("manager").status, "STARTED")
    await execution.sendCallbackSuccess("manager", "yes")
    await execution.settle() // the 30-minute wait is skipped: it is no callback's timeout
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "yes")
  })

  it("skips through the timeout when asked, and run() still does", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [approval] })
    const asked = await runner.start("approval", {})
    await asked.settle({ skipCallbackTimeouts: true })
    assert.strictEqual(asked.callback("manager").status, "TIMED_OUT")
    assert.strictEqual(asked.status, "FAILED")

    const run = await runner.run("approval", {})
    assert.strictEqual(run.status, "FAILED")
    assert.strictEqual(run.callback("manager").status, "TIMED_OUT")
  })

  it("advanceTime past the timeout is asking: the callback times out", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [approval] })
    const execution = await runner.start("approval", {})
    await execution.advanceTime({ hours: 2 })
    assert.strictEqual(execution.callback("manager").status, "TIMED_OUT")
  })
})

describe("advanceTime and invoked children", () => {
  const nap = durable("nap", async (_input: unknown, ctx) => {
    await ctx.wait("nap", { hours: 1 })
    return "rested"
  })
  const caller = durable("caller", async (_input: unknown, ctx) => await ctx.invoke("rest", "nap", {}))

  const relay = durable("relay", async (leg: number, ctx) => {
    if (leg === 0) return ctx.continueAsNew(1)
    await ctx.wait("leg", { hours: 1 })
    return "arrived"
  })
  const sender = durable("sender", async (_input: unknown, ctx) => await ctx.invoke("send", "relay", 0))

  it("follows an invoked child that continued as new to its current run, with advanceTime and with run", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [relay, sender], skipTime: false })
    const execution = await runner.start("sender", {})
    await execution.advanceTime({ hours: 2 })
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "arrived")
    await runner.dispose()
    runner = createTestRunner({ ...fixedStart, functions: [relay, sender] }) // time skipping on: run drives the child's last run
    const ran = await runner.run("sender", {})
    assert.strictEqual(ran.result, "arrived")
  })

  it("settles a parent whose invoked child is paused: RUNNING at once, and the child's wait waits for its resume", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [nap, caller] })
    const parent = await runner.start("caller", {})
    const childId = parent.operations.find((op) => op.type === "CHAINED_INVOKE")?.state.childExecutionId
    assert.isString(childId)
    const child = await (await runner.execution(childId!)).pause()
    assert.strictEqual(child.status, "PAUSED")
    assert.strictEqual((await parent.settle()).status, "RUNNING") // it once spun to the round limit on the child's timer
    await child.resume()
    assert.strictEqual((await parent.settle()).result, "rested")
  })

  it("fires what fell due in an invoked child (it lives in its parent's time), so the parent goes on", async () => {
    for (const skipTime of [true, false]) {
      runner = createTestRunner({ ...fixedStart, functions: [nap, caller], skipTime })
      const execution = await runner.start("caller", {})
      assert.strictEqual(execution.status, "RUNNING")
      await execution.advanceTime({ minutes: 30 })
      assert.strictEqual(execution.status, "RUNNING", "the child's wait is not due yet")
      await execution.advanceTime({ minutes: 31 })
      assert.strictEqual(execution.status, "SUCCEEDED", `skipTime ${skipTime}`)
      assert.strictEqual(execution.result, "rested")
      await runner.dispose()
      runner = undefined
    }
  })

  // A parent that gives its child 10 minutes: the first timer due decides the race, across the family's shared clock.
  const sleeper = durable("sleeper", async (minutes: number, ctx) => {
    await ctx.wait("sleep", { minutes })
    return "woke"
  })
  const impatient = durable("impatient", async (minutes: number, ctx) =>
    (await ctx.promise.race([ctx.invoke("call", "sleeper", minutes), ctx.wait("timeout", { minutes: 10 })])) ?? "timed out")

  it("run() skips the family's clock timer by timer: the parent's 10-minute timeout beats the child's hour", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [sleeper, impatient] })
    assert.strictEqual((await runner.run("impatient", 60)).result, "timed out")
    assert.strictEqual((await runner.run("impatient", 5)).result, "woke")
  })

  it("advanceTime past both timers fires them in due-time order, the child's and the parent's", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [sleeper, impatient], skipTime: false })
    const late = await runner.start("impatient", 60)
    const early = await runner.start("impatient", 5)
    await late.advanceTime({ hours: 2 })
    await early.advanceTime({ hours: 2 })
    assert.strictEqual(late.result, "timed out")
    assert.strictEqual(early.result, "woke")
  })
})

describe("what a test reads and sends, as AWS's runner has it", () => {
  it("a step that succeeded after failed attempts carries no error, only its result and attempts", async () => {
    const flaky = durable("flaky", async (_: unknown, ctx) =>
      ctx.step("s", async ({ attempt }) => {
        if (attempt < 3) throw new Error(`boom ${attempt}`)
        return attempt
      }, { retryStrategy: (_error, attempts) => ({ shouldRetry: attempts < 5, delay: { seconds: 1 } }) }))
    runner = createTestRunner({ ...fixedStart, functions: [flaky] })
    const execution = await runner.run("flaky")
    const step = execution.getOperation("s")!
    assert.deepStrictEqual([step.status, step.result, step.attempt, step.error], ["SUCCEEDED", 3, 3, undefined])
  })

  it("a callback that timed out carries the error its waiter was given", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [approval] })
    const execution = await runner.run("approval", {})
    assert.strictEqual(execution.status, "FAILED")
    assert.deepStrictEqual(execution.callback("manager").error, { errorType: "CallbackTimeoutError", errorMessage: "Callback timed out" })
  })

  it("sendCallbackFailure without an error fails the callback with AWS's defaults", async () => {
    const waiting = durable("waiting", async (_: unknown, ctx) => {
      try {
        return await ctx.waitForCallback("cb", async () => undefined)
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    })
    runner = createTestRunner({ ...fixedStart, functions: [waiting] })
    const execution = await runner.start("waiting")
    await execution.sendCallbackFailure("cb")
    assert.strictEqual(execution.result, "CallbackExternalError: Callback failed") // as AWS's SDK names it
  })

  it("refuses a test's bad arguments with a TypeError that says so, and the execution goes on", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [approval] })
    const execution = await runner.start("approval", {})
    const refusal = async (call: () => Promise<unknown>) => call().then(() => "accepted", (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`)
    assert.strictEqual(
      await refusal(() => execution.sendCallbackSuccess("manager", { approved: true } as never)),
      "TypeError: sendCallbackSuccess takes the result as a string (the payload's JSON text): got object; pass JSON.stringify(value)"
    )
    assert.strictEqual(
      await refusal(() => execution.sendCallbackFailure("manager", { errorMessage: 42 } as never)),
      "TypeError: sendCallbackFailure: errorMessage must be a string, got number"
    )
    assert.strictEqual(await refusal(() => execution.advanceTime(Number.NaN)), "TypeError: advanceTime takes a Duration or milliseconds (a finite number, 0 or more): got NaN")
    assert.strictEqual(await refusal(() => execution.advanceTime(-1)), "TypeError: advanceTime takes a Duration or milliseconds (a finite number, 0 or more): got -1")
    assert.throws(() => createTestRunner({ ...fixedStart, functions: [approval], startTime: new Date("nope") }), /startTime is not a valid Date/)
    assert.strictEqual(await refusal(() => execution.sendCallbackSuccess("manger", "yes")), `Error: Execution approval-1 has no callback "manger" yet (its callbacks: "manager" (1-1))`)
    await execution.sendCallbackSuccess("manager", "yes")
    await execution.settle()
    assert.deepStrictEqual([execution.status, execution.result], ["SUCCEEDED", "yes"])
  })
})

describe("stop()", () => {
  it("records the reason as the HTTP stop does: its type (Stopped unless given), message and data", async () => {
    runner = createTestRunner({ ...fixedStart, functions: [approval] })
    const stopped = await (await runner.start("approval")).stop({ errorMessage: "customer cancelled", errorData: JSON.stringify({ ticket: 42 }) })
    assert.deepStrictEqual(stopped.error, { errorType: "Stopped", errorMessage: "customer cancelled", errorData: "{\"ticket\":42}" })
  })

  it("inside a saga, returns once the compensations ran and the execution is STOPPED, as a pause returns PAUSED", async () => {
    const undone: Array<string> = []
    const trip = durable("trip", async (_: unknown, ctx) =>
      saga(ctx, "book", async (booking, steps) => {
        await steps.step("flight", async () => "F1", { compensate: async () => void undone.push("flight") })
        await booking.wait("hold", { days: 1 })
      }))
    runner = createTestRunner({ ...fixedStart, functions: [trip] })
    const stopped = await (await runner.start("trip")).stop({ errorMessage: "customer cancelled" })
    assert.deepStrictEqual([stopped.status, undone], ["STOPPED", ["flight"]])
    assert.strictEqual(stopped.getOperation("compensate flight")?.status, "SUCCEEDED")
  })
})

describe("the execution's own timeout", () => {
  it("stops the clock at the timeout: a wait due after it never succeeds, and the execution times out on time", async () => {
    const long = durable("long-wait", async (_: unknown, ctx) => {
      await ctx.wait("w", { hours: 2 })
      return "woke"
    }, { executionTimeout: { hours: 1 } })
    runner = createTestRunner({ ...fixedStart, functions: [long] })
    const execution = await runner.run("long-wait")
    assert.strictEqual(execution.status, "TIMED_OUT")
    const started = execution.history[0]!.at
    assert.deepStrictEqual(
      execution.history.map((e) => `${e._tag} +${(e.at - started) / 60_000}m`),
      ["ExecutionStarted +0m", "WaitStarted +0m", "ExecutionTimedOut +60m"]
    )
    assert.strictEqual(execution.getOperation("w")!.status, "STARTED")
  })
})

describe("an execution that never settles", () => {
  it("is named, with why, once a settle has taken SLOW_SETTLE_MS, rather than left to the test's timeout", async () => {
    const hanging = durable("hanging", async (_: unknown, ctx) => {
      await ctx.step("before", async () => "done")
      await new Promise(() => {}) // not a durable operation: nothing in the test's virtual time ends it
    })
    const warnings: Array<string> = []
    const warn = console.warn
    console.warn = (...args: Array<unknown>) => void warnings.push(args.map(String).join(" "))
    try {
      runner = createTestRunner({ ...fixedStart, functions: [hanging] })
      const outcome = await Promise.race([
        runner.start("hanging").then(() => "settled"),
        new Promise((resolve) => setTimeout(() => resolve("still waiting"), SLOW_SETTLE_MS + 1_000))
      ])
      assert.strictEqual(outcome, "still waiting")
    } finally {
      console.warn = warn
    }
    assert.strictEqual(warnings.length, 1)
    assert.match(warnings[0]!, /execution hanging-1 has not settled after 2 s\. A step body may still run \(step bodies run so far: before ×1\), or its handler awaits a promise that is not a durable operation/)
    assert.match(warnings[0]!, /A step's timeout counts real time/)
  }, 10_000)

  it("is named, with what to do, when runner.run goes on firing the timers of a loop that never ends", async () => {
    const ticker = durable("ticker", async (_: unknown, ctx) => {
      for (;;) await ctx.wait("tick", { minutes: 1 })
    })
    const warnings: Array<string> = []
    const warn = console.warn
    console.warn = (...args: Array<unknown>) => void warnings.push(args.map(String).join(" "))
    try {
      runner = createTestRunner({ ...fixedStart, functions: [ticker] })
      const run = runner.run("ticker").then(() => "ended", () => "cut off")
      for (let tries = 0; tries < 600 && warnings.length === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100))
      await runner.dispose()
      assert.strictEqual(await run, "cut off")
    } finally {
      console.warn = warn
    }
    assert.strictEqual(warnings.length, 1)
    assert.match(warnings[0]!, /^reprise\/testing: execution ticker-1 has fired \d+ timers and not ended yet \(its virtual time is 2026-01-\d\dT.*\)\. If its function loops for ever/)
    assert.include(warnings[0]!, "drive it with runner.start and execution.advanceTime, or end each run with ctx.continueAsNew")
  }, 90_000)
})
