/**
 * Effect's own logging in a reprise/effect function goes through the execution's replay-aware logger: each line once
 * however often the function replays, as the default `ctx.logger` writes it (JSON with the execution's id, a step's
 * operation and attempt), with the failure a line was logged with.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"
import * as Durable from "../../src/effect/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

let lines: Array<Record<string, any>>
beforeEach(() => {
  lines = []
  const keep = (...args: Array<unknown>) => {
    try {
      lines.push(JSON.parse(String(args[0])))
    } catch {
      lines.push({ notJson: args.map(String).join(" ") }) // Effect's console logger's lines
    }
  }
  vi.spyOn(console, "log").mockImplementation(keep)
  vi.spyOn(console, "error").mockImplementation(keep)
})
afterEach(() => {
  vi.restoreAllMocks()
})

describe("reprise/effect: Effect.log in a durable function", () => {
  it("writes each line once across replays, as ctx.logger does: the execution's id, a step's operation, the failure", async () => {
    const fn = Durable.make("logs-with-effect", () =>
      Effect.gen(function*() {
        yield* Effect.logInfo("before the wait")
        yield* Durable.step("charge", Effect.logWarning("charging", { order: "o-1" }))
        yield* Durable.waitForCallback("approval", (callbackId) => Effect.logInfo("asking", callbackId.length > 0))
        yield* Durable.wait("pause", { seconds: 5 })
        yield* Effect.fail(new TypeError("card expired")).pipe(Effect.tapCause((cause) => Effect.logError("charge gave up", cause)), Effect.ignore)
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("logs-with-effect", undefined, { executionId: "e-1" })
    await execution.sendCallbackSuccess("approval", "yes")
    await (await execution.evict()).settle() // the replay runs the code before the wait again
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    await runner.dispose()

    assert.deepStrictEqual(lines.map((l) => l.level), ["INFO", "WARN", "INFO", "ERROR"], "each line once, though the code before the wait ran twice")
    assert.isTrue(lines.every((l) => l.executionId === "e-1"))
    const [before, step, submitter, error] = lines
    assert.deepStrictEqual([submitter?.message, submitter?.operationId, submitter?.attempt], ["asking true", "2-2", 1], "the submitter's step")
    assert.strictEqual(before?.message, "before the wait")
    assert.deepStrictEqual([step?.message, step?.operationId, step?.operationName, step?.attempt], ["charging {\"order\":\"o-1\"}", "1", "charge", 1])
    assert.deepStrictEqual([error?.errorType, error?.errorMessage], ["TypeError", "card expired"])
    assert.match(error?.message, /^charge gave up TypeError: card expired/)
  })
})
