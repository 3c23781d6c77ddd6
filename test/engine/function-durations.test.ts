/**
 * A function's executionTimeout and retention are checked by `durable()`: a bad one is an InvalidDurationError
 * there, naming the function, rather than a 500 at its first start (or a timeout cut short without a word).
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type Duration, InvalidDurationError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const define = (options: { executionTimeout?: Duration; retention?: Duration }) => () => durable("billing", async () => "ok", options)

const refused = (options: { executionTimeout?: Duration; retention?: Duration }, message: RegExp) => {
  assert.throws(define(options), InvalidDurationError, message)
}

describe("durable(): executionTimeout and retention", () => {
  it("refuses an executionTimeout outside 1 second … 366 days", () => {
    refused({ executionTimeout: { seconds: 0 } }, /executionTimeout of durable function billing must be between 1 second and 366 days, got 0 seconds/)
    refused({ executionTimeout: { seconds: 0.5 } }, /got 0.5 seconds/)
    refused({ executionTimeout: { days: 400 } }, /got 400 days/)
    refused({ executionTimeout: { hours: -1 } }, /executionTimeout of durable function billing\.hours must be a non-negative finite number/)
  })

  it("refuses a retention that is not a Duration", () => {
    refused({ retention: { days: -1 } }, /retention of durable function billing\.days must be a non-negative finite number, got -1/)
    refused({ retention: "14 days" as unknown as Duration }, /retention of durable function billing must be a Duration object/)
    refused({ retention: {} as Duration }, /must set at least one of days, hours, minutes, seconds/)
  })

  it("takes the bounds themselves, and a retention of 0", async () => {
    define({ executionTimeout: { seconds: 1 } })()
    define({ retention: { seconds: 0 } })()
    const runner = createTestRunner({ functions: [durable("yearly", async () => "ok", { executionTimeout: { days: 366 } })] })
    const execution = await runner.run("yearly")
    assert.strictEqual(execution.status, "SUCCEEDED")
    await runner.dispose()
  })
})
