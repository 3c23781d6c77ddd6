/**
 * `ctx.emit(topic, value)`: progress from user code to whoever watches the execution (docs/observability.md). An
 * emission is recorded in the log as a STEP of subtype `Emit` (its name is the topic, its result the value as JSON),
 * so it takes a positional id like `ctx.now()`: a replay finds it and writes nothing, and a client that streams the
 * emissions (GET /v1/executions/:id/emissions) sees each one once, whatever crashed in between.
 */
import type { LogEvent } from "../log/events.ts"
import type { Begun, ContextCore } from "./context-core.ts"
import { PayloadTooLargeError } from "./errors.ts"

/** The largest emission, in bytes of JSON: emissions stay in the log, so they are kept smaller than results. */
export const MAX_EMISSION_BYTES = 64 * 1024
/** A topic is a short label (it is the operation's name). */
export const MAX_TOPIC_LENGTH = 128

export const EMIT_SUBTYPE = "Emit"

/** One emission as clients see it. */
export interface Emission {
  readonly seq: number
  readonly at: number
  readonly operationId: string
  readonly topic: string
  readonly value: unknown
}

/** A reason the topic is refused, or undefined. */
export const invalidTopic = (topic: unknown): string | undefined =>
  typeof topic !== "string" || topic.length === 0 || topic.length > MAX_TOPIC_LENGTH
    ? `ctx.emit's topic must be a string of 1 to ${MAX_TOPIC_LENGTH} characters`
    : undefined

/** The value as JSON, checked before anything is written (JSON.stringify's own errors, cycles and BigInts, pass through). */
export const encodeEmission = (topic: string, value: unknown): string => {
  const json = JSON.stringify(value) ?? "null"
  if (json.length * 3 > MAX_EMISSION_BYTES) {
    const bytes = new TextEncoder().encode(json).length
    if (bytes > MAX_EMISSION_BYTES) {
      throw new PayloadTooLargeError(
        `ctx.emit("${topic}") value is ${bytes} bytes once serialised; the limit is ${MAX_EMISSION_BYTES} bytes (64 KiB)`
      )
    }
  }
  return json
}

export const runEmit = async (core: ContextCore, begun: Begun, json: string): Promise<void> => {
  if (begun.recorded !== undefined) return // replay: recorded (and streamed) the first time
  await core.session.append([{ _tag: "StepSucceeded", ...begun.ref, attempt: 1, result: json }])
}

/** The emission an event records, or undefined when it records something else. */
export const emissionOf = (event: LogEvent): Emission | undefined =>
  event._tag === "StepSucceeded" && event.subType === EMIT_SUBTYPE
    ? {
      seq: event.seq,
      at: event.at,
      operationId: event.id,
      topic: event.name ?? "",
      value: event.result === undefined ? null : JSON.parse(event.result)
    }
    : undefined

/** Every emission of a log, in order. */
export const emissionsOf = (events: ReadonlyArray<LogEvent>): ReadonlyArray<Emission> =>
  events.flatMap((event) => {
    const emission = emissionOf(event)
    return emission === undefined ? [] : [emission]
  })
