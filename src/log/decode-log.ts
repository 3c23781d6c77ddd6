/**
 * Reading a stored log back: every event is validated against the schema, and the sequence must start with
 * ExecutionStarted at seq 1 and have no gaps. Anything else is a typed LogCorrupted naming the execution and seq.
 */
import { Cause, Effect, Exit, Schema } from "effect"
import { compileTaggedUnionCheck } from "./event-check.ts"
import { LogEvent } from "./events.ts"
import { LogCorrupted } from "./log-corrupted.ts"

const decodeEvent = Schema.decodeUnknownExit(LogEvent)
const encodeEvent = Schema.encodeUnknownExit(LogEvent)
/** The schema's verdict without its machinery, for the events that pass it (event-check.ts). */
const isPlainValidEvent = compileTaggedUnionCheck(LogEvent.ast)

/** The schema's own explanation (which key, which expected type), not a dump of the Cause. */
const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error.message : String(error)
}

export const decodeLog = (
  executionId: string,
  raw: ReadonlyArray<unknown>
): Effect.Effect<ReadonlyArray<LogEvent>, LogCorrupted> =>
  Effect.suspend(() => {
    // A stored log with no events cannot be folded; report it here rather than as a defect in foldLog.
    if (raw.length === 0) {
      return Effect.fail(new LogCorrupted({ executionId, seq: 1, reason: "the log is empty; it must start with ExecutionStarted" }))
    }
    return decodeLogPage(executionId, raw, 1)
  })

/** A run of a stored log that starts at `firstSeq`, validated as decodeLog does (an empty run is valid). */
export const decodeLogPage = (
  executionId: string,
  raw: ReadonlyArray<unknown>,
  firstSeq: number
): Effect.Effect<ReadonlyArray<LogEvent>, LogCorrupted> =>
  Effect.suspend(() => {
    const events: Array<LogEvent> = new Array(raw.length)
    for (let i = 0; i < raw.length; i++) {
      const expected = firstSeq + i
      const exit = decodeEvent(raw[i])
      if (Exit.isFailure(exit)) {
        return Effect.fail(new LogCorrupted({ executionId, seq: expected, reason: `invalid event: ${describeFailure(exit.cause)}` }))
      }
      const event = exit.value
      if (event.seq !== expected) {
        return Effect.fail(new LogCorrupted({ executionId, seq: expected, reason: `expected seq ${expected}, found ${event.seq} (truncated or reordered log)` }))
      }
      if (expected === 1 && event._tag !== "ExecutionStarted") {
        return Effect.fail(new LogCorrupted({ executionId, seq: 1, reason: `the log must start with ExecutionStarted, found ${event._tag}` }))
      }
      events[i] = event
    }
    return Effect.succeed(events)
  })

/** Validates events on their way into a store; the encoded form is what stores keep. */
export const encodeEvents = (
  executionId: string,
  events: ReadonlyArray<LogEvent>
): Effect.Effect<ReadonlyArray<unknown>, LogCorrupted> =>
  Effect.suspend(() => {
    const out: Array<unknown> = new Array(events.length)
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      // A valid event with no key the schema does not know is its own encoded form (the schema has no transformations).
      if (isPlainValidEvent(event)) {
        out[i] = event
        continue
      }
      const exit = encodeEvent(event)
      if (Exit.isFailure(exit)) {
        return Effect.fail(new LogCorrupted({ executionId, seq: event.seq, reason: `refusing to write an invalid event: ${describeFailure(exit.cause)}` }))
      }
      out[i] = exit.value
    }
    return Effect.succeed(out)
  })
