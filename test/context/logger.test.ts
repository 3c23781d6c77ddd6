/**
 * The default logger, used as a handler written for AWS's SDK uses it: `ctx.logger` and a step's `logger` at every
 * level, with no custom logger configured, through `reprise/testing` alone. Each call writes one JSON line (debug
 * and info to stdout, warn and error to stderr), never fails the execution (circular objects, errors), and stays
 * silent while the handler replays.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { vi } from "vitest"
import { durable } from "reprise"
import { createTestRunner } from "reprise/testing"

interface Written {
  readonly stream: "stdout" | "stderr"
  readonly record: Record<string, any>
}

let written: Array<Written>
beforeEach(() => {
  written = []
  const keep = (stream: Written["stream"]) => (...args: Array<unknown>) => {
    assert.strictEqual(args.length, 1, "one string per line")
    written.push({ stream, record: JSON.parse(String(args[0])) })
  }
  vi.spyOn(console, "log").mockImplementation(keep("stdout"))
  vi.spyOn(console, "error").mockImplementation(keep("stderr"))
})
afterEach(() => {
  vi.restoreAllMocks()
})

const circular = () => {
  const order: Record<string, unknown> = { id: "o-1" }
  order.self = order
  return order
}

describe("the default logger", () => {
  it("writes one JSON line per call at every level of ctx.logger and a step's logger, and the execution succeeds", async () => {
    const fn = durable("logs-everything", async (_: unknown, ctx) => {
      ctx.logger.debug("debugging", 1)
      ctx.logger.info("hello")
      ctx.logger.warn("careful", { n: 2 })
      ctx.logger.error(new TypeError("bad input"))
      ctx.logger.log("info", "through log", "and more")
      ctx.logger.info(circular())
      ctx.logger.warn("with a loop:", circular(), new RangeError("out of range"))
      const total = await ctx.step("work", async ({ logger }) => {
        logger.debug("step debug")
        logger.info("step info", { nested: { error: new Error("inner") } })
        logger.warn(circular())
        logger.error("step error", new Error("boom"))
        logger.log("error", "step through log")
        return 42
      })
      return total
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("logs-everything")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.strictEqual(execution.result, 42)

    const ours = written.filter((w) => w.record.executionId === execution.executionId)
    assert.strictEqual(ours.length, written.length, "every line names the execution")
    const summary = ours.map((w) => [w.stream, w.record.level, w.record.message])
    // AWS's default logger's rules: several arguments are one util.format string, a lone Error its fields.
    assert.deepStrictEqual(summary.slice(0, 5).map(([stream, level, message]) => [stream, level, typeof message === "string" ? message : { ...message, stackTrace: undefined }]), [
      ["stdout", "DEBUG", "debugging 1"],
      ["stdout", "INFO", "hello"],
      ["stderr", "WARN", `careful {"n":2}`],
      ["stderr", "ERROR", { errorType: "TypeError", errorMessage: "bad input", stackTrace: undefined }],
      ["stdout", "INFO", "through log and more"]
    ])
    assert.match(ours[3]!.record.message.stackTrace[0], /^TypeError: bad input/)
    assert.isAbove(ours[3]!.record.message.stackTrace.length, 1, "the stack, line by line")
    // A circular object is written as JSON with its loop marked, never as a failure.
    assert.strictEqual(ours[5]!.record.level, "INFO")
    assert.deepStrictEqual(ours[5]!.record.message, { id: "o-1", self: "[Circular]" })
    const loop = ours[6]!.record
    assert.match(loop.message, /^with a loop: .*\[Circular\].* RangeError: out of range/s)
    assert.strictEqual(loop.errorType, "RangeError")
    assert.strictEqual(loop.errorMessage, "out of range")

    const step = ours.slice(7)
    assert.deepStrictEqual(step.map((w) => [w.stream, w.record.level]), [
      ["stdout", "DEBUG"],
      ["stdout", "INFO"],
      ["stderr", "WARN"],
      ["stderr", "ERROR"],
      ["stderr", "ERROR"]
    ])
    for (const w of step) {
      assert.strictEqual(w.record.operationName, "work")
      assert.strictEqual(w.record.attempt, 1)
      assert.isString(w.record.operationId)
      assert.match(w.record.timestamp, /^\d{4}-\d\d-\d\dT/)
    }
    assert.deepStrictEqual(step[0]!.record.message, "step debug")
    assert.match(step[1]!.record.message, /^step info \{"nested":\{"error":Error: inner/)
    assert.deepStrictEqual(step[2]!.record.message, { id: "o-1", self: "[Circular]" })
    assert.match(step[3]!.record.message, /^step error Error: boom\n {4}at /)
    assert.strictEqual(step[3]!.record.errorType, "Error")
    assert.strictEqual(step[3]!.record.errorMessage, "boom")
    assert.match(step[3]!.record.stackTrace[0], /^Error: boom/)
    assert.deepStrictEqual(step[4]!.record.message, "step through log")
    await runner.dispose()
  })

  it("names the child context, map item (FLAT too) or parallel branch whose code logs through its context's logger, as AWS's does", async () => {
    const fn = durable("logs-in-children", async (_: unknown, ctx) => {
      ctx.logger.info("at the top")
      await ctx.runInChildContext("kid", async (kid) => kid.logger.info("in the child"))
      await ctx.map("items", ["x"], async (item) => item.logger.info("in an item"))
      await ctx.parallel("branches", [{ name: "left", func: async (branch) => branch.logger.warn("in a branch") }])
      // A FLAT item has no operation of its own: its virtual context's id, with the item's name (as AWS's).
      await ctx.map("flat", ["y"], async (item) => item.logger.info("in a flat item"), { nesting: "FLAT" })
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.strictEqual((await runner.run("logs-in-children")).status, "SUCCEEDED")
    assert.deepStrictEqual(written.map(({ record }) => [record.message, record.operationId, record.operationName, record.attempt]), [
      ["at the top", undefined, undefined, undefined],
      ["in the child", "1", "kid", undefined],
      ["in an item", "2-1", "map-item-0", undefined],
      ["in a branch", "3-1", "left", undefined],
      ["in a flat item", "4-1", "map-item-0", undefined]
    ])
    await runner.dispose()
  })

  it("stays silent while the handler replays: each line is written once across invocations", async () => {
    const fn = durable("logs-across-a-wait", async (_: unknown, ctx) => {
      ctx.logger.info("before", circular())
      await ctx.step("a", async ({ logger }) => logger.info("inside a"))
      await ctx.wait({ seconds: 5 })
      ctx.logger.warn("after the wait")
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("logs-across-a-wait")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.invocations, 2, "the second invocation replayed the first half")
    assert.deepStrictEqual(written.map((w) => [w.record.level, w.record.message.replace(/ \{.*/, "")]), [
      ["INFO", "before"],
      ["INFO", "inside a"],
      ["WARN", "after the wait"]
    ])
    await runner.dispose()
  })

  it("keeps an error's stack, its cause chain and its own fields, and fills util.format's placeholders", async () => {
    const fn = durable("logs-a-failure", async (_: unknown, ctx) => {
      const root = Object.assign(new Error("connection reset"), { code: "ECONNRESET" })
      ctx.logger.error("charge failed", new Error("payment declined", { cause: root }))
      ctx.logger.info("user %s has %d items (%j), 100%%", "ada", 3, { gold: true }, "extra")
      ctx.logger.warn("odd error", Object.assign(new Error("with fields"), { level: "DEBUG", executionId: "another" }))
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.strictEqual((await runner.run("logs-a-failure")).status, "SUCCEEDED")
    const [failed, counted] = written.map((w) => w.record)
    assert.match(failed!.message, /^charge failed Error: payment declined\n/)
    assert.strictEqual(failed!.errorType, "Error")
    assert.strictEqual(failed!.errorMessage, "payment declined")
    assert.match(failed!.stackTrace[1], /^ {4}at /)
    assert.strictEqual(failed!.cause.errorMessage, "connection reset")
    assert.strictEqual(failed!.cause.code, "ECONNRESET")
    assert.match(failed!.cause.stackTrace[0], /^Error: connection reset/)
    assert.strictEqual(counted!.message, `user ada has 3 items ({"gold":true}), 100% extra`)
    const odd = written[2]!.record
    assert.strictEqual(odd.level, "WARN", "an error's own fields never overwrite the line's")
    assert.notStrictEqual(odd.executionId, "another")
    assert.strictEqual(odd.errorMessage, "with fields")
    await runner.dispose()
  })

  it("keeps a lone error's cause chain and fields when JSON cannot hold them (a cycle, a BigInt), and shows lone values JSON drops", async () => {
    const fn = durable("logs-the-unwritable", async (_: unknown, ctx) => {
      const a = new Error("A")
      const b = new Error("B", { cause: a })
      a.cause = b
      ctx.logger.error(a)
      const details: Record<string, unknown> = { order: "o-1" }
      details.back = details
      ctx.logger.error(Object.assign(new Error("with details"), { details, big: 10n }))
      ctx.logger.info(undefined)
      ctx.logger.info(Symbol("s"))
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.strictEqual((await runner.run("logs-the-unwritable")).status, "SUCCEEDED")
    const [cycle, fields, undefinedLine, symbolLine] = written.map((w) => w.record)
    assert.strictEqual(cycle!.message.errorMessage, "A")
    assert.strictEqual(cycle!.message.cause.errorMessage, "B", "the cause that closes the cycle is kept")
    assert.strictEqual(cycle!.message.cause.cause, "[Circular]")
    assert.strictEqual(fields!.message.details.order, "o-1")
    assert.strictEqual(fields!.message.details.back, "[Circular]")
    assert.strictEqual(fields!.message.big, "10n")
    assert.strictEqual(undefinedLine!.message, "undefined")
    assert.strictEqual(symbolLine!.message, "Symbol(s)")
    await runner.dispose()
  })

  it("never throws for an error whose properties throw when read", async () => {
    const fn = durable("logs-a-hostile-error", async (_: unknown, ctx) => {
      const hostile = new Error("x")
      for (const name of ["message", "stack", "cause"]) Object.defineProperty(hostile, name, { get: () => { throw new Error(`${name} boom`) } })
      ctx.logger.error(hostile)
      ctx.logger.error("with", hostile)
      return "ok"
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.strictEqual((await runner.run("logs-a-hostile-error")).status, "SUCCEEDED")
    assert.strictEqual(written.length, 2)
    await runner.dispose()
  })

  it("logs a caught failure read back from the log as on its first run: the recorded type and the user's line, not Reprise's", async () => {
    const fn = durable("logs-a-replayed-failure", async (_: unknown, ctx) => {
      const failure = await ctx.step("charge", async () => {
        throw new Error("declined", { cause: new TypeError("card reader unplugged") }) // THROWN-HERE
      }, { retryStrategy: () => ({ shouldRetry: false }) }).catch((error: unknown) => error)
      await ctx.wait("pause", { seconds: 5 })
      ctx.logger.error(failure) // on a replay after the eviction: the failure is the one read back from the log
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("logs-a-replayed-failure")
    await (await execution.evict()).settle()
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    const thrownAt = `logger.test.ts:${readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").findIndex((l) => l.includes("// THROWN-HERE")) + 1}:`
    const logged = written.find((w) => w.record.message?.errorType === "StepError")?.record.message
    const cause = logged?.cause
    assert.deepStrictEqual([cause?.errorType, cause?.errorMessage, cause?.cause?.errorType], ["Error", "declined", "TypeError"])
    assert.strictEqual(cause?.stackTrace?.[0], "Error: declined")
    assert.include(cause?.stackTrace?.[1], thrownAt, "the first frame is the line that threw")
    assert.include(cause?.cause?.stackTrace?.[1], thrownAt)
    await runner.dispose()
  })
})
