/** Errors keep their story: the user's stack frames and the cause chain, in describe and in the history. */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { MAX_CAUSES, MAX_STACK_CHARS, toErrorRecord, userFrames } from "../../src/context/error-story.ts"
import { MAX_MESSAGE_CHARS, MAX_TYPE_CHARS } from "../../src/context/error-text.ts"
import { durable, retryPresets } from "../../src/index.ts"
import { RecordedError } from "../../src/context/errors.ts"
import { ErrorObject } from "../../src/log/events.ts"
import { Schema } from "effect"
import { createTestRunner } from "../../src/testing/index.ts"

const here = fileURLToPath(import.meta.url)
/** The 1-based line of this file that holds `marker`. */
const lineOf = (marker: string) => readFileSync(here, "utf8").split("\n").findIndex((line) => line.includes(marker)) + 1

const charge = durable("charge", async (_input: unknown, ctx) => {
  await ctx.step("authorise", async () => "ok")
  await ctx.step("capture", async () => {
    throw new Error("card declined", { cause: new TypeError("gateway said 402") }) // THROWS-HERE
  }, { retryStrategy: retryPresets.noRetry })
})

const inChild = durable("in-child", async (_input: unknown, ctx) =>
  ctx.runInChildContext("group", async () => {
    throw new RangeError("child broke") // CHILD-THROWS
  }))

describe("errors keep their story", () => {
  it("a step that throws: its stack names this file and line, in describe and in the history; the cause is kept", async () => {
    const runner = createTestRunner({ functions: [charge] })
    const execution = await runner.run("charge")
    assert.strictEqual(execution.status, "FAILED")
    const where = `${here}:${lineOf("THROWS-HERE")}:`

    const view = await runner.engine((e) => e.describe(execution.executionId))
    const op = view.operations.find((o) => o.name === "capture")!
    assert.strictEqual(op.error?.errorMessage, "card declined")
    assert.include(op.error?.stackTrace?.[0] ?? "", where, "the first frame is the throwing line")
    assert.isTrue(op.error!.stackTrace!.every((frame) => !frame.includes("/src/")), "Reprise's own frames are trimmed")
    assert.deepStrictEqual(op.error?.causes?.map((c) => [c.errorType, c.errorMessage]), [["TypeError", "gateway said 402"]])
    assert.include(op.error?.causes?.[0]?.stackTrace?.[0] ?? "", `${here}:${lineOf("THROWS-HERE")}:`)

    // The execution fails with the StepError; its cause chain leads to the step's error and its line.
    assert.strictEqual(view.error?.errorType, "StepError")
    assert.deepStrictEqual(view.error?.causes?.map((c) => c.errorType), ["Error", "TypeError"])
    assert.include(view.error?.causes?.[0]?.stackTrace?.[0] ?? "", where)

    const history = await runner.engine((e) => e.history(execution.executionId))
    const failed = history.find((e) => e._tag === "StepFailed")
    assert.include(failed?._tag === "StepFailed" ? failed.error.stackTrace?.[0] : "", where)
    await runner.dispose()
  })

  it("a child context that throws records where", async () => {
    const runner = createTestRunner({ functions: [inChild] })
    const execution = await runner.run("in-child")
    const op = execution.operations.find((o) => o.name === "group")!
    const failed = execution.history.find((e) => e._tag === "ContextFailed")
    assert.strictEqual(op.status, "FAILED")
    assert.include(failed?._tag === "ContextFailed" ? failed.error.stackTrace?.[0] : "", `${here}:${lineOf("CHILD-THROWS")}:`)
    assert.include(execution.error?.causes?.[0]?.stackTrace?.[0] ?? "", `${here}:${lineOf("CHILD-THROWS")}:`)
    await runner.dispose()
  })

  it("keeps stacks within the size limit, and drops frames that are not the user's", () => {
    const long = ["Error: x", ...Array.from({ length: 200 }, (_, i) => `    at fn${i} (/app/user-${"x".repeat(100)}.ts:${i}:1)`)].join("\n")
    const frames = userFrames(long)!
    assert.isAtMost(frames.join("").length, MAX_STACK_CHARS)
    assert.isAbove(frames.length, 0)
    assert.deepStrictEqual(userFrames("Error: y\n    at a (node:internal/process/task_queues:95:5)\n    at b (/app/node_modules/x/index.js:1:1)\n    at c (/app/mine.ts:3:4)"), [
      "at c (/app/mine.ts:3:4)"
    ])
    const deep = toErrorRecord(new Error("a", { cause: new Error("b", { cause: new Error("c", { cause: "d" }) }) }))
    assert.deepStrictEqual(deep.causes?.map((c) => c.errorMessage), ["b", "c", "d"])
  })

  it("keeps no frame that names no place in a file: builtins, Node's modules, a message's lines that read as frames", async () => {
    assert.deepStrictEqual(
      userFrames("Error: y\n    at Array.map (<anonymous>)\n    at async Promise.all (index 0)\n    at AsyncResource.runInAsyncScope (node:async_hooks:227:14)\n    at node:events:10:2\n    at c (/app/mine.ts:3:4)"),
      ["at c (/app/mine.ts:3:4)"]
    )
    // A SchemaError's message holds `at ["orderId"]`: the stack repeats the message first, and that line is no frame.
    const schemaLike = new Error("Expected string\n  at [\"orderId\"]")
    schemaLike.stack = `Error: Expected string\n  at ["orderId"]\n    at decode (/app/node_modules/effect/schema.js:1:2)`
    assert.isUndefined(toErrorRecord(schemaLike).stackTrace)
    // A result JSON cannot write: the failure happens in Reprise, under Node's async_hooks, not at a line of the user's.
    const circular = durable("circular-result", async () => {
      const value: Record<string, unknown> = {}
      value.self = value
      return value
    })
    const runner = createTestRunner({ functions: [circular] })
    const execution = await runner.run("circular-result")
    assert.strictEqual(execution.error?.errorType, "SerdesFailedError")
    assert.isUndefined(execution.error?.stackTrace, JSON.stringify(execution.error?.stackTrace))
    await runner.dispose()
  })

  it("a long cause chain keeps its nearest causes and its root; a cycle ends the chain", () => {
    let chain: Error = new Error("c0 (the root)")
    for (let i = 1; i <= 7; i++) chain = new Error(`c${i}`, { cause: chain })
    const long = toErrorRecord(chain)
    assert.strictEqual(long.causes?.length, MAX_CAUSES)
    assert.deepStrictEqual(long.causes?.map((c) => [c.errorType, c.errorMessage]), [
      ["Error", "c6"],
      ["Error", "c5"],
      ["OmittedCauses", "4 more causes are not kept"],
      ["Error", "c0 (the root)"]
    ])
    // A chain read back from the log holds its own OmittedCauses entry: the new one counts what that one left out.
    const recorded = new RecordedError(long)
    const wrapped = toErrorRecord(new Error("outer", { cause: new Error("middle", { cause: recorded }) }))
    assert.deepStrictEqual(wrapped.causes?.map((c) => [c.errorType, c.errorMessage]), [
      ["Error", "middle"],
      ["Error", "c7"],
      ["OmittedCauses", "6 more causes are not kept"], // c6, c5 and the four the record left out
      ["Error", "c0 (the root)"]
    ])
    const a = new Error("a")
    const b = new Error("b", { cause: a })
    Object.assign(a, { cause: b })
    assert.deepStrictEqual(toErrorRecord(a).causes?.map((c) => c.errorMessage), ["b"])
  })

  it("bounds what a thrown error's type and message keep (a 5 MB message is stored as 32 KiB)", async () => {
    const huge = durable("huge-error", async (_input: unknown, ctx) => {
      await ctx.step("explode", async () => {
        throw new Error("m".repeat(5_000_000))
      }, { retryStrategy: retryPresets.noRetry })
    })
    const runner = createTestRunner({ functions: [huge] })
    const execution = await runner.run("huge-error")
    assert.strictEqual(execution.status, "FAILED")
    const failed = execution.history.find((e) => e._tag === "StepFailed")
    const message = failed?._tag === "StepFailed" ? failed.error.errorMessage : ""
    assert.strictEqual(message, `${"m".repeat(MAX_MESSAGE_CHARS)}… (${5_000_000 - MAX_MESSAGE_CHARS} more characters)`)
    assert.isBelow(JSON.stringify(execution.history).length, 4 * MAX_MESSAGE_CHARS + 20_000, "the step's failure, the StepError and the execution's")
    await runner.dispose()
    const named = Object.assign(new Error("m"), { name: "N".repeat(300_000) })
    assert.strictEqual(toErrorRecord(named).errorType.length, MAX_TYPE_CHARS + "… (299744 more characters)".length)
    // Not inside a surrogate pair: the cut keeps whole characters.
    const emoji = toErrorRecord(new Error("a" + "😀".repeat(MAX_MESSAGE_CHARS))).errorMessage
    assert.isTrue(emoji.startsWith("a"))
    assert.isFalse(/[\ud800-\udbff]…/.test(emoji))
  })

  it("a thrown value whose properties throw when read is still recorded as the step's failure, caught as a StepError", async () => {
    const caught: Array<string> = []
    const hostile = durable("hostile-error", async (_input: unknown, ctx) => {
      const make = () => {
        const e = new Error("x")
        Object.defineProperty(e, "message", { get: () => { throw new Error("message boom") } })
        Object.defineProperty(e, "cause", { get: () => { throw new Error("cause boom") } })
        return e
      }
      const trap = new Proxy({}, { get: () => { throw new Error("proxy boom") }, ownKeys: () => { throw new Error("keys boom") } })
      const loop: Record<string, unknown> = { code: 42 }
      loop.self = loop
      for (const [name, thrown] of [["message", make()], ["proxy", trap], ["loop", loop]] as const) {
        try {
          await ctx.step(name, async () => {
            throw thrown
          }, { retryStrategy: retryPresets.noRetry })
        } catch (error) {
          caught.push(`${(error as Error).name}: ${(error as Error).message}`)
        }
      }
      return "done"
    })
    const runner = createTestRunner({ functions: [hostile] })
    const execution = await runner.run("hostile-error")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    const failures = execution.history.flatMap((e) => (e._tag === "StepFailed" ? [[e.name, e.error.errorType, e.error.errorMessage]] : []))
    assert.deepStrictEqual(failures, [
      ["message", "Error", ""],
      ["proxy", "Error", "(a value that cannot be shown)"],
      ["loop", "Error", `{"code":42,"self":"[Circular]"}`]
    ])
    // An empty message reads "Step failed", as AWS's SDK revives one.
    assert.deepStrictEqual(caught, ["StepError: Step failed", "StepError: (a value that cannot be shown)", `StepError: {"code":42,"self":"[Circular]"}`])
    await runner.dispose()
  })

  it("under the default retry strategy too, and for a Proxy whose prototype cannot be read, thrown anywhere or logged", async () => {
    const unreadable = () => new Proxy(new Error("x"), { getPrototypeOf: () => { throw new Error("proto boom") } })
    const messageless = () => Object.defineProperty(new Error("x"), "message", { get: () => { throw new Error("message boom") } })
    const caught: Array<string> = []
    const defaults = durable("hostile-defaults", async (_input: unknown, ctx) => {
      for (const [name, make] of [["message", messageless], ["proto", unreadable]] as const) {
        try {
          await ctx.step(name, async () => {
            throw make()
          })
        } catch (error) {
          caught.push((error as Error).name)
        }
      }
      ctx.logger.error(unreadable())
      throw unreadable()
    })
    const runner = createTestRunner({ functions: [defaults] })
    const silence = console.error
    console.error = () => undefined // the logger's line for the Proxy
    try {
      const execution = await runner.run("hostile-defaults")
      assert.strictEqual(execution.status, "FAILED")
      assert.deepStrictEqual(caught, ["StepError", "StepError"])
      // The default strategy retried each (6 attempts), each attempt recorded.
      const failures = execution.history.filter((e) => e._tag === "StepFailed")
      assert.strictEqual(failures.length, 12)
      assert.strictEqual(execution.error?.errorType, "Error")
    } finally {
      console.error = silence
      await runner.dispose()
    }
  })

  it("an AggregateError keeps its inner errors in its story, before its cause", () => {
    const record = toErrorRecord(new AggregateError([new Error("a1"), new TypeError("a2")], "many failed", { cause: new RangeError("under") }))
    assert.strictEqual(record.errorMessage, "many failed")
    assert.deepStrictEqual(record.causes?.map((c) => [c.errorType, c.errorMessage]), [
      ["Error", "[errors[0]] a1"],
      ["TypeError", "[errors[1]] a2"],
      ["RangeError", "under"]
    ])
    const many = toErrorRecord(new AggregateError(Array.from({ length: 20 }, (_, i) => new Error(`e${i}`)), "twenty"))
    assert.deepStrictEqual(many.causes?.map((c) => c.errorMessage), ["[errors[0]] e0", "[errors[1]] e1", "[errors[2]] e2", "17 more causes are not kept (inner errors)"])
    // With a cause too, the chain is trimmed as any long chain is: the nearest, a count, the root.
    const withCause = toErrorRecord(new AggregateError(Array.from({ length: 20 }, (_, i) => new Error(`e${i}`)), "twenty", { cause: new Error("root") }))
    assert.deepStrictEqual(withCause.causes?.map((c) => c.errorMessage), ["[errors[0]] e0", "[errors[1]] e1", "18 more causes are not kept", "root"])
  })

  it("an error written before stacks were kept still decodes", () => {
    const old = Schema.decodeUnknownSync(ErrorObject)({ errorType: "Error", errorMessage: "m" })
    assert.deepStrictEqual(old, { errorType: "Error", errorMessage: "m" })
  })
})
