/**
 * What the API shows of an execution: the engine's view with payloads JSON-parsed and times as ISO 8601 strings.
 * History events are shown as the log stores them (docs/design.md §3: times in epoch milliseconds, payloads as
 * serialised strings), so they can be compared with other histories and decoded with the LogEvent schema.
 */
import type { ExecutionView } from "../engine/index.ts"
import type { ErrorObject } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"
import type { ExecutionSummary } from "../store/execution-summary.ts"

const iso = (millis: number): string => new Date(millis).toISOString()

/**
 * A payload as JSON when it is JSON text (the default serdes), else the raw string (a custom serdes). Plain
 * JSON.parse: the payload is what the engine stored, and any JSON is welcome, so a schema adds only its cost.
 */
export const payloadJson = (payload: string): unknown => {
  try {
    return JSON.parse(payload)
  } catch {
    return payload
  }
}

const optional = <K extends string, V, W>(key: K, value: V | undefined, map: (value: V) => W): { [P in K]?: W } =>
  (value === undefined ? {} : { [key]: map(value) }) as { [P in K]?: W }

const same = <V>(value: V): V => value

export interface OperationJson {
  readonly id: string
  readonly parentId?: string
  readonly name?: string
  readonly type: string
  readonly subType: string
  readonly status: string
  readonly startedAt: string
  readonly endedAt?: string
  readonly attempt?: number
  readonly nextAttemptAt?: string
  readonly waitUntil?: string
  readonly callbackId?: string
  readonly timeoutAt?: string
  /** An invoke's: the id of the execution it started, to describe as any other. */
  readonly childExecutionId?: string
  readonly error?: ErrorObject
}

const open = (op: OperationState) => op.status === "STARTED" || op.status === "PENDING"

/**
 * One operation, without its payloads (the history has them). Of an execution that has ended (`endedAt`), an
 * operation still open was abandoned with it (stopped, failed, timed out, or cut off by a batch's completion
 * policy): it is shown CANCELLED, ended when the execution ended, with no timer still to come.
 */
export const operationJson = (op: OperationState, executionEndedAt?: number): OperationJson => {
  if (executionEndedAt === undefined || !open(op)) return openOperationJson(op)
  const { nextAttemptAt: _next, until: _until, timeoutAt: _timeout, ...rest } = op
  return openOperationJson({ ...rest, status: "CANCELLED", endedAt: executionEndedAt })
}

const openOperationJson = (op: OperationState): OperationJson => ({
  id: op.id,
  ...optional("parentId", op.parentId, same),
  ...optional("name", op.name, same),
  type: op.type,
  subType: op.subType,
  status: op.status,
  startedAt: iso(op.startedAt),
  ...optional("endedAt", op.endedAt, iso),
  ...(op.type === "STEP" ? { attempt: op.attempt } : {}),
  ...optional("nextAttemptAt", op.nextAttemptAt, iso),
  ...optional("waitUntil", op.until, iso),
  ...optional("callbackId", op.callbackId, same),
  ...optional("timeoutAt", op.timeoutAt, iso),
  ...optional("childExecutionId", op.childExecutionId, same),
  ...optional("error", op.error, same)
})

/** How many operations an execution has, in all and by status and by type (statuses as `operationJson` shows them). */
export interface OperationCountsJson {
  readonly total: number
  readonly byStatus: Readonly<Record<string, number>>
  readonly byType: Readonly<Record<string, number>>
}

export interface ExecutionJson {
  readonly executionId: string
  readonly functionName: string
  readonly version?: string
  readonly status: string
  readonly input?: unknown
  readonly result?: unknown
  readonly error?: ErrorObject
  readonly startedAt: string
  readonly endedAt?: string
  /** A fork's source execution and the top-level operation it was copied up to. */
  readonly forkedFrom?: { readonly executionId: string; readonly operationId: string }
  /** The runs before and after this one of the same logical execution (`ctx.continueAsNew`). */
  readonly continuedFrom?: string
  readonly continuedAs?: string
  /** How many times the execution was rewound. */
  readonly rewinds?: number
  /** A QUEUED execution's place in its function's queue (1 first). */
  readonly queuePosition?: number
  readonly operationCounts: OperationCountsJson
  /** Only when asked for (`?operations=true`): the answer stays small for an execution of thousands of operations. */
  readonly operations?: ReadonlyArray<OperationJson>
}

/** An ExecutionJson that carries its operations (asked with `?operations=true`). */
export type ExecutionWithOperationsJson = ExecutionJson & { readonly operations: ReadonlyArray<OperationJson> }

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

export const operationCounts = (operations: ReadonlyArray<OperationState>, executionEndedAt?: number): OperationCountsJson => {
  const byStatus: Record<string, number> = {}
  const byType: Record<string, number> = {}
  for (const op of operations) {
    bump(byStatus, executionEndedAt !== undefined && open(op) ? "CANCELLED" : op.status)
    bump(byType, op.type)
  }
  return { total: operations.length, byStatus, byType }
}

/** The execution with counts of its operations; with `withOperations`, the operations too. */
export function executionJson(view: ExecutionView, withOperations: true): ExecutionWithOperationsJson
export function executionJson(view: ExecutionView, withOperations?: boolean): ExecutionJson
export function executionJson(view: ExecutionView, withOperations = false): ExecutionJson {
  return {
    executionId: view.executionId,
    functionName: view.functionName,
    ...optional("version", view.version, same),
    status: view.status,
    ...optional("input", view.input, payloadJson),
    ...optional("result", view.result, payloadJson),
    ...optional("error", view.error, same),
    startedAt: iso(view.startedAt),
    ...optional("endedAt", view.endedAt, iso),
    ...optional("forkedFrom", view.forkedFrom, same),
    ...optional("continuedFrom", view.continuedFrom, same),
    ...optional("continuedAs", view.continuedAs, same),
    ...optional("rewinds", view.rewinds, same),
    ...optional("queuePosition", view.queuePosition, same),
    operationCounts: operationCounts(view.operations, view.endedAt),
    ...(withOperations ? { operations: view.operations.map((op) => operationJson(op, view.endedAt)) } : {})
  }
}

export interface SummaryJson {
  readonly executionId: string
  readonly functionName: string
  readonly version?: string
  readonly status: string
  readonly startedAt: string
  readonly endedAt?: string
  /** A FAILED or STOPPED execution's error type and the start of its message (GET /v1/executions/:id has it all). */
  readonly error?: { readonly errorType: string; readonly errorMessage: string }
  readonly queuePosition?: number
}

export const summaryJson = (summary: ExecutionSummary): SummaryJson => ({
  executionId: summary.executionId,
  functionName: summary.functionName,
  ...optional("version", summary.version, same),
  status: summary.status,
  startedAt: iso(summary.startedAt),
  ...optional("endedAt", summary.endedAt, iso),
  ...optional("error", summary.error, same),
  ...optional("queuePosition", summary.queuePosition, same)
})
