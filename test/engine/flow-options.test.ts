/** Flow control that cannot work is refused when the function is declared (src/engine/flow-options.ts). */
import { assert, describe, it } from "@effect/vitest"
import { durable, FlowConfigError } from "../../src/index.ts"

describe("flow options", () => {
  it("bad configuration is refused when the function is declared, with a FlowConfigError", () => {
    const handler = async () => undefined
    const refused = (options: object) => {
      try {
        durable("bad", handler, options as never)
      } catch (error) {
        assert.instanceOf(error, FlowConfigError)
        return (error as Error).message
      }
      return assert.fail("not refused")
    }
    assert.match(refused({ concurrency: 0 }), /concurrency must be a positive integer/)
    assert.match(refused({ concurrency: { limit: 2.5 } }), /concurrency/)
    assert.match(refused({ rateLimit: { limit: -1, period: { seconds: 1 } } }), /rateLimit.limit/)
    assert.match(refused({ rateLimit: { limit: 5, period: { seconds: -1 } } }), /rateLimit.period/)
    assert.match(refused({ rateLimit: { limit: 5, period: "1s" } }), /rateLimit.period/)
    assert.match(refused({ rateLimit: { limit: 5, period: { seconds: 1 }, whenLimited: "drop" } }), /whenLimited/)
    assert.match(refused({ debounce: { period: { seconds: 0 } } }), /debounce.period/)
    assert.match(refused({ concurrency: { limit: 1, key: "customer" } }), /concurrency.key must be a function/)
    assert.match(refused({ priority: 3 }), /priority must be a function/)
    // The value as written, not as JSON shows it (Infinity and NaN read "null"), and the shape a bare number misses.
    assert.match(refused({ concurrency: Infinity }), /got Infinity$/)
    assert.match(refused({ concurrency: { limit: NaN } }), /got NaN$/)
    assert.match(refused({ rateLimit: 5 }), /rateLimit must be \{ limit, period, key\?, whenLimited\? \}, got 5$/)
    // Values JSON cannot write (a BigInt, a cycle) are shown too, not a TypeError from JSON.stringify.
    assert.match(refused({ concurrency: 5n }), /got 5n$/)
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    assert.match(refused({ rateLimit: { limit: cyclic, period: { seconds: 1 } } }), /rateLimit.limit must be a positive integer, got /)
  })
})
