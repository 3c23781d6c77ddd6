import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { decodeLog, encodeEvents } from "../../src/log/decode-log.ts"
import type { LogEvent } from "../../src/log/events.ts"

const EXECUTION_ID = "exec-42"

const started = {
  _tag: "ExecutionStarted",
  seq: 1,
  at: 1_000,
  executionId: EXECUTION_ID,
  functionName: "order",
  input: "{\"orderId\":\"o-1\"}",
  timeoutAt: 901_000,
  retentionMs: 86_400_000
} as const

const stepRef = { id: "1", name: "charge", type: "STEP", subType: "Step" } as const

const validLog = [
  started,
  { _tag: "StepStarted", seq: 2, at: 1_010, ...stepRef, attempt: 1 },
  { _tag: "StepSucceeded", seq: 3, at: 1_020, ...stepRef, attempt: 1, result: "\"ch-1\"" },
  { _tag: "ExecutionSucceeded", seq: 4, at: 1_030, result: "\"ch-1\"" }
] as const

/** A valid log whose third event is replaced by `bad`. */
const withBadThirdEvent = (bad: unknown): ReadonlyArray<unknown> => [validLog[0], validLog[1], bad, validLog[3]]

const assertCorruptAt = (error: { readonly _tag: string; readonly executionId: string; readonly seq: number; readonly message: string }, seq: number) => {
  assert.strictEqual(error._tag, "LogCorrupted")
  assert.strictEqual(error.executionId, EXECUTION_ID)
  assert.strictEqual(error.seq, seq)
  assert.include(error.message, EXECUTION_ID)
  assert.include(error.message, `seq ${seq}`)
}

describe("decodeLog", () => {
  it.effect("decodes a valid log into its events, in order", () =>
    Effect.gen(function*() {
      const events = yield* decodeLog(EXECUTION_ID, validLog)
      assert.deepStrictEqual(events.map((e) => e._tag), ["ExecutionStarted", "StepStarted", "StepSucceeded", "ExecutionSucceeded"])
      assert.deepStrictEqual(events, validLog)
    }))

  it.effect("fails with LogCorrupted at the event that lacks a required field", () =>
    Effect.gen(function*() {
      const { attempt: _, ...withoutAttempt } = validLog[2]
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, withBadThirdEvent(withoutAttempt)))
      assertCorruptAt(error, 3)
      assert.include(error.reason, "attempt")
    }))

  it.effect("fails with LogCorrupted at the event whose field has the wrong type", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, withBadThirdEvent({ ...validLog[2], attempt: "one" })))
      assertCorruptAt(error, 3)
    }))

  it.effect("fails with LogCorrupted at an event with an unknown _tag", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, withBadThirdEvent({ ...validLog[2], _tag: "StepExploded" })))
      assertCorruptAt(error, 3)
    }))

  it.effect("fails with LogCorrupted at an event that is not an object", () =>
    Effect.gen(function*() {
      for (const bad of [null, 42, "StepSucceeded", [1, 2]]) {
        const error = yield* Effect.flip(decodeLog(EXECUTION_ID, withBadThirdEvent(bad)))
        assertCorruptAt(error, 3)
      }
    }))

  it.effect("fails with LogCorrupted at the first missing seq when the sequence has a gap (1, 2, 4)", () =>
    Effect.gen(function*() {
      const gap = [validLog[0], validLog[1], { ...validLog[2], seq: 4 }]
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, gap))
      assertCorruptAt(error, 3)
      assert.include(error.reason, "found 4")
    }))

  it.effect("fails with LogCorrupted at seq 1 when the log does not start with ExecutionStarted", () =>
    Effect.gen(function*() {
      const headless = [{ ...validLog[1], seq: 1 }, { ...validLog[2], seq: 2 }]
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, headless))
      assertCorruptAt(error, 1)
      assert.include(error.reason, "ExecutionStarted")
    }))

  it.effect("fails with LogCorrupted at seq 1 when the log does not start at seq 1", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, [{ ...started, seq: 2 }]))
      assertCorruptAt(error, 1)
    }))

  it.effect("fails with LogCorrupted at seq 1 when the stored log is empty", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decodeLog(EXECUTION_ID, []))
      assertCorruptAt(error, 1)
      assert.include(error.reason, "ExecutionStarted")
    }))
})

describe("encodeEvents", () => {
  it.effect("passes valid events through in their stored form", () =>
    Effect.gen(function*() {
      const encoded = yield* encodeEvents(EXECUTION_ID, validLog)
      assert.deepStrictEqual(encoded, validLog)
      assert.deepStrictEqual(yield* decodeLog(EXECUTION_ID, encoded), validLog)
    }))

  it.effect("refuses an invalid event, naming the execution and the event's seq", () =>
    Effect.gen(function*() {
      const invalid = { ...validLog[1], seq: 2, attempt: 1.5 } as unknown as LogEvent
      const error = yield* Effect.flip(encodeEvents(EXECUTION_ID, [validLog[0], invalid]))
      assertCorruptAt(error, 2)
      assert.include(error.reason, "refusing to write")
    }))

  it.effect("refuses an event with a field of the wrong type", () =>
    Effect.gen(function*() {
      const invalid = { ...started, executionId: 7 } as unknown as LogEvent
      const error = yield* Effect.flip(encodeEvents(EXECUTION_ID, [invalid]))
      assertCorruptAt(error, 1)
    }))
})
