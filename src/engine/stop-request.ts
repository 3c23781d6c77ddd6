/**
 * A stop that reaches an execution inside an open saga is first a request (ExecutionStopRequested): the saga
 * compensates, then the execution ends STOPPED (src/context/saga.ts). What the actor needs for it.
 */
import type { ExecutionState } from "../log/fold.ts"

/** What a stop writes now: a request while a saga's context is open (and none was made), else the stop itself. */
export const stopEventTag = (state: ExecutionState): "ExecutionStopRequested" | "ExecutionStopped" => {
  if (state.stopRequested !== undefined) return "ExecutionStopped" // a second stop ends it at once
  for (const op of state.operations.values()) if (op.subType === "Saga" && op.status === "STARTED") return "ExecutionStopRequested"
  return "ExecutionStopped"
}

/** The sagas waiting for a stop request (Session.whenStopRequested). */
export class StopRequestWaiters {
  #waiters: Array<() => void> = []

  when(state: ExecutionState): Promise<void> {
    if (state.stopRequested !== undefined) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }
}
