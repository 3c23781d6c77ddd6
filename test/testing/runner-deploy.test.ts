/**
 * `runner.deploy`: new code on the same store and clocks, as a server restarted with it. A fix deployed and then a
 * rewind; an execution suspended under v1 that goes on under v2; a v2 that no longer replays the log; a function
 * the deploy removed; the version label a rewind records; step bodies running when the deploy comes.
 */
import { assert, describe, it } from "@effect/vitest"
import { FunctionNotFound } from "../../src/engine/engine-errors.ts"
import { durable, schedule, ScheduleConfigError } from "../../src/index.ts"
import { createTestRunner, type TestRunner } from "../../src/testing/index.ts"
import { fixedStart } from "./fixed-start.ts"

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

/** Reserves, then charges: v1 charges in cents by mistake and fails; v2 is the fix. */
const checkout = (version: "v1" | "v2") =>
  durable("checkout", async (input: { euros: number }, ctx) => {
    const reservation = await ctx.step("reserve", async () => `res-${input.euros}`)
    const charged = await ctx.step("charge", async () => {
      if (version === "v1") throw new Error("charged in cents")
      return input.euros
    }, noRetry)
    return { reservation, charged }
  }, { version })

/** A step, an hour's wait, then what the version does after it. */
const reminder = (version: "v1" | "v2") =>
  durable("reminder", async (_: unknown, ctx) => {
    await ctx.step("schedule", async () => "scheduled")
    await ctx.wait("hour", { hours: 1 })
    return await ctx.step(`send-${version}`, async () => `sent by ${version}`)
  }, { version })

const tagsOf = (history: ReadonlyArray<{ readonly _tag: string }>) => history.map((event) => event._tag)

const refusal = (call: () => Promise<unknown>) => call().then(() => undefined, (error: unknown) => error)

/** Waits (at most 5 s, real time) until a step body has started. */
const bodyStarted = async (runner: TestRunner, executionId: string, step: string) => {
  for (let tries = 0; tries < 500 && runner.stepBodyRuns(executionId)[step] === undefined; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.isDefined(runner.stepBodyRuns(executionId)[step], `${step} started`)
}

describe("runner.deploy: a fix deployed, then a rewind", () => {
  it("runs the new code from the operation that failed; the steps before it are not run again", async () => {
    const runner = createTestRunner({ functions: [checkout("v1")] })
    const execution = await runner.run("checkout", { euros: 12 })
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorMessage, "charged in cents")
    await runner.deploy({ functions: [checkout("v2")] })
    await execution.rewind(execution.getOperation("charge")!.id)
    assert.deepStrictEqual(execution.expectSucceeded(), { reservation: "res-12", charged: 12 })
    assert.deepStrictEqual(execution.stepBodyRuns, { reserve: 1, charge: 2 })
    await runner.dispose()
  })

  it("records the version label of the code deployed at the rewind, and describe and the listing show it", async () => {
    const runner = createTestRunner({ functions: [checkout("v1")] })
    const execution = await runner.run("checkout", { euros: 3 })
    await runner.deploy({ functions: [checkout("v2")] })
    await execution.rewind(execution.getOperation("charge")!.id)
    const started = execution.history.find((event) => event._tag === "ExecutionStarted")
    const rewound = execution.history.find((event) => event._tag === "ExecutionRewound")
    assert.strictEqual(started?._tag === "ExecutionStarted" ? started.version : undefined, "v1")
    assert.strictEqual(rewound?._tag === "ExecutionRewound" ? rewound.version : undefined, "v2")
    assert.strictEqual((await runner.engine((e) => e.describe(execution.executionId))).version, "v2")
    const listed = await runner.engine((e) => e.list({ version: "v2" }))
    assert.deepStrictEqual(listed.items.map((item) => item.executionId), [execution.executionId])
    await runner.dispose()
  })
})

describe("runner.deploy: executions in flight", () => {
  it("an execution suspended on a wait under v1 goes on under v2 when the wait ends; the recorded step is replayed, not run", async () => {
    const runner = createTestRunner({ functions: [reminder("v1")] })
    const execution = await runner.start("reminder")
    assert.strictEqual(execution.status, "RUNNING")
    const suspendedAt = execution.now.getTime()
    await runner.deploy({ functions: [reminder("v2")] })
    assert.strictEqual(execution.now.getTime(), suspendedAt, "the deploy keeps the execution's clock")
    await execution.advanceTime({ hours: 1 })
    assert.strictEqual(execution.expectSucceeded(), "sent by v2")
    assert.deepStrictEqual(execution.stepBodyRuns, { schedule: 1, "send-v2": 1 })
    assert.deepStrictEqual(execution.operations.map((op) => op.name), ["schedule", "hour", "send-v2"])
    assert.strictEqual(execution.invocations, 1, "the new engine's count: the replay under v2")
    await runner.dispose()
  })

  it("a callback completed after the deploy, and a resume after it, run the new code", async () => {
    const approval = (version: "v1" | "v2") =>
      durable("approval", async (_: unknown, ctx) => {
        await ctx.step("ask", async () => "asked")
        const [answer] = await ctx.createCallback<string>("answer")
        const said = await answer
        return await ctx.step(`record-${version}`, async () => `${said} (${version})`)
      })
    const runner = createTestRunner({ functions: [approval("v1")] })
    const answered = await runner.start("approval")
    const paused = await (await runner.start("approval")).pause()
    await runner.deploy({ functions: [approval("v2")] })
    await answered.sendCallbackSuccess("answer", "yes")
    assert.strictEqual(answered.expectSucceeded(), "yes (v2)")
    assert.deepStrictEqual(answered.stepBodyRuns, { ask: 1, "record-v2": 1 })
    await paused.resume()
    await paused.sendCallbackSuccess("answer", "ok")
    assert.strictEqual(paused.expectSucceeded(), "ok (v2)")
    await runner.dispose()
  })

  it("a v2 that calls the recorded operations in another order fails the execution as non-deterministic, as on a host", async () => {
    const twoSteps = (swapped: boolean) =>
      durable("two-steps", async (_: unknown, ctx) => {
        const names = swapped ? ["second", "first"] : ["first", "second"]
        for (const name of names) await ctx.step(name, async () => name)
        await ctx.wait("hour", { hours: 1 })
        return "done"
      })
    const runner = createTestRunner({ functions: [twoSteps(false)] })
    const execution = await runner.start("two-steps")
    await runner.deploy({ functions: [twoSteps(true)] })
    await execution.advanceTime({ hours: 1 })
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "NonDeterministicExecutionError")
    assert.match(execution.error?.errorMessage ?? "", /Non-deterministic execution detected: Operation name mismatch for step "1"\. Expected name "first", but got "second"/)
    assert.deepStrictEqual(execution.stepBodyRuns, { first: 1, second: 1 })
    await runner.dispose()
  })

  it("an execution of a function the deploy removed is refused with FunctionNotFound, stays RUNNING, and can still be stopped", async () => {
    const runner = createTestRunner({ functions: [reminder("v1")] })
    const execution = await runner.start("reminder")
    await runner.deploy({ functions: [checkout("v2")] })
    const refused = await refusal(() => execution.advanceTime({ hours: 1 }))
    assert.instanceOf(refused, FunctionNotFound)
    assert.strictEqual((refused as FunctionNotFound).message, `No durable function is registered as "reminder"`)
    assert.instanceOf(await refusal(() => runner.run("reminder")), FunctionNotFound)
    assert.strictEqual((await execution.refresh()).status, "RUNNING")
    assert.strictEqual((await execution.pause()).status, "PAUSED")
    assert.instanceOf(await refusal(() => execution.resume()), FunctionNotFound)
    await execution.stop({ errorMessage: "removed by the deploy" })
    assert.strictEqual(execution.status, "STOPPED")
    assert.deepStrictEqual(execution.stepBodyRuns, { schedule: 1 })
    await runner.dispose()
  })
})

describe("runner.deploy: what goes on across it", () => {
  it("a schedule keeps its place: ticks after the deploy start the new code, ticks already handled are not handled again", async () => {
    const report = (version: "v1" | "v2") => durable("report", async (_: unknown, ctx) => ctx.step("send", async () => version))
    const daily = schedule("daily", { function: "report", cron: "0 2 * * *" })
    const runner = createTestRunner({ ...fixedStart, functions: [report("v1")], schedules: [daily] })
    const before = await runner.advanceSchedules({ days: 2 })
    await runner.deploy({ functions: [report("v2")] })
    const after = await runner.advanceSchedules({ days: 1 })
    assert.deepStrictEqual([...before, ...after], ["daily:2026-01-01T02:00:00Z", "daily:2026-01-02T02:00:00Z", "daily:2026-01-03T02:00:00Z"])
    const results = await Promise.all([...before, ...after].map(async (id) => (await runner.execution(id)).result))
    assert.deepStrictEqual(results, ["v1", "v1", "v2"])
    assert.strictEqual((await runner.listSchedules())[0]!.started, 3)
    await runner.dispose()
  })

  it("a start queued by flow control is not lost: it leaves the queue under the new code", async () => {
    const limited = (version: "v1" | "v2") =>
      durable("limited", async (_: unknown, ctx) => ctx.step("work", async () => version), { rateLimit: { limit: 1, period: { minutes: 1 } } })
    const runner = createTestRunner({ functions: [limited("v1")] })
    await runner.begin("limited", undefined, { executionId: "first" })
    await runner.begin("limited", undefined, { executionId: "second" })
    assert.strictEqual((await runner.execution("second")).status, "QUEUED")
    await runner.deploy({ functions: [limited("v2")] })
    await runner.drain()
    assert.strictEqual((await runner.execution("first")).expectSucceeded(), "v1")
    assert.strictEqual((await runner.execution("second")).expectSucceeded(), "v2")
    await runner.dispose()
  })

  it("a fork made after the deploy runs the new code and records its version label", async () => {
    const runner = createTestRunner({ functions: [checkout("v1")] })
    const source = await runner.run("checkout", { euros: 5 })
    await runner.deploy({ functions: [checkout("v2")] })
    const fork = await source.fork(source.getOperation("charge")!.id)
    assert.deepStrictEqual(fork.expectSucceeded(), { reservation: "res-5", charged: 5 })
    assert.deepStrictEqual(fork.stepBodyRuns, { charge: 1 })
    assert.strictEqual((await runner.engine((e) => e.describe(fork.executionId))).version, "v2")
    await runner.dispose()
  })
})

/** A step whose body waits for the test (v1), then another; v2 runs the same first step at once. */
const gated = (version: "v1" | "v2", gate: Promise<void>) =>
  durable("gated", async (_: unknown, ctx) => {
    await ctx.step("slow", async () => (version === "v1" ? gate : undefined))
    return await ctx.step(`next-${version}`, async () => version)
  })

describe("runner.deploy while a step body runs", () => {
  it("lets the body end and records it (a server's graceful shutdown), then the execution goes on under the new code", async () => {
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const runner = createTestRunner({ functions: [gated("v1", gate)] })
    await runner.begin("gated", undefined, { executionId: "g-1" })
    await bodyStarted(runner, "g-1", "slow")
    // Opened once the deploy is shutting the old code down: it waits for the body rather than cut it off.
    setTimeout(open, 50)
    await runner.deploy({ functions: [gated("v2", gate)] })
    const execution = await runner.execution("g-1")
    assert.strictEqual(execution.expectSucceeded(), "v2")
    assert.deepStrictEqual(execution.stepBodyRuns, { slow: 1, "next-v2": 1 })
    assert.notInclude(tagsOf(execution.history).join(), "ExecutionFailed")
    await runner.dispose()
  })

  it("past the shutdown grace, cuts the body off: the step runs again under the new code, and a call waiting on it says why it ended", async () => {
    const never = new Promise<void>(() => {})
    const runner = createTestRunner({ functions: [gated("v1", never)] })
    const waiting = refusal(() => runner.run("gated", undefined, { executionId: "g-2" }))
    await bodyStarted(runner, "g-2", "slow")
    await runner.deploy({ functions: [gated("v2", never)], shutdownGraceMs: 0 })
    const ended = await waiting
    assert.instanceOf(ended, Error)
    assert.match((ended as Error).message, /^runner\.deploy replaced the code while the call was still waiting/)
    const execution = await runner.execution("g-2")
    assert.strictEqual(execution.expectSucceeded(), "v2")
    assert.deepStrictEqual(execution.stepBodyRuns, { slow: 2, "next-v2": 1 })
    await runner.dispose()
  })
})

describe("runner.deploy refused", () => {
  it("for bad configuration (before anything is dropped: the code deployed before still runs) and during another deploy", async () => {
    const daily = schedule("daily", { cron: "0 9 * * *", function: "reminder" })
    const runner = createTestRunner({ functions: [reminder("v1")], schedules: [daily] })
    const execution = await runner.start("reminder")
    assert.instanceOf(await refusal(() => runner.deploy({ functions: [checkout("v2")] })), ScheduleConfigError)
    assert.instanceOf(await refusal(() => runner.deploy({ functions: [reminder("v2"), reminder("v2")] })), TypeError)
    assert.instanceOf(await refusal(() => runner.deploy({ functions: [reminder("v2")], shutdownGraceMs: -1 })), TypeError)
    assert.instanceOf(await refusal(() => runner.deploy(reminder("v2") as never)), TypeError)
    const first = runner.deploy({ functions: [reminder("v1")] })
    assert.match((await refusal(() => runner.deploy({ functions: [reminder("v1")] })) as Error).message, /already deploying/)
    await first
    await execution.advanceTime({ hours: 1 })
    assert.strictEqual(execution.expectSucceeded(), "sent by v1")
    // Schedules given with the deploy replace the old ones.
    await runner.deploy({ functions: [checkout("v2")], schedules: [] })
    assert.deepStrictEqual(await runner.listSchedules(), [])
    await runner.dispose()
  })

  it("once the runner is disposed", async () => {
    const runner = createTestRunner({ functions: [reminder("v1")] })
    await runner.dispose()
    const refused = await refusal(() => runner.deploy({ functions: [reminder("v2")] }))
    assert.match((refused as Error).message, /test runner was disposed/)
  })

  it("when the runner is disposed while the deploy shuts the old code down: nothing is deployed after the dispose", async () => {
    const never = new Promise<void>(() => {})
    const runner = createTestRunner({ functions: [gated("v1", never)] })
    await runner.begin("gated", undefined, { executionId: "g-3" })
    await bodyStarted(runner, "g-3", "slow")
    // Disposed while the deploy gives the running body its grace.
    const disposed = new Promise<void>((resolve) => setTimeout(() => void runner.dispose().then(resolve), 50))
    const deploying = refusal(() => runner.deploy({ functions: [gated("v2", never)], shutdownGraceMs: 1_000 }))
    await disposed
    assert.match(((await deploying) as Error).message, /disposed while runner\.deploy shut the old code down/)
    assert.match(((await refusal(() => runner.listSchedules())) as Error).message, /test runner was disposed/)
  })
})
