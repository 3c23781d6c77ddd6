/** What a start request must satisfy, the first event of a new execution, and a repeated start's answer. */
import { Effect } from "effect"
import { durationToMillis } from "../context/duration.ts"
import type { LogEvent } from "../log/events.ts"
import { formatTraceparent, parseTraceparent } from "../log/trace-ids.ts"
import { ExecutionAlreadyExists, InvalidRequest } from "./engine-errors.ts"
import type { StartRequest } from "./execution-client.ts"
import type { DurableFunction } from "./registry.ts"
import { DEFAULT_RETENTION_MS, MAX_EXECUTION_TIMEOUT_MS } from "./function-durations.ts"
import { sameJson } from "./same-json.ts"

/**
 * Execution ids appear in URLs and storage keys. '~' is the engine's own, for the runs of `ctx.continueAsNew`
 * (`<id>~2`); clients' ids cannot have it (the HTTP API's ExecutionName).
 */
const EXECUTION_ID = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,239}$/

/** The input as JSON, within the payload limit, and an execution id (if given) that fits URLs and keys. */
export const checkedInput = (request: StartRequest, maxPayloadBytes: number): Effect.Effect<string | undefined, InvalidRequest> =>
  Effect.suspend(() => {
    let input = request.inputPayload
    if (input === undefined && request.input !== undefined) {
      try {
        input = JSON.stringify(request.input)
      } catch (error) {
        return Effect.fail(new InvalidRequest({ reason: `The input is not serialisable as JSON: ${(error as Error).message}` }))
      }
    }
    // The byte count only when the characters alone could be over it (a character is at most 3 UTF-8 bytes).
    if (input !== undefined && input.length * 3 > maxPayloadBytes && new TextEncoder().encode(input).length > maxPayloadBytes) {
      return Effect.fail(new InvalidRequest({ reason: `The input is over the ${maxPayloadBytes}-byte payload limit`, payloadTooLarge: true }))
    }
    if (request.executionId !== undefined && !EXECUTION_ID.test(request.executionId)) {
      return Effect.fail(new InvalidRequest({
        reason: `An execution id must be 1-240 letters, digits, '.', '_', ':', '~' or '-', starting with a letter or digit; got ${JSON.stringify(request.executionId.slice(0, 210))}`
      }))
    }
    return Effect.succeed(input)
  })

/** The ExecutionStarted of a new execution: its timeout and retention from the function's options. */
export const startedEvent = (
  fn: DurableFunction,
  executionId: string,
  input: string | undefined,
  now: number,
  request: Pick<StartRequest, "parent" | "traceparent" | "continuedFrom">
): Extract<LogEvent, { _tag: "ExecutionStarted" }> => {
  const parent = request.parent
  const trace = parseTraceparent(request.traceparent)
  const timeoutMs = fn.options.executionTimeout === undefined
    ? MAX_EXECUTION_TIMEOUT_MS
    : Math.min(durationToMillis(fn.options.executionTimeout, "executionTimeout"), MAX_EXECUTION_TIMEOUT_MS) // durable() refuses more
  const retentionMs = fn.options.retention === undefined ? DEFAULT_RETENTION_MS : durationToMillis(fn.options.retention, "retention")
  return {
    _tag: "ExecutionStarted",
    seq: 1,
    at: now,
    executionId,
    functionName: fn.name,
    ...(input === undefined ? {} : { input }),
    timeoutAt: now + timeoutMs,
    retentionMs,
    ...(parent === undefined ? {} : { parent }),
    ...(fn.options.version === undefined ? {} : { version: fn.options.version }),
    ...(trace === undefined ? {} : { traceparent: formatTraceparent(trace.traceId, trace.spanId, trace.sampled) }),
    ...(request.continuedFrom === undefined ? {} : { continuedFrom: request.continuedFrom })
  }
}

/** A start of an id that exists: the same execution again, or a conflict naming what differs. */
export const sameExecution = (first: LogEvent, functionName: string, input: string | undefined, executionId: string) =>
  Effect.gen(function*() {
    if (first._tag !== "ExecutionStarted") return yield* Effect.die(new Error("unreachable: a log starts with ExecutionStarted"))
    if (first.functionName !== functionName) {
      return yield* new ExecutionAlreadyExists({
        executionId,
        reason: `as an execution of ${JSON.stringify(first.functionName)}`,
        otherFunction: first.functionName
      })
    }
    if (!sameJson(first.input, input)) return yield* new ExecutionAlreadyExists({ executionId, reason: "with a different input" })
    return { executionId, created: false }
  })
