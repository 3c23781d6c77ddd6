/** Who awaits an execution's end (ExecutionClient.awaitEnd): woken when it ends, dropped when they give up. */
import { Effect } from "effect"

export class EndWaiters {
  readonly #waiters = new Map<string, Array<() => void>>()

  /** Waits until `wake(executionId)`; the wait is left cleanly when interrupted (a timeout). */
  wait(executionId: string): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const list = this.#waiters.get(executionId) ?? []
      const wake = () => resume(Effect.void)
      list.push(wake)
      this.#waiters.set(executionId, list)
      return Effect.sync(() => {
        const remaining = this.#waiters.get(executionId)?.filter((w) => w !== wake) ?? []
        if (remaining.length === 0) this.#waiters.delete(executionId)
        else this.#waiters.set(executionId, remaining)
      })
    })
  }

  wake(executionId: string): void {
    const waiters = this.#waiters.get(executionId)
    this.#waiters.delete(executionId)
    for (const wake of waiters ?? []) wake()
  }
}
