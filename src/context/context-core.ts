/**
 * What every operation does first: take the next positional id in its context, look the id up in the log, and
 * check that the code still calls what the log recorded there (non-determinism detection).
 */
import type { ErrorObject, OperationRef, OperationSubType, OperationType } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"
import { childId, contextKey, positionOf } from "../log/operation-id.ts"
import type { Session } from "./session.ts"
import { ContextUsageError, NonDeterministicExecutionError, PayloadTooLargeError } from "./errors.ts"
import { toErrorRecord } from "./error-story.ts"
import { creationKey, type ReplayOrder, replayOrderOf } from "./replay-order.ts"
import { currentOwner, misuseOf } from "./usage-tracker.ts"
import { underFinishedBatch } from "./finished-batches.ts"

export interface Begun {
  readonly id: string
  /** The operation's record when the log has it (replay), else undefined (first run). */
  readonly recorded: OperationState | undefined
  readonly ref: { id: string; parentId?: string; name?: string; type: OperationType; subType: OperationSubType }
  /** On replay, when the operation ended after others called later: resolves at its turn to settle (replay-order.ts). */
  readonly turn: Promise<void> | undefined
  /** On replay, a recorded callback's: resolves at the turn of its creation (replay-order.ts). */
  readonly creationTurn?: Promise<void> | undefined
  /** In a replayed run: the replay its result settles after (see replay-order.ts `afterReplay`). */
  readonly replay: ReplayOrder | undefined
  /** It had not ended when the handler started: its result is held until the replay is over. */
  readonly held: boolean
}

/** A promise that never settles: what user code gets once its execution is over or its actor is gone. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined)

/**
 * User code (a step body, a condition check) may not start: the execution has ended (stopped, say), so map and
 * parallel items go no further, or its actor is gone (evicted while this code awaited something else), so a fresh
 * actor runs it on replay.
 */
export const mayNotStart = (session: Session): boolean => {
  const status = session.state.status
  return (status !== "RUNNING" && status !== "PAUSED") || session.stopped?.aborted === true || session.gone === true || session.left?.aborted === true
}

/** No step body runs: the execution may not start one, or a stop is requested (inside a saga only compensations run). */
export const bodyMayNotRun = (session: Session, compensation: boolean): boolean =>
  mayNotStart(session) || (session.state.stopRequested !== undefined && !compensation)

/** The API method that makes an operation, as AWS names it in usage errors. */
const methodOf = (type: OperationType, subType: OperationSubType): string => {
  switch (type) {
    case "WAIT":
      return "wait"
    case "CALLBACK":
      return "createCallback"
    case "CHAINED_INVOKE":
      return "invoke"
    case "STEP":
      return subType === "WaitForCondition" ? "waitForCondition" : "step"
    default:
      return subType === "WaitForCallback" ? "waitForCallback" : subType === "Map" ? "map" : subType === "Parallel" ? "parallel" : "runInChildContext"
  }
}

/** AWS's message, naming the first property that differs (type, then name, then subtype). */
const mismatch = (id: string, recorded: OperationState, type: string, subType: string, name: string | undefined): string | undefined => {
  const [what, expected, got] = recorded.type !== type
    ? ["type", recorded.type, type]
    : recorded.name !== name
    ? ["name", recorded.name ?? "undefined", name ?? "undefined"]
    : recorded.subType !== subType
    ? ["subtype", recorded.subType, subType]
    : []
  if (what === undefined) return undefined
  return `[Unrecoverable Execution] Non-deterministic execution detected: Operation ${what} mismatch for step "${id}". ` +
    `Expected ${what} "${expected}", but got "${got}". This indicates non-deterministic control flow in your workflow code.`
}

const shapeOf = (op: OperationState) => ({ type: op.type, subType: op.subType, ...(op.name === undefined ? {} : { name: op.name }) })

export class ContextCore {
  #counter = 0
  #replaying: boolean
  /** The replay's order (made when the handler started, before any context): undefined on a first run. */
  readonly #order: ReplayOrder | undefined

  readonly session: Session
  readonly parentId: string | undefined
  /** The parent recorded on this context's operations: its own id, or for a virtual (FLAT) context its parent's. */
  readonly recordedParentId: string | undefined

  constructor(session: Session, parentId: string | undefined, recordedParentId: string | undefined = parentId) {
    this.session = session
    this.parentId = parentId
    this.recordedParentId = recordedParentId
    this.#replaying = (session.state.lastPosition.get(contextKey(parentId)) ?? 0) > 0
    this.#order = replayOrderOf(session)
  }

  /** How many operations this context has begun. */
  get position(): number {
    return this.#counter
  }

  #patches: Set<string> | undefined

  /** Notes a patch marker posted by this context; false when it already posted one (it may not be applied yet). */
  notePatch(patchId: string): boolean {
    this.#patches ??= new Set()
    if (this.#patches.has(patchId)) return false
    this.#patches.add(patchId)
    return true
  }

  /** True while this context re-runs operations that the log already holds. */
  get replaying(): boolean {
    return this.#replaying
  }

  /** Takes the next id; undefined when the execution had to fail (the caller then returns `never()`). */
  begin(type: OperationType, subType: OperationSubType, name: string | undefined): Begun | undefined {
    if (this.misused(methodOf(type, subType)) !== undefined) return undefined
    // An item of a batch that completed without it starts nothing more (finished-batches.ts): its promise never settles.
    if (underFinishedBatch(this.session, this.parentId)) return undefined
    const id = childId(this.parentId, ++this.#counter)
    const recorded = this.session.state.operations.get(id)
    const different = recorded === undefined ? undefined : mismatch(id, recorded, type, subType, name)
    const probe = this.session.replayOnly
    if (different !== undefined) {
      probe?.mismatch(id, shapeOf(recorded!), { type, subType, ...(name === undefined ? {} : { name }) }, different)
      this.session.fail(new NonDeterministicExecutionError(different, id))
      return undefined
    }
    if (probe !== undefined) {
      probe.began(id)
      if (recorded === undefined) return undefined // the replay check stops at the end of the log
    }
    this.#replaying = (this.session.state.lastPosition.get(contextKey(this.parentId)) ?? 0) > positionOf(id)
    // Literals rather than conditional spreads (a temporary object each): this runs for every operation.
    const parentId = this.recordedParentId
    const ref = parentId === undefined
      ? (name === undefined ? { id, type, subType } : { id, name, type, subType })
      : (name === undefined ? { id, parentId, type, subType } : { id, parentId, name, type, subType })
    const order = this.#order
    if (order === undefined) return { id, recorded, ref, turn: undefined, replay: undefined, held: false }
    // A callback's creation takes its turn first (asked before its end's).
    const creationTurn = recorded?.createdSeq !== undefined && recorded.createdSeq <= order.startSeq ? order.turn(creationKey(id)) : undefined
    if (creationTurn !== undefined) {
      if (recorded!.endSeq !== undefined && recorded!.endSeq <= order.startSeq) return { id, recorded, ref, creationTurn, turn: order.turn(id), replay: order, held: false }
      return { id, recorded, ref, creationTurn, turn: undefined, replay: order, held: true }
    }
    // Ended before the handler started: a turn. Ended since (an invoked child's outcome, a callback completed while
    // the execution was evicted, taken in before the call reached it): it had not ended, held as such.
    if (recorded?.endSeq !== undefined && recorded.endSeq <= order.startSeq) return { id, recorded, ref, turn: order.turn(id), replay: order, held: false }
    return { id, recorded, ref, turn: undefined, replay: order, held: true }
  }

  /**
   * The error (the execution failed with it: AWS's "Context usage error") when `method` is called from code this
   * context does not own: a step's body, or a sibling or parent context's code; else undefined.
   */
  misused(method: string): ContextUsageError | undefined {
    const misuse = misuseOf(this, method)
    if (misuse === undefined) return undefined
    // AWS's history shows the step whose body misused a context as STARTED: a default step has written nothing yet.
    const owner = currentOwner()
    if (owner?.kind === "step" && this.session.state.operations.get(owner.id)?.attemptOpen !== true) {
      this.session.post([{ _tag: "StepStarted", ...owner.ref, attempt: owner.attempt }])
    }
    const error = new ContextUsageError(misuse)
    this.session.fail(error)
    return error
  }

  /** Takes the next id for a virtual context, which writes no operation of its own. */
  reserveId(): string {
    return childId(this.parentId, ++this.#counter)
  }

  /**
   * What was thrown, as the failure of operation `ref` is recorded: cut where the store keeps smaller errors
   * (Session.fitError), so that the code that goes on sees the error a replay will read back.
   */
  errorRecord(thrown: unknown, ref: OperationRef): ErrorObject {
    const record = toErrorRecord(thrown)
    return this.session.fitError === undefined ? record : this.session.fitError(record, ref)
  }

  /** Rejects payloads over the limit before anything is written; `what` (made only then, if a function) names it. */
  checkPayload(payload: string | undefined, what: string | (() => string)): void {
    if (payload === undefined) return
    const limit = this.session.maxPayloadBytes
    // A UTF-16 unit is at most 3 UTF-8 bytes: most payloads never need measuring.
    if (payload.length * 3 <= limit) return
    const bytes = new TextEncoder().encode(payload).length
    if (bytes > limit) {
      throw new PayloadTooLargeError(`${typeof what === "function" ? what() : what} is ${bytes} bytes once serialised; the limit is ${limit} bytes${limit % 1024 === 0 ? ` (${limit / 1024} KiB)` : ""}`)
    }
  }
}
