/**
 * Support for the store conformance kit (./conformance.ts): unique ids, builders of valid LogEvents, and
 * expect-style checks that fail with a readable Error. Runtime-neutral: only effect and src/.
 */
import { Data, Effect, Predicate, Result } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionSummary } from "./execution-summary.ts"

/** A failed conformance check. */
export class CheckFailed extends Data.TaggedError("CheckFailed")<{ readonly message: string }> {}

/** Fails with CheckFailed(message) unless `condition` holds. */
export const check = (condition: boolean, message: string): Effect.Effect<void, CheckFailed> =>
  condition ? Effect.void : Effect.fail(new CheckFailed({ message }))

/** JSON with object keys sorted, so that structurally equal values print identically. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    Predicate.isObject(v) ?
      Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) :
      v) ?? "undefined"

const clip = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text)

/** Deep equality of JSON-like values (key order ignored). */
export const checkEqual = (actual: unknown, expected: unknown, what: string): Effect.Effect<void, CheckFailed> =>
  Effect.suspend(() => {
    const a = canonical(actual)
    const e = canonical(expected)
    return a === e ? Effect.void : Effect.fail(new CheckFailed({ message: `${what}: expected ${clip(e)}, got ${clip(a)}` }))
  })

/** Runs `effect`, which must fail with an error tagged `tag`; returns that error. */
export const checkFailsWith = <Tag extends string, A, E>(
  effect: Effect.Effect<A, E>,
  tag: Tag,
  what: string
): Effect.Effect<Extract<E, { readonly _tag: Tag }>, CheckFailed> =>
  Effect.flatMap(Effect.result(effect), (result) => {
    if (Result.isSuccess(result)) {
      return Effect.fail(new CheckFailed({ message: `${what}: expected a ${tag} failure, but it succeeded` }))
    }
    const error: unknown = result.failure
    const found = Predicate.hasProperty(error, "_tag") ? String(error._tag) : String(error)
    return found === tag ?
      Effect.succeed(error as Extract<E, { readonly _tag: Tag }>) :
      Effect.fail(new CheckFailed({ message: `${what}: expected a ${tag} failure, got ${found}: ${String(error)}` }))
  })

// A tag per kit run, so that a persistent store reused across runs never sees an id twice.
const runTag = Math.random().toString(36).slice(2, 8)
let counter = 0
/** A fresh execution id, unique in this process and (with overwhelming likelihood) across runs. */
export const freshId = (label: string): string => `conformance-${runTag}-${label}-${++counter}`

/** Timestamps far from any real clock reading; `t(k)` is k milliseconds after the base. */
export const BASE_TIME = 1_900_000_000_000
export const t = (k: number): number => BASE_TIME + k

export const executionStarted = (
  executionId: string,
  options: { readonly functionName: string; readonly at: number; readonly input?: string }
): LogEvent => ({
  _tag: "ExecutionStarted",
  seq: 1,
  at: options.at,
  executionId,
  functionName: options.functionName,
  ...(options.input === undefined ? {} : { input: options.input }),
  timeoutAt: options.at + 86_400_000,
  retentionMs: 7 * 86_400_000
})

/** A successful step at `seq`; the operation id is derived from the seq so that every step is distinct. */
export const stepSucceeded = (seq: number, at: number): LogEvent => ({
  _tag: "StepSucceeded",
  seq,
  at,
  id: String(seq),
  name: `step-${seq}`,
  type: "STEP",
  subType: "Step",
  attempt: 1,
  result: JSON.stringify({ seq, text: `result of step ${seq}` })
})

/** Steps numbered `from`, `from + 1` … (`count` of them). */
export const steps = (from: number, count: number, at: number): Array<LogEvent> =>
  Array.from({ length: count }, (_, i) => stepSucceeded(from + i, at + i))

export const executionSucceeded = (seq: number, at: number): LogEvent => ({
  _tag: "ExecutionSucceeded",
  seq,
  at,
  result: JSON.stringify({ ok: true })
})

export const executionFailed = (seq: number, at: number): LogEvent => ({
  _tag: "ExecutionFailed",
  seq,
  at,
  error: { errorType: "Error", errorMessage: "it failed" }
})

/** A log of `length` events: ExecutionStarted at seq 1, then successful steps. */
export const startedLog = (
  executionId: string,
  options: { readonly functionName: string; readonly at: number; readonly length?: number }
): Array<LogEvent> => [
  executionStarted(executionId, options),
  ...steps(2, (options.length ?? 1) - 1, options.at + 1)
]

/** The fields of a summary the port defines, for comparison. */
export const summaryFields = (s: ExecutionSummary | undefined) =>
  s === undefined ? undefined : {
    executionId: s.executionId,
    functionName: s.functionName,
    status: s.status,
    startedAt: s.startedAt,
    ...(s.endedAt === undefined ? {} : { endedAt: s.endedAt })
  }

type Unsequenced = LogEvent extends infer E ? E extends LogEvent ? Omit<E, "seq"> : never : never

/**
 * Events numbered `from` … `from + 11` of every operation kind, with each optional field set, non-ASCII text and
 * nesting, so that a store's encoding is exercised beyond the plain step.
 */
export const variedEvents = (from: number, at: number): Array<LogEvent> => {
  const error = { errorType: "PaymentDeclined", errorMessage: "card declined: «insufficient funds» 💳", errorData: "{\"code\":51}" }
  const events: Array<Unsequenced> = [
    { _tag: "StepStarted", at, id: "1", name: "charge", type: "STEP", subType: "Step", attempt: 1 },
    { _tag: "StepFailed", at, id: "1", name: "charge", type: "STEP", subType: "Step", attempt: 1, error, nextAttemptAt: at + 1000 },
    { _tag: "WaitStarted", at, id: "2", type: "WAIT", subType: "Wait", until: at + 60_000 },
    { _tag: "WaitSucceeded", at: at + 60_000, id: "2", type: "WAIT", subType: "Wait" },
    {
      _tag: "CallbackStarted", at, id: "3", name: "approve", type: "CALLBACK", subType: "WaitForCallback",
      callbackId: "cb_3", timeoutAt: at + 5000, heartbeatTimeoutMs: 500
    },
    { _tag: "CallbackTimedOut", at, id: "3", name: "approve", type: "CALLBACK", subType: "WaitForCallback", reason: "heartbeat" },
    {
      _tag: "InvokeStarted", at, id: "4", type: "CHAINED_INVOKE", subType: "ChainedInvoke", functionName: "child",
      childExecutionId: "child-1", input: "{\"n\":1}"
    },
    { _tag: "InvokeSucceeded", at, id: "4", type: "CHAINED_INVOKE", subType: "ChainedInvoke", result: "\"done\"" },
    { _tag: "ContextStarted", at, id: "5", name: "batch", type: "CONTEXT", subType: "Map" },
    { _tag: "StepSucceeded", at, id: "5-1", parentId: "5", type: "STEP", subType: "Now", attempt: 1, result: String(at) },
    { _tag: "ContextSucceeded", at, id: "5", name: "batch", type: "CONTEXT", subType: "Map", result: "[]", replayChildren: false },
    { _tag: "StepSucceeded", at, id: "6", type: "STEP", subType: "Step", attempt: 2, result: "\"日本語 \\u0000 \\n\"" }
  ]
  return events.map((event, i) => ({ ...event, seq: from + i }) as LogEvent)
}
