/**
 * The service's side of a checkpoint: the operation updates AWS's SDK sends, turned into Reprise's events. It is
 * the inverse of the Lambda adapter's log-to-updates (adapters/lambda), over the same wire model and ids, so that a
 * log written by an AWS handler is the log a Reprise handler writes for the same calls:
 *
 * - a step's START and its outcome in one batch (AWS's default, at-least-once step) become one outcome event with
 *   `startedAt`; a START alone (at-most-once) becomes StepStarted;
 * - a RETRY with an error is a failed attempt with `nextAttemptAt`; one with a payload is a waitForCondition poll;
 * - waits, callbacks and chained invokes are only started by the SDK: the actor completes them (the service's
 *   timers, a callback completed over the HTTP API, the child execution's end);
 * - EXECUTION SUCCEED/FAIL (a result too large to return) is kept aside: the invocation's answer ends the execution.
 */
import type { ErrorObject, NewEvent } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import type { IdResolver } from "./operation-ids.ts"
import { errorFromWire, type OperationUpdate } from "./wire.ts"

const DEFAULT_SUBTYPE: Record<string, string> = {
  STEP: "Step",
  WAIT: "Wait",
  CALLBACK: "Callback",
  CHAINED_INVOKE: "ChainedInvoke",
  CONTEXT: "RunInChildContext"
}

/** A checkpoint the service refuses: AWS's SDK treats a 4xx as fatal to the execution. */
export class InvalidCheckpointError extends Error {
  override readonly name = "InvalidParameterValueException"
  readonly $metadata = { httpStatusCode: 400 }
}

/** What one checkpoint call writes. */
export interface TranslatedUpdates {
  readonly events: Array<NewEvent>
  /** Positional ids of the callbacks started (each needs an id before it is written). */
  readonly callbacks: Array<string>
  /** EXECUTION SUCCEED/FAIL, when the SDK checkpointed the end itself. */
  readonly end?: { readonly ok: true; readonly result: string | undefined } | { readonly ok: false; readonly error: ErrorObject }
}

export interface UpdateContext {
  readonly state: ExecutionState
  readonly resolver: IdResolver
  readonly now: number
  readonly executionId: string
}

/** The attempt a START opens: the open one again, or the one after the last finished. */
const attemptOf = (op: OperationState | undefined): number => (op === undefined ? 1 : op.attemptOpen ? op.attempt : op.attempt + 1)

const seconds = (value: number | undefined) => (typeof value === "number" && Number.isFinite(value) && value > 0 ? value * 1000 : 0)

/**
 * The most bytes the service takes in one operation's payload (a step's result, an invoke's input …): larger, it
 * refuses the checkpoint ("payload size must be ≤ 262144 bytes"), which AWS's SDK takes as fatal. AWS's local runner
 * does not check it; refused here, code that would fail on Lambda fails in its tests too. The execution's own
 * result is not held to it (the SDK returns up to 6 MB, and checkpoints a larger one on the EXECUTION operation).
 */
export const SERVICE_PAYLOAD_LIMIT = 262_144

const overServiceLimit = (payload: string | null | undefined): boolean =>
  payload != null && payload.length * 3 > SERVICE_PAYLOAD_LIMIT && new TextEncoder().encode(payload).length > SERVICE_PAYLOAD_LIMIT

/**
 * The service refuses an update that carries an error when it is 32 KiB or more once serialised ("Error object size
 * must be less than 32768 bytes"; AWS's local runner checks it too), and AWS's SDK then ends the invocation, on
 * Lambda for good: a step that throws an error with a 40 KB message. Taken here, it passed on Reprise only.
 */
export const SERVICE_ERROR_LIMIT = 32_768

const errorOverServiceLimit = (update: OperationUpdate): boolean => {
  if (update.Error == null) return false
  const text = JSON.stringify(update)
  return text.length * 3 >= SERVICE_ERROR_LIMIT && new TextEncoder().encode(text).length >= SERVICE_ERROR_LIMIT
}

export const updatesToEvents = (updates: ReadonlyArray<OperationUpdate>, context: UpdateContext): TranslatedUpdates => {
  const { state, resolver, now } = context
  const events: Array<NewEvent> = []
  const callbacks: Array<string> = []
  let end: TranslatedUpdates["end"]
  /** Steps whose START is in this batch and not yet written: the outcome carries it as `startedAt`. */
  const openedHere = new Map<string, number>()
  /** Operations started earlier in this batch (their parent check sees them). */
  const typesHere = new Map<string, { readonly type: string; readonly subType: string | undefined }>()

  for (const update of updates) {
    // Lambda's service takes a string; a serdes that returned something else (an object, a number) was written
    // as an invalid event, refused, and retried without end, its step run again each time (the parity probe).
    const payload: unknown = update.Payload
    if (payload != null && typeof payload !== "string") {
      throw new InvalidCheckpointError(`${update.Type} ${update.Action} Payload must be a string, got ${Array.isArray(payload) ? "an array" : typeof payload === "object" ? "an object" : `a ${typeof payload}`} (a serdes that does not return a string?)`)
    }
    if (update.Type === "EXECUTION") {
      if (update.Action === "SUCCEED") end = { ok: true, result: update.Payload ?? undefined }
      else if (update.Action === "FAIL") end = { ok: false, error: errorFromWire(update.Error, "The execution failed") }
      continue
    }
    if (overServiceLimit(update.Payload)) {
      throw new InvalidCheckpointError(`${update.Type} ${update.Action} payload size must be <= ${SERVICE_PAYLOAD_LIMIT} bytes`)
    }
    if (errorOverServiceLimit(update)) {
      throw new InvalidCheckpointError(`${update.Type} ${update.Action}: Error object size must be less than ${SERVICE_ERROR_LIMIT} bytes`)
    }
    const parentPositional = update.ParentId === undefined || update.ParentId === null ? undefined : resolver.positionalOf(update.ParentId)
    if (update.ParentId !== undefined && update.ParentId !== null && parentPositional === undefined) {
      throw new InvalidCheckpointError(`Invalid parent operation id: ${update.ParentId}`)
    }
    const parent = parentPositional === undefined ? undefined : state.operations.get(parentPositional)
    const parentShape = parent ?? (parentPositional === undefined ? undefined : typesHere.get(parentPositional))
    if (parentPositional !== undefined && parentShape?.type !== "CONTEXT") throw new InvalidCheckpointError(`Invalid parent operation id: ${update.ParentId}`)
    const isBatch = parentShape?.subType === "Map" || parentShape?.subType === "Parallel"
    const id = resolver.resolve(update.Id, update.ParentId ?? undefined, isBatch)
    if (id === undefined) throw new InvalidCheckpointError(`Operation ${update.Id} is no position under ${update.ParentId ?? "the root"}`)
    const known = state.operations.get(id)
    if (known !== undefined && known.type !== update.Type) {
      throw new InvalidCheckpointError(`Operation ${update.Id} is a ${known.type}, not a ${update.Type}`)
    }
    typesHere.set(id, { type: update.Type, subType: update.SubType ?? undefined })
    const ref = {
      id,
      ...(parentPositional === undefined ? {} : { parentId: parentPositional }),
      ...(update.Name === undefined || update.Name === null ? {} : { name: update.Name }),
      type: update.Type,
      subType: update.SubType || DEFAULT_SUBTYPE[update.Type]!
    }
    const invalid = () => new InvalidCheckpointError(`Invalid action ${update.Action} for a ${update.Type} operation`)
    switch (update.Type) {
      case "STEP": {
        const startedAt = openedHere.get(id)
        openedHere.delete(id)
        const attempt = attemptOf(known)
        const opened = startedAt === undefined ? {} : { startedAt }
        switch (update.Action) {
          case "START":
            if (known?.attemptOpen === true || known?.status === "SUCCEEDED" || known?.status === "FAILED") break
            openedHere.set(id, now)
            break
          case "SUCCEED":
            events.push({ _tag: "StepSucceeded", ...ref, ...opened, attempt, ...(update.Payload == null ? {} : { result: update.Payload }) })
            break
          case "FAIL":
            events.push({ _tag: "StepFailed", ...ref, ...opened, attempt, error: errorFromWire(update.Error, "Step failed") })
            break
          case "RETRY": {
            const nextAttemptAt = now + seconds(update.StepOptions?.NextAttemptDelaySeconds)
            events.push(
              update.Error == null
                ? { _tag: "StepSucceeded", ...ref, ...opened, attempt, ...(update.Payload == null ? {} : { result: update.Payload }), nextAttemptAt }
                : { _tag: "StepFailed", ...ref, ...opened, attempt, error: errorFromWire(update.Error, "Step failed"), nextAttemptAt }
            )
            break
          }
          default:
            throw invalid()
        }
        break
      }
      case "WAIT":
        if (update.Action !== "START") throw invalid()
        if (known === undefined) events.push({ _tag: "WaitStarted", ...ref, until: now + Math.max(1000, seconds(update.WaitOptions?.WaitSeconds)) })
        break
      case "CALLBACK": {
        if (update.Action !== "START") throw invalid()
        if (known !== undefined) break
        const timeout = seconds(update.CallbackOptions?.TimeoutSeconds ?? undefined)
        const heartbeat = seconds(update.CallbackOptions?.HeartbeatTimeoutSeconds ?? undefined)
        events.push({
          _tag: "CallbackStarted",
          ...ref,
          callbackId: "", // filled in by the caller with a new id (callbacks)
          ...(timeout > 0 ? { timeoutAt: now + timeout } : {}),
          ...(heartbeat > 0 ? { heartbeatTimeoutMs: heartbeat } : {})
        })
        callbacks.push(id)
        break
      }
      case "CHAINED_INVOKE": {
        if (update.Action !== "START") throw invalid()
        if (known !== undefined) break
        const functionName = update.ChainedInvokeOptions?.FunctionName
        if (typeof functionName !== "string" || functionName.length === 0) throw new InvalidCheckpointError("A chained invoke needs a FunctionName")
        events.push({
          _tag: "InvokeStarted",
          ...ref,
          functionName,
          childExecutionId: `${context.executionId}:invoke:${id}`,
          ...(update.Payload == null ? {} : { input: update.Payload })
        })
        break
      }
      case "CONTEXT":
        switch (update.Action) {
          case "START":
            if (known === undefined) events.push({ _tag: "ContextStarted", ...ref })
            break
          case "SUCCEED":
            if (known === undefined && !events.some((e) => "id" in e && e.id === id)) events.push({ _tag: "ContextStarted", ...ref })
            events.push({
              _tag: "ContextSucceeded",
              ...ref,
              ...(update.Payload == null ? {} : { result: update.Payload }),
              ...(update.ContextOptions?.ReplayChildren === true ? { replayChildren: true } : {})
            })
            break
          case "FAIL":
            if (known === undefined && !events.some((e) => "id" in e && e.id === id)) events.push({ _tag: "ContextStarted", ...ref })
            events.push({ _tag: "ContextFailed", ...ref, error: errorFromWire(update.Error, "Child context failed") })
            break
          default:
            throw invalid()
        }
        break
      default:
        throw new InvalidCheckpointError(`Unknown operation type ${String(update.Type)}`)
    }
  }
  // A START with no outcome in the batch: an at-most-once attempt, recorded as begun before its body runs.
  for (const [id] of openedHere) {
    const update = [...updates].reverse().find((u) => resolver.positionalOf(u.Id) === id)!
    const known = state.operations.get(id)
    const parentId = update.ParentId == null ? undefined : resolver.positionalOf(update.ParentId)
    events.push({
      _tag: "StepStarted",
      id,
      ...(parentId === undefined ? {} : { parentId }),
      ...(update.Name == null ? {} : { name: update.Name }),
      type: "STEP",
      subType: update.SubType || "Step",
      attempt: attemptOf(known)
    })
  }
  return { events, callbacks, ...(end === undefined ? {} : { end }) }
}
