/** `durable()` takes only the options it knows: a misspelled one is refused where it is written, not dropped. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { durable, type DurableFunctionOptions } from "../../src/index.ts"
import { make } from "../../src/effect/durable-effect.ts"

const handler = async () => "ok"

describe("durable(): option names", () => {
  it("refuses a misspelled option, naming it and the options there are", () => {
    const misspelled = { concurency: 5 } as DurableFunctionOptions
    assert.throws(
      () => durable("billing", handler, misspelled),
      TypeError,
      /^Durable function billing has no option "concurency"; its options are description, executionTimeout, retention, version, concurrency, rateLimit, priority, debounce$/
    )
    assert.throws(() => durable("billing", handler, { timeout: 1, retries: 2 } as DurableFunctionOptions), /has no option "timeout" or "retries"/)
  })

  it("refuses options that are not an object", () => {
    assert.throws(() => durable("billing", handler, null as unknown as DurableFunctionOptions), /options of durable function billing must be an object; got null/)
    assert.throws(() => durable("billing", handler, "fast" as unknown as DurableFunctionOptions), /must be an object; got string/)
  })

  it("takes every option it documents", () => {
    const fn = durable("billing", handler, {
      description: "Bills",
      executionTimeout: { hours: 1 },
      retention: { days: 1 },
      version: "v1",
      concurrency: 2,
      rateLimit: { limit: 10, period: { seconds: 1 } },
      priority: () => 0,
      debounce: { period: { seconds: 1 } }
    })
    assert.strictEqual(fn.options.version, "v1")
    assert.strictEqual(fn.flow?.concurrency?.limit, 2)
  })

  it("reprise/effect's own option (the error's Schema) passes, and a misspelled one is refused there too", () => {
    class Declined extends Schema.TaggedError<Declined>()("Declined", {}) {}
    const fn = make("effect-billing", () => Effect.succeed("ok"), { error: Declined, version: "v2" })
    assert.strictEqual(fn.options.version, "v2")
    assert.notProperty(fn.options, "error")
    assert.throws(() => make("effect-billing", () => Effect.succeed("ok"), { versoin: "v2" } as never), /has no option "versoin"/)
  })
})
