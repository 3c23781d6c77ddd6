import { assert, describe, it } from "@effect/vitest"
import { durable, InvalidDurationError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { fixedStart } from "../testing/fixed-start.ts"

describe("ctx.wait", () => {
  it("completes a one-year wait through time skipping, with no real waiting", async () => {
    const fn = durable("yearly", async (_: unknown, ctx) => {
      await ctx.wait("a-year", { days: 365 })
      return "renewed"
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    // A real year of waiting would never end within the test's timeout: only the virtual clock moves.
    const execution = await runner.run("yearly")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "renewed")
    const wait = execution.getOperation("a-year")!
    assert.strictEqual(wait.waitUntil!.getTime() - wait.startedAt.getTime(), 365 * 24 * 3600 * 1000)
    assert.strictEqual(execution.now.getTime(), wait.waitUntil!.getTime())
    await runner.dispose()
  })

  it("waits until a Date", async () => {
    const fn = durable("until", async (_: unknown, ctx) => {
      await ctx.wait("new-year", new Date("2027-01-01T00:00:00Z"))
      return (await ctx.now()).toISOString()
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn], startTime: new Date("2026-12-31T23:00:00Z") })
    const execution = await runner.run("until")
    assert.strictEqual(execution.result, "2027-01-01T00:00:00.000Z")
    await runner.dispose()
  })

  for (const [label, duration, fragment] of [
    ["half a second", { seconds: 0.5 }, "0.5 seconds"],
    ["two years", { days: 730 }, "730 days"],
    ["a negative duration", { minutes: -1 }, "non-negative"],
    ["an empty duration", {}, "at least one of"]
  ] as const) {
    it(`rejects ${label} with a clear error, writing nothing for it`, async () => {
      const fn = durable("bad-wait", async (_: unknown, ctx) => {
        await ctx.wait(duration as never)
        return "unreachable"
      })
      const runner = createTestRunner({ ...fixedStart, functions: [fn] })
      const execution = await runner.run("bad-wait")
      assert.strictEqual(execution.status, "FAILED")
      assert.strictEqual(execution.error?.errorType, new InvalidDurationError("").name)
      assert.include(execution.error?.errorMessage, fragment)
      assert.isFalse(execution.history.some((e) => e._tag === "WaitStarted"))
      await runner.dispose()
    })
  }

  it("says a wait given only a name (ctx.wait(\"5s\")) has no duration, writing nothing for it", async () => {
    const fn = durable("named-only", async (_: unknown, ctx) => {
      await ctx.wait("5s" as never)
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("named-only")
    assert.deepInclude(execution.error, {
      errorType: "InvalidDurationError",
      errorMessage: `The wait "5s" has a name but no duration: ctx.wait(name, { seconds: 30 }) or ctx.wait({ seconds: 30 })`
    })
    assert.isFalse(execution.history.some((e) => e._tag === "WaitStarted"))
    await runner.dispose()
  })

  it("lets user code catch an invalid wait", async () => {
    const fn = durable("catching", async (_: unknown, ctx) => {
      try {
        await ctx.wait({ seconds: 0 })
        return "no error"
      } catch (error) {
        return (error as Error).name
      }
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    assert.strictEqual((await runner.run("catching")).result, "InvalidDurationError")
    await runner.dispose()
  })

  it("gives each execution its own clock: skipping one's year leaves another's time alone", async () => {
    const long = durable("long", async (_: unknown, ctx) => void (await ctx.wait({ days: 300 })))
    const short = durable("short", async (_: unknown, ctx) => void (await ctx.wait({ seconds: 30 })))
    const runner = createTestRunner({ ...fixedStart, functions: [long, short] })
    const a = await runner.start("long")
    const b = await runner.start("short")
    await a.settle()
    assert.strictEqual(a.status, "SUCCEEDED")
    assert.strictEqual(b.now.getTime(), Date.UTC(2026, 0, 1))
    await b.settle()
    assert.strictEqual(b.now.getTime() - Date.UTC(2026, 0, 1), 30_000)
    await runner.dispose()
  })
})
