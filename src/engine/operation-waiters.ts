/**
 * What user code waits on: the operations it waits to change (Session.whenChanged), and those it has awaited
 * (Session.markAwaited), which decide whether the handler is blocked (the actor's idle rule).
 */
import type { ExecutionState, OperationState } from "../log/fold.ts"

export class OperationWaiters {
  readonly #waiters = new Map<string, Array<(op: OperationState) => void>>()
  /** Operations whose promise user code has awaited (markAwaited): only waits on those block the handler. */
  readonly #awaited = new Set<string>()

  /** How many operations are waited on. */
  get size(): number {
    return this.#waiters.size
  }

  add(operationId: string, resolve: (op: OperationState) => void): void {
    const list = this.#waiters.get(operationId)
    if (list === undefined) this.#waiters.set(operationId, [resolve])
    else list.push(resolve)
  }

  markAwaited(operationId: string): void {
    this.#awaited.add(operationId)
  }

  /**
   * Lets the callers of an operation the actor ended itself (a callback completed, a wait that fired) go on, now or
   * at their turn (actor-session.ts, write-releases.ts `woke`). `shared`: an earlier append of the write was answered.
   */
  onWake: ((id: string, go: () => void, shared: boolean) => void) | undefined

  /** The operation changed: whoever waits on it goes on. */
  wake(id: string, state: ExecutionState, shared = false): void {
    const list = this.#waiters.get(id)
    if (list === undefined) return
    this.#waiters.delete(id)
    const op = state.operations.get(id)!
    const go = () => {
      for (const resolve of list) resolve(op)
    }
    if (this.onWake === undefined) go()
    else this.onWake(id, go, shared)
  }

  /** The execution ended or the actor went: the waits still open are abandoned, never resolved. */
  clear(): void {
    this.#waiters.clear()
  }

  /**
   * Code waits on a durable operation that user code has awaited, itself or through an enclosing context (as AWS's
   * SDK counts them: an operation started and never awaited does not hold the invocation).
   */
  blockHandler(): boolean {
    for (const id of this.#waiters.keys()) {
      for (let at: string | undefined = id; at !== undefined; at = parentOf(at)) if (this.#awaited.has(at)) return true
    }
    return false
  }
}

/** The enclosing context's id ("2-1" for "2-1-3"), or undefined at the root. */
const parentOf = (id: string): string | undefined => {
  const dash = id.lastIndexOf("-")
  return dash < 0 ? undefined : id.slice(0, dash)
}
