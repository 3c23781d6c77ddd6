/**
 * The default logger, used as a handler written for AWS's SDK uses it: `ctx.logger` and a step's `logger` at every
 * level, with no custom logger configured, through `reprise/testing` alone. Each call writes one JSON line (debug
 * and info to stdout, warn and error to stderr), never fails the execution (circular objects, errors), and stays
 * silent while the handler replays.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
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
    assert.deepStrictEqual(summary.slice(0, 5), [
      ["stdout", "DEBUG", ["debugging", 1]],
      ["stdout", "INFO", "hello"],
      ["stderr", "WARN", ["careful", { n: 2 }]],
      ["stderr", "ERROR", { errorType: "TypeError", errorMessage: "bad input" }],
      ["stdout", "INFO", ["through log", "and more"]]
    ])
    // A circular object is written as the formatter shows it, never as a failure.
    assert.strictEqual(ours[5]!.record.level, "INFO")
    assert.include(ours[5]!.record.message, "o-1")
    assert.include(ours[5]!.record.message, "[Circular]")
    const loop = ours[6]!.record.message as Array<string>
    assert.strictEqual(loop[0], "with a loop:")
    assert.include(loop[1], "[Circular]")
    assert.include(loop[2], "out of range")

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
    assert.deepStrictEqual(step[1]!.record.message, ["step info", { nested: { error: { errorType: "Error", errorMessage: "inner" } } }])
    assert.include(step[2]!.record.message, "[Circular]")
    assert.deepStrictEqual(step[3]!.record.message, ["step error", { errorType: "Error", errorMessage: "boom" }])
    assert.deepStrictEqual(step[4]!.record.message, "step through log")
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
    assert.deepStrictEqual(written.map((w) => [w.record.level, Array.isArray(w.record.message) ? w.record.message[0] : w.record.message]), [
      ["INFO", "before"],
      ["INFO", "inside a"],
      ["WARN", "after the wait"]
    ])
    await runner.dispose()
  })
})
