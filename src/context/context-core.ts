/**
 * What every operation does first: take the next positional id in its context, look the id up in the log, and
 * check that the code still calls what the log recorded there (non-determinism detection).
 */
import type { OperationSubType, OperationType } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"
import { childId, contextKey, positionOf } from "../log/operation-id.ts"
import type { Session } from "./session.ts"
import { ContextUsageError, NonDeterministicExecutionError, PayloadTooLargeError } from "./errors.ts"
import { misuseOf } from "./usage-tracker.ts"

export interface Begun {
  readonly id: string
  /** The operation's record when the log has it (replay), else undefined (first run). */
  readonly recorded: OperationState | undefined
  readonly ref: { id: string; parentId?: string; name?: string; type: OperationType; subType: OperationSubType }
}

/** How a context is named in usage errors. */
export const describeContext = (core: ContextCore): string =>
  core.parentId === undefined ? "the root context" : `child context "${core.parentId}"`

/** A promise that never settles: what user code gets once its execution is over or its actor is gone. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined)

const describeOp = (type: string, subType: string, name: string | undefined) =>
  `${type}/${subType} ${name === undefined ? "(unnamed)" : JSON.stringify(name)}`

export class ContextCore {
  #counter = 0
  #replaying: boolean

  readonly session: Session
  readonly parentId: string | undefined
  /** The parent recorded on this context's operations: its own id, or for a virtual (FLAT) context its parent's. */
  readonly recordedParentId: string | undefined

  constructor(session: Session, parentId: string | undefined, recordedParentId: string | undefined = parentId) {
    this.session = session
    this.parentId = parentId
    this.recordedParentId = recordedParentId
    this.#replaying = (session.state.lastPosition.get(contextKey(parentId)) ?? 0) > 0
  }

  /** True while this context re-runs operations that the log already holds. */
  get replaying(): boolean {
    return this.#replaying
  }

  /** Takes the next id; undefined when the execution had to fail (the caller then returns `never()`). */
  begin(type: OperationType, subType: OperationSubType, name: string | undefined): Begun | undefined {
    const misuse = misuseOf(this, describeContext)
    if (misuse !== undefined) {
      this.session.fail(new ContextUsageError(misuse))
      return undefined
    }
    const id = childId(this.parentId, ++this.#counter)
    const recorded = this.session.state.operations.get(id)
    if (recorded !== undefined && (recorded.type !== type || recorded.subType !== subType || recorded.name !== name)) {
      this.session.fail(
        new NonDeterministicExecutionError(
          `Non-deterministic execution detected at operation "${id}": the log recorded ${
            describeOp(recorded.type, recorded.subType, recorded.name)
          }, but the code now calls ${describeOp(type, subType, name)}. ` +
            `Durable code must call the same operations in the same order on every replay.`
        )
      )
      return undefined
    }
    this.#replaying = (this.session.state.lastPosition.get(contextKey(this.parentId)) ?? 0) > positionOf(id)
    return {
      id,
      recorded,
      ref: {
        id,
        ...(this.recordedParentId === undefined ? {} : { parentId: this.recordedParentId }),
        ...(name === undefined ? {} : { name }),
        type,
        subType
      }
    }
  }

  /** Takes the next id for a virtual context, which writes no operation of its own. */
  reserveId(): string {
    return childId(this.parentId, ++this.#counter)
  }

  /** Rejects payloads over the limit before anything is written. */
  checkPayload(payload: string | undefined, what: string): void {
    if (payload === undefined) return
    const limit = this.session.maxPayloadBytes
    // A UTF-16 unit is at most 3 UTF-8 bytes: most payloads never need measuring.
    if (payload.length * 3 <= limit) return
    const bytes = new TextEncoder().encode(payload).length
    if (bytes > limit) {
      throw new PayloadTooLargeError(`${what} is ${bytes} bytes once serialised; the limit is ${limit} bytes (256 KiB)`)
    }
  }
}
