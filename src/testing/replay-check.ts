/**
 * The replay check: replays recorded histories against the current code without running any step body, and says
 * per execution whether it replays cleanly or where it first diverges. CI can gate a deploy on the histories of the
 * executions still running (`reprise replay-check` is the same check from the command line).
 */
import { Cause, Effect, Exit, Option } from "effect"
import { DurableContextImpl } from "../context/durable-context.ts"
import type { DurableLogger } from "../context/logger.ts"
import { defaultSerdes, passThroughDeserializer } from "../context/serdes.ts"
import type { CallShape, Session } from "../context/session.ts"
import { runOwned } from "../context/usage-tracker.ts"
import { handlerInput } from "../engine/handler-input.ts"
import type { DurableFunction } from "../engine/registry.ts"
import { decodeLog } from "../log/decode-log.ts"
import type { LogEvent } from "../log/events.ts"
import { type ExecutionState, foldLog, type OperationState } from "../log/fold.ts"
import { LogCorrupted } from "../log/log-corrupted.ts"
import { realClearTimeout, realSetTimeout } from "../context/real-timers.ts"
import { userFrames } from "../context/error-story.ts"
import { toErrorObject } from "../context/errors.ts"

/** A history as `GET /v1/executions/:id/history` answers (all of it: no `nextCursor`), or its events alone. */
export type RecordedHistory = ReadonlyArray<unknown> | { readonly executionId?: string; readonly events: ReadonlyArray<unknown>; readonly nextCursor?: string }

export type ReplayReport =
  | {
    readonly executionId: string
    readonly functionName: string
    readonly verdict: "replays cleanly"
    /** How many recorded operations the code called again. */
    readonly operations: number
  }
  | {
    readonly executionId: string
    readonly functionName: string
    readonly verdict: "non-deterministic"
    readonly operationId: string
    /** What the log holds at that id. */
    readonly recorded: CallShape
    /** What the code called there; absent when the code no longer makes that call. */
    readonly call?: CallShape
    readonly message: string
  }
  | {
    readonly executionId: string
    readonly functionName?: string
    /** The history does not decode, names a function not given, or the code fails in replay for another reason. */
    readonly verdict: "invalid history" | "function not found" | "failed"
    readonly message: string
  }

export interface ReplayCheckOptions {
  /** How many event-loop turns without a new call end one replay (default 5); bounded by `maxTurns` (default 10,000). */
  readonly quietTurns?: number
  readonly maxTurns?: number
  /** How long a function with its own replay engine (reprise/aws) may take to replay one log (default 30 s). */
  readonly driverMs?: number
}

const silent: DurableLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }
const never = <T>(): Promise<T> => new Promise<T>(() => undefined)
const turn = () => new Promise<void>((resolve) => realSetTimeout(resolve, 0))
const shapeOf = (op: OperationState): CallShape => ({ type: op.type, subType: op.subType, ...(op.name === undefined ? {} : { name: op.name }) })

const eventsOf = (history: RecordedHistory): { executionId?: string; events: ReadonlyArray<unknown>; partial: boolean } =>
  Array.isArray(history)
    ? { events: history, partial: false }
    : {
      ...((history as { executionId?: string }).executionId === undefined ? {} : { executionId: (history as { executionId: string }).executionId }),
      events: (history as { events?: ReadonlyArray<unknown> }).events ?? [],
      partial: (history as { nextCursor?: string }).nextCursor !== undefined
    }

/** A recorded operation the code should have called again: its context's body re-runs in replay. */
const expectedAgain = (state: ExecutionState, op: OperationState, began: ReadonlySet<string>): boolean => {
  if (op.parentId === undefined) return true
  const parent = state.operations.get(op.parentId)
  if (parent === undefined) return true
  return began.has(parent.id) && (parent.status === "STARTED" || parent.replayChildren === true) && expectedAgain(state, parent, began)
}

const checkOne = async (
  registry: ReadonlyMap<string, DurableFunction>,
  history: RecordedHistory,
  options: ReplayCheckOptions
): Promise<ReplayReport> => {
  // The replayed code is abandoned once the check is over: an Effect-written function's fibers are interrupted then
  // (Session.left), so that what they acquired is released.
  const over = new AbortController()
  try {
    return await checkWith(registry, history, options, over.signal)
  } finally {
    over.abort(new Error("The replay check is over"))
  }
}

const checkWith = async (
  registry: ReadonlyMap<string, DurableFunction>,
  history: RecordedHistory,
  options: ReplayCheckOptions,
  left: AbortSignal
): Promise<ReplayReport> => {
  const raw = eventsOf(history)
  const label = raw.executionId ?? "(unknown)"
  if (raw.partial) return { executionId: label, verdict: "invalid history", message: "a page of the history: fetch every page (follow nextCursor)" }
  const decoded = Effect.runSyncExit(decodeLog(label, raw.events))
  if (Exit.isFailure(decoded)) {
    // Which event, and the first line of why (the schema's full report lists every variant of the event union).
    const failure = Cause.findErrorOption(decoded.cause)
    const corrupted = Option.isSome(failure) && failure.value instanceof LogCorrupted ? failure.value : undefined
    const tag = corrupted === undefined ? undefined : (raw.events[corrupted.seq - 1] as { _tag?: unknown } | undefined)?._tag
    const message = corrupted === undefined
      ? Cause.pretty(decoded.cause).split("\n")[0]!
      : typeof tag === "string"
      ? `event ${corrupted.seq} (${tag}): ${corrupted.reason.replace(/^invalid event: /, "").split("\n").map((line) => line.trim()).join(" ").slice(0, 200)}`
      : `event ${corrupted.seq} is not a recorded event: it has no _tag naming one (ExecutionStarted, StepSucceeded …)`
    return { executionId: label, verdict: "invalid history", message }
  }
  const events: ReadonlyArray<LogEvent> = decoded.value
  const state = foldLog(events)
  const { executionId, functionName } = state
  const fn = registry.get(functionName)
  if (fn === undefined) return { executionId, functionName, verdict: "function not found", message: `no function named ${JSON.stringify(functionName)} was given` }

  const began = new Set<string>()
  let mismatch: Extract<ReplayReport, { verdict: "non-deterministic" }> | undefined
  let failure: Error | undefined
  const lastAt = events[events.length - 1]!.at
  let seed = 0
  const session: Session = {
    callbackReached: () => undefined,
    executionId,
    state,
    left,
    maxPayloadBytes: 256 * 1024,
    replayOnly: {
      began: (id) => void began.add(id),
      mismatch: (operationId, recorded, call, message) => {
        mismatch ??= { executionId, functionName, verdict: "non-deterministic", operationId, recorded, call, message }
      }
    },
    // Time stands at the last recorded event: nothing new falls due.
    now: () => lastAt,
    // Only read at the frontier, which the check never crosses.
    random: () => (seed = (seed * 9301 + 49297) % 233280) / 233280,
    append: () => never(),
    post: () => false, // writes nothing: code after a posted outcome stops there, as after an append
    whenChanged: () => never(),
    whenResumed: () => never(),
    whenStopRequested: () => never(),
    enterUserCode: () => undefined,
    exitUserCode: () => undefined,
    fail: (error) => void (failure ??= error),
    newCallbackId: () => never(),
    serdes: { defaultSerdes, defaultCallbackDeserializer: passThroughDeserializer },
    logger: { customLogger: silent }
  }

  if (fn.drive !== undefined) {
    // A function with its own replay engine (reprise/aws): its driver replays once over the log and reports to the probe.
    let timer: ReturnType<typeof setTimeout> | undefined
    const limit = new Promise<"late">((resolve) => (timer = realSetTimeout(() => resolve("late"), options.driverMs ?? 30_000)))
    const ended = await Promise.race([fn.drive(session).then(() => "ended" as const, (error: unknown) => void (failure ??= error as Error)), limit])
    realClearTimeout(timer)
    if (mismatch !== undefined) return mismatch
    if (failure !== undefined) return { executionId, functionName, verdict: "failed", message: failure.message }
    if (ended === "late") return { executionId, functionName, verdict: "failed", message: `${functionName} did not replay its log within ${options.driverMs ?? 30_000} ms` }
    return { executionId, functionName, verdict: "replays cleanly", operations: state.operations.size }
  }

  let settled = false
  let thrown: unknown
  const context = DurableContextImpl.root(session)
  // As the live run gives it: `{}` when the execution was started without an input.
  const input = handlerInput(state.input)
  Promise.resolve()
    .then(() => runOwned({ kind: "context", core: context.core, label: "the root context" }, () => fn.handler(input, context)))
    .then(() => void (settled = true), (error: unknown) => {
      settled = true
      thrown = error
    })
  // Replay resolves from the log in microtasks (and serdes promises): wait until no new call comes for a few turns.
  const quiet = options.quietTurns ?? 5
  const max = options.maxTurns ?? 10_000
  let still = 0
  let seen = -1
  for (let i = 0; i < max && !settled && mismatch === undefined && failure === undefined && still < quiet; i++) {
    await turn()
    if (began.size === seen) still++
    else {
      still = 0
      seen = began.size
    }
  }
  if (mismatch !== undefined) return mismatch
  if (failure !== undefined) return { executionId, functionName, verdict: "failed", message: failure.message }
  for (const op of state.operations.values()) {
    if (began.has(op.id) || !expectedAgain(state, op, began)) continue
    const recorded = shapeOf(op)
    // The code threw before it got there (a bug in the new code, an input field it now requires): that is the news,
    // not that the call is gone.
    if (thrown !== undefined) return { executionId, functionName, verdict: "failed", message: threwBefore(thrown, op, recorded) }
    return {
      executionId,
      functionName,
      verdict: "non-deterministic",
      operationId: op.id,
      recorded,
      message: `Operation "${op.id}" (${recorded.type} ${JSON.stringify(recorded.name ?? recorded.subType)}) is in the log, but the code no longer calls it there`
    }
  }
  return { executionId, functionName, verdict: "replays cleanly", operations: [...state.operations.keys()].filter((id) => began.has(id)).length }
}

/** What a handler threw in replay before a recorded operation, with the user's line where there is one. */
const threwBefore = (thrown: unknown, op: OperationState, recorded: CallShape): string => {
  const { errorType, errorMessage } = toErrorObject(thrown)
  const frame = userFrames(thrown instanceof Error ? thrown.stack : undefined)?.[0]
  return `the code threw ${errorType}: ${errorMessage}${frame === undefined ? "" : `, ${frame},`} before operation "${op.id}" ` +
    `(${recorded.type} ${JSON.stringify(recorded.name ?? recorded.subType)}), which the log holds`
}

/** Replays each history against `functions` (the current code) and reports on each, in order. */
export const replayCheck = async (
  functions: ReadonlyArray<DurableFunction>,
  histories: ReadonlyArray<RecordedHistory>,
  options: ReplayCheckOptions = {}
): Promise<ReadonlyArray<ReplayReport>> => {
  const registry = new Map(functions.map((fn) => [fn.name, fn]))
  const reports: Array<ReplayReport> = []
  for (const history of histories) reports.push(await checkOne(registry, history, options))
  return reports
}
