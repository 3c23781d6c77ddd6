/** The test runner's own life: what it answers once disposed, responders that answer late, how it shows schedules. */
import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import { scheduleJson } from "../../src/http/schedule-routes.ts"
import { durable, schedule } from "../../src/index.ts"
import { createTestRunner, MAX_CHAIN_RUNS } from "../../src/testing/index.ts"

describe("a disposed test runner", () => {
  it("refuses further calls with an Error that says so (not the runtime's bare string); a second dispose is fine", async () => {
    const hello = durable("hello", async () => "hi")
    const runner = createTestRunner({ functions: [hello] })
    const execution = await runner.run("hello")
    await runner.dispose()
    for (const call of [() => runner.run("hello"), () => execution.refresh()]) {
      const refused = await call().then(() => undefined, (error: unknown) => error)
      assert.instanceOf(refused, Error)
      assert.match((refused as Error).message, /test runner was disposed/)
    }
    await runner.dispose()
  })

  it("ends a run still waiting on a step body with an Error that says the runner was disposed", async () => {
    const stuck = durable("stuck", async (_: unknown, ctx) => ctx.step("forever", () => new Promise<never>(() => {})))
    const runner = createTestRunner({ functions: [stuck] })
    const run = runner.run("stuck").then(() => undefined, (error: unknown) => error)
    for (let tries = 0; tries < 500 && runner.stepBodyRuns("stuck-1")["forever"] === undefined; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
    await runner.dispose() // as an afterEach does after the test timed out
    const refused = await run
    assert.instanceOf(refused, Error)
    assert.strictEqual((refused as Error).message, "This test runner was disposed while the call was still waiting (on a step body, or a handler that had not settled)")
  })
})

describe("naming the function to run", () => {
  it("refuses the function itself, or anything but a name, with a TypeError saying what to pass", async () => {
    const hello = durable("hello", async () => "hi")
    const runner = createTestRunner({ functions: [hello] })
    const refusal = (call: () => Promise<unknown>) => call().then(() => "accepted", (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`)
    assert.strictEqual(await refusal(() => runner.run(hello as never)), `TypeError: runner.run takes the function's name, not the function: runner.run("hello", input)`)
    assert.strictEqual(await refusal(() => runner.begin(hello as never)), `TypeError: runner.begin takes the function's name, not the function: runner.begin("hello", input)`)
    assert.strictEqual(await refusal(() => runner.start(42 as never)), "TypeError: runner.start takes the name of a registered function (a string): got number")
    assert.strictEqual((await runner.run(hello.name)).expectSucceeded(), "hi")
    await runner.dispose()
  })
})

describe("a responder that answers after the execution went past its callback", () => {
  it("is refused as late, and the run returns the execution's outcome rather than throwing", async () => {
    const fn = durable("first-answer-wins", async (_: unknown, ctx) => {
      const [first] = await ctx.createCallback<string>("first")
      await ctx.createCallback<string>("second")
      return await first
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.run("first-answer-wins", undefined, {
        callbacks: {
          first: () => ({ succeed: "a" }),
          second: async () => {
            await new Promise((resolve) => setTimeout(resolve, 20))
            return { succeed: "b" }
          }
        }
      })
      assert.strictEqual(execution.status, "SUCCEEDED")
      assert.strictEqual(execution.result, "a")
      assert.strictEqual(execution.getOperation("second")?.status, "STARTED", "the late answer changed nothing")
    } finally {
      await runner.dispose()
    }
  })
})

describe("the runner's schedules", () => {
  it("give the catch-up window as catchUpSeconds, under the names GET /v1/schedules answers", async () => {
    const job = durable("tidy", async (_: unknown, ctx) => ctx.step("sweep", async () => "swept"))
    const runner = createTestRunner({
      functions: [job],
      schedules: [schedule("hourly", { function: job, cron: "0 * * * *", catchUp: { minutes: 10 } }), schedule("daily", { function: job, cron: "@daily" })]
    })
    try {
      const views = await runner.listSchedules()
      assert.deepStrictEqual(views.map((view) => [view.name, view.catchUpSeconds]), [["hourly", 600], ["daily", 60]])
      for (const view of [...views, await runner.pauseSchedule("hourly"), await runner.resumeSchedule("hourly")]) {
        assert.notProperty(view, "catchUpMs")
        assert.deepStrictEqual(Object.keys(view).sort(), Object.keys(scheduleJson(view)).sort(), view.name)
      }
    } finally {
      await runner.dispose()
    }
  })
})

describe("runner.run on a function that continues as new for ever", () => {
  it("stops the chain after MAX_CHAIN_RUNS runs and throws an Error saying what to do, rather than running until memory ran out", async () => {
    const daily = durable("daily-for-ever", async (event: { day?: number }, ctx) => {
      await ctx.wait({ days: 1 })
      return ctx.continueAsNew({ day: (event.day ?? 0) + 1 })
    })
    const runner = createTestRunner({ functions: [daily] })
    try {
      const refused = await runner.run("daily-for-ever", {}, { executionId: "daily" }).then(() => undefined, (error: unknown) => error)
      assert.instanceOf(refused, Error)
      assert.strictEqual(
        (refused as Error).message,
        `Execution daily continued as new ${MAX_CHAIN_RUNS} times without ending; runner.run follows a chain to its last run, ` +
          `and stopped this one at daily~${MAX_CHAIN_RUNS + 1}. For a function that continues for ever, use runner.start and ` +
          "follow execution.continuedAs (runner.execution(id)) as far as the test needs."
      )
      const last = await runner.execution(`daily~${MAX_CHAIN_RUNS + 1}`)
      assert.strictEqual(last.status, "STOPPED")
      assert.isUndefined(last.continuedAs)
    } finally {
      await runner.dispose()
    }
  }, 60_000)
})

describe("the default ctx.logger under the test runner", () => {
  it("writes the levels at or above AWS_LAMBDA_LOG_LEVEL, as AWS's logger does under AWS's runner (it wrote every level)", async () => {
    const levels: Array<string> = []
    const keep = (line: unknown) => void levels.push(String((JSON.parse(String(line)) as { level: string }).level))
    vi.spyOn(console, "log").mockImplementation(keep)
    vi.spyOn(console, "error").mockImplementation(keep)
    const fn = durable("every-level", async (_: unknown, ctx) => {
      ctx.logger.debug("d")
      ctx.logger.info("i")
      await ctx.step("s", async ({ logger }) => logger.warn("w"))
      ctx.logger.error("e")
    })
    try {
      for (const [lambdaLevel, expected] of [["WARN", ["WARN", "ERROR"]], [undefined, ["DEBUG", "INFO", "WARN", "ERROR"]]] as const) {
        levels.length = 0
        vi.stubEnv("AWS_LAMBDA_LOG_LEVEL", lambdaLevel)
        const runner = createTestRunner({ functions: [fn] })
        try {
          assert.strictEqual((await runner.run("every-level")).status, "SUCCEEDED")
        } finally {
          await runner.dispose()
        }
        assert.deepStrictEqual(levels, [...expected], `AWS_LAMBDA_LOG_LEVEL=${lambdaLevel}`)
      }
    } finally {
      vi.unstubAllEnvs()
      vi.restoreAllMocks()
    }
  })
})

describe("the runner's virtual clock", () => {
  it("starts at the real time by default, so a wait until a time a step read from the real clock is as long as meant", async () => {
    // With a fixed start (2026-01-01), this 30-day wait was one from then to today and more: over a year, refused.
    const trial = durable("trial", async (_: unknown, ctx) => {
      const ends = await ctx.step("trial-end", async () => Date.now() + 30 * 24 * 3600 * 1000)
      await ctx.wait("trial", new Date(ends))
      return ends
    })
    const before = Date.now()
    const runner = createTestRunner({ functions: [trial] })
    const execution = await runner.run("trial")
    await runner.dispose()
    assert.strictEqual(execution.status, "SUCCEEDED")
    const startedAt = execution.history[0]!.at
    assert.isAtLeast(startedAt, before)
    assert.isAtMost(startedAt, Date.now())
  })

  it("starts at startTime when given one", async () => {
    const hello = durable("hello", async () => "hi")
    const runner = createTestRunner({ functions: [hello], startTime: new Date("2030-05-01T00:00:00Z") })
    const execution = await runner.run("hello")
    await runner.dispose()
    assert.strictEqual(execution.history[0]!.at, Date.UTC(2030, 4, 1))
  })
})
