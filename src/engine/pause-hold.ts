/**
 * What a pause holds (design.md §4): user code at each new operation (Session.whenResumed), and the handler's
 * outcome if it returns meanwhile. The actor releases both once `ExecutionResumed` is written.
 */
import type { ExecutionState } from "../log/fold.ts"
import type { HandlerExit } from "./execution-outcome.ts"

export class PauseHold {
  /** User code held at a new operation while the execution is paused. */
  #waiters: Array<() => void> = []
  /** The handler's outcome when it returned while the execution was paused. */
  exit: HandlerExit | undefined

  /** Something is held: the handler can go no further by itself. */
  get holding(): boolean {
    return this.#waiters.length > 0 || this.exit !== undefined
  }

  whenResumed(state: ExecutionState, gone: boolean): Promise<void> {
    if (gone) return new Promise(() => undefined)
    if (!state.paused) return Promise.resolve()
    return new Promise((resolve) => void this.#waiters.push(resolve))
  }

  /** Held user code goes on (the held outcome is the actor's to write). */
  release(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }

  /** The actor went: held user code is abandoned. */
  drop(): void {
    this.#waiters = []
  }
}
