/**
 * The fast event check (event-check.ts) never says yes where the LogEvent schema would refuse an event or encode it
 * to something else: over a real log (steps, retries, a wait, a callback, a child context, a map, a stop with an
 * error) and random mutations of its events (keys removed or added, values replaced by edge cases). It does say yes
 * to the valid events themselves, so that writes take the fast path.
 */
import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import fc from "fast-check"
import { durable } from "../../src/index.ts"
import { compileTaggedUnionCheck } from "../../src/log/event-check.ts"
import { LogEvent } from "../../src/log/events.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const encode = Schema.encodeUnknownExit(LogEvent)
const fast = compileTaggedUnionCheck(LogEvent.ast)

const busy = durable("busy", async (input: { n: number }, ctx) => {
  let tries = 0
  const charged = await ctx.step("charge", async () => {
    if (++tries < 2) throw new Error("declined")
    return { id: `ch-${input.n}`, amount: input.n * 100 }
  }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 1 } }) })
  await ctx.wait("cool-off", { minutes: 5 })
  const answer = await ctx.waitForCallback("approve", async () => undefined, { timeout: { hours: 1 } })
  const items = await ctx.map("items", [1, 2, 3], async (child, item) => child.step(`item-${item}`, async () => item * 2))
  const inner = await ctx.runInChildContext("inner", async (child) => child.step("deep", async () => "ok"))
  await ctx.step("fails", async () => {
    throw new TypeError("no")
  }, { retryStrategy: () => ({ shouldRetry: false }) }).catch(() => undefined)
  return { charged, answer, items: items.getResults(), inner }
})

const realEvents = async (): Promise<ReadonlyArray<Record<string, unknown>>> => {
  const runner = createTestRunner({ functions: [busy] })
  try {
    const execution = await runner.run("busy", { n: 3 }, { callbacks: { approve: () => ({ succeed: "\"yes\"" }) } })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    return execution.history as unknown as ReadonlyArray<Record<string, unknown>>
  } finally {
    await runner.dispose()
  }
}

/** Whether the fast check agrees with the schema where it says yes: the schema encodes the event to an equal object. */
const agrees = (event: unknown): boolean => {
  if (!fast(event)) return true // "ask the schema" is always allowed
  const exit = encode(event)
  if (!Exit.isSuccess(exit)) return false
  assert.deepStrictEqual(exit.value, event)
  return true
}

const EDGES: ReadonlyArray<unknown> = [undefined, null, Number.NaN, Infinity, -Infinity, -1, 0, 1.5, 2 ** 53, "", "x".repeat(65), "x", [], {}, [1], true, { errorType: "E", errorMessage: 1 }]

describe("the fast event check", () => {
  it("passes every event of a real log, exactly as the schema encodes it", async () => {
    const events = await realEvents()
    assert.isAtLeast(new Set(events.map((event) => event["_tag"])).size, 10)
    for (const event of events) {
      assert.isTrue(fast(event), JSON.stringify(event))
      assert.isTrue(agrees(event))
    }
  })

  it("never passes a mutated event that the schema refuses or would encode differently", async () => {
    const events = await realEvents()
    const keys = [...new Set(events.flatMap((event) => Object.keys(event))), "extra", "error", "queue", "parent"]
    fc.assert(
      fc.property(
        fc.constantFrom(...events),
        fc.array(fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.constant("delete"), fc.constantFrom(...EDGES), fc.anything())), { minLength: 1, maxLength: 3 }),
        (event, edits) => {
          const mutated: Record<string, unknown> = structuredClone(event)
          for (const [key, value] of edits) {
            if (value === "delete") delete mutated[key]
            else mutated[key] = value
          }
          return agrees(mutated)
        }
      ),
      { seed: 13, numRuns: 3000 }
    )
  })
})
