/**
 * Property tests of the log decoder (issue 19): random, truncated and mutated stored logs give the events or a typed
 * LogCorrupted, never a defect, a throw or a hang. The valid logs mutated here come from real executions (steps,
 * retries, a wait, a callback, a child context, a map), in their stored (encoded) form.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import fc from "fast-check"
import { durable } from "../../src/index.ts"
import { decodeLog, encodeEvents } from "../../src/log/decode-log.ts"
import { LogCorrupted } from "../../src/log/log-corrupted.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const SEED = 19
const RUNS = 400

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
  return { charged, answer, items: items.getResults(), inner }
})

/** The stored form of a real log: JSON text per event, as the SQLite store keeps it. */
const storedLog = async (): Promise<Array<string>> => {
  const runner = createTestRunner({ functions: [busy] })
  try {
    const execution = await runner.run("busy", { n: 3 }, { callbacks: { approve: () => ({ succeed: "\"yes\"" }) } })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    const encoded = await Effect.runPromise(encodeEvents(execution.executionId, execution.history))
    return encoded.map((event) => JSON.stringify(event))
  } finally {
    await runner.dispose()
  }
}

/** Decodes, and fails the property on anything but events or a LogCorrupted (a defect, an interruption, a throw). */
const decodesOrCorrupt = (raw: ReadonlyArray<unknown>): "ok" | "corrupt" => {
  const exit = Effect.runSyncExit(decodeLog("prop-1", raw))
  if (Exit.isSuccess(exit)) return "ok"
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "Some" && error.value instanceof LogCorrupted && !Cause.hasDies(exit.cause)) return "corrupt"
  throw new Error(`not a typed error: ${Cause.pretty(exit.cause)}`)
}

/** JSON.parse as the SQLite store does it, then decode: a text that is no JSON is corrupt too. */
const fromText = (texts: ReadonlyArray<string>): "ok" | "corrupt" => {
  const raw: Array<unknown> = []
  for (const text of texts) {
    try {
      raw.push(JSON.parse(text))
    } catch {
      return "corrupt"
    }
  }
  return decodesOrCorrupt(raw)
}

/** Replaces the value at a random path of a JSON value. */
const mutate = (value: unknown, path: ReadonlyArray<number>, replacement: unknown): unknown => {
  if (path.length === 0 || value === null || typeof value !== "object") return replacement
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
  if (entries.length === 0) return replacement
  const [key, child] = entries[path[0]! % entries.length]!
  const copy: Record<string, unknown> | Array<unknown> = Array.isArray(value) ? [...value] : { ...value }
  ;(copy as Record<string, unknown>)[key] = mutate(child, path.slice(1), replacement)
  return copy
}

describe("the log decoder, on random and damaged input", () => {
  it("gives events or LogCorrupted for any JSON values", () => {
    fc.assert(fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }), (raw) => void decodesOrCorrupt(raw)), { seed: SEED, numRuns: RUNS })
    fc.assert(fc.property(fc.array(fc.anything({ maxDepth: 3 }), { maxLength: 8 }), (raw) => void decodesOrCorrupt(raw)), { seed: SEED, numRuns: RUNS })
  })

  it("reads a real log back, and calls every truncation of it corrupt or a valid prefix", async () => {
    const texts = await storedLog()
    assert.isAbove(texts.length, 15)
    assert.strictEqual(fromText(texts), "ok")
    fc.assert(fc.property(fc.nat(texts.length - 1), fc.nat(), (index, cut) => {
      const text = texts[index]!
      const truncated = [...texts.slice(0, index), text.slice(0, cut % text.length)]
      assert.strictEqual(fromText(truncated), "corrupt", "a cut event is no JSON, or not a whole event")
      // A log cut between events is a valid prefix (the decoder checks the sequence, not that the log has ended).
      assert.strictEqual(fromText(texts.slice(0, index + 1)), "ok")
    }), { seed: SEED, numRuns: RUNS })
  })

  it("gives events or LogCorrupted for a real log with a value, an event or a byte changed", async () => {
    const texts = await storedLog()
    const events = texts.map((text) => JSON.parse(text) as unknown)
    fc.assert(fc.property(fc.nat(events.length - 1), fc.array(fc.nat(), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), (index, path, replacement) => {
      const changed = events.map((event, i) => (i === index ? mutate(event, path, replacement) : event))
      decodesOrCorrupt(changed)
    }), { seed: SEED, numRuns: RUNS })
    fc.assert(fc.property(fc.nat(events.length - 1), fc.nat(events.length - 1), (a, b) => {
      const swapped = [...events]
      ;[swapped[a], swapped[b]] = [swapped[b], swapped[a]]
      assert.strictEqual(decodesOrCorrupt(swapped), a === b ? "ok" : "corrupt", "events out of order")
      assert.strictEqual(decodesOrCorrupt(events.filter((_, i) => i !== a)), a === events.length - 1 ? "ok" : "corrupt", "a gap")
    }), { seed: SEED, numRuns: RUNS })
    fc.assert(fc.property(fc.nat(texts.length - 1), fc.nat(), fc.integer({ min: 0, max: 0x7f }), (index, at, code) => {
      const text = texts[index]!
      const position = at % text.length
      const changed = texts.map((t, i) => (i === index ? t.slice(0, position) + String.fromCharCode(code) + t.slice(position + 1) : t))
      fromText(changed)
    }), { seed: SEED, numRuns: RUNS })
  })
})
