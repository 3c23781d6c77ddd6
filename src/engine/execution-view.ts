/** How an execution's folded state is shown to clients, and what a parent learns of an ended child. */
import type { ExecutionState, ExecutionStatus, OperationState } from "../log/fold.ts"
import type { ChildOutcome } from "./actor-messages.ts"
import type { ExecutionView } from "./execution-client.ts"

/**
 * The statuses of an execution shown as not ended (it may still write): what a start's `?wait` waits for, an event
 * stream follows, and the polled lifecycle feed lists. PAUSED and QUEUED have not ended.
 */
export const LIVE_STATUSES: ReadonlyArray<ExecutionStatus> = ["QUEUED", "RUNNING", "PAUSED"]

export const isLiveStatus = (status: string): boolean => (LIVE_STATUSES as ReadonlyArray<string>).includes(status)

/** The status a client is shown: PAUSED is a running execution held by a pause (the fold keeps it RUNNING). */
export const shownStatus = (state: ExecutionState): ExecutionStatus => state.paused && state.status === "RUNNING" ? "PAUSED" : state.status

/** The client's view; with `onlyOpen`, of the operations not ended only (EngineProbe.openView). */
export const viewOf = (state: ExecutionState, onlyOpen = false): ExecutionView => ({
  executionId: state.executionId,
  functionName: state.functionName,
  ...(state.version === undefined ? {} : { version: state.version }),
  status: shownStatus(state),
  ...(state.input === undefined ? {} : { input: state.input }),
  ...(state.result === undefined ? {} : { result: state.result }),
  ...(state.error === undefined ? {} : { error: state.error }),
  startedAt: state.startedAt,
  ...(state.forkedFrom === undefined ? {} : { forkedFrom: state.forkedFrom }),
  ...(state.continuedFrom === undefined ? {} : { continuedFrom: state.continuedFrom }),
  ...(state.continuedAs === undefined ? {} : { continuedAs: state.continuedAs }),
  ...(state.rewinds === 0 ? {} : { rewinds: state.rewinds }),
  ...(state.endedAt === undefined ? {} : { endedAt: state.endedAt }),
  // A running execution's operations change in place (fold.ts): the view copies them. An ended one's never change
  // again (its actor applies nothing more; a rewind folds a fresh state), so its view shares them: the ?wait answer
  // of an execution of 1,000 steps made 1,000 copies for nothing.
  operations: onlyOpen
    ? openOperations(state)
    : state.endedAt === undefined ? [...state.operations.values()].map((op) => ({ ...op })) : [...state.operations.values()]
})

const openOperations = (state: ExecutionState): Array<OperationState> => {
  const open: Array<OperationState> = []
  for (const op of state.operations.values()) if (op.status === "STARTED" || op.status === "PENDING") open.push({ ...op })
  return open
}

/**
 * A child's outcome for its parent (an execution that ended without a terminal status counts as failed). A run
 * that continued as new has no outcome of its own: callers follow `continuedAs` to the run that ends the chain.
 */
export const outcomeOf = (state: ExecutionState): ChildOutcome =>
  state.status === "SUCCEEDED"
    ? { status: "SUCCEEDED", ...(state.result === undefined ? {} : { result: state.result }) }
    : {
      status: state.status === "RUNNING" || state.status === "PAUSED" || state.status === "CONTINUED_AS_NEW" || state.status === "QUEUED" ? "FAILED" : state.status,
      ...(state.error === undefined ? {} : { error: state.error })
    }
