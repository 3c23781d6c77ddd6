/** Builders for the store conformance kit (./conformance.ts): unique ids, timestamps and valid LogEvents. */
import type { LogEvent } from "../log/events.ts"

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
