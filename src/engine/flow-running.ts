/**
 * Which RUNNING executions held a concurrency slot when their host went down: read from their logs at a restart,
 * since the slots were the dead host's (in its memory, or in a ledger row that lapses with it). Those get a slot
 * held for them before the queue moves (flow-control.ts in memory, flow-shared.ts over a ledger).
 */
import type { ExecutionState } from "../log/fold.ts"

/** Whether an execution's log shows it running user code (a step attempt in flight, or nothing durable pending). */
export const wasRunningUserCode = (state: ExecutionState): boolean => {
  let inFlight = false
  let blocked = false
  for (const op of state.operations.values()) {
    if (op.type === "STEP" && op.status === "STARTED") inFlight = true
    else if (op.status === "PENDING" || (op.status === "STARTED" && (op.type === "WAIT" || op.type === "CALLBACK" || op.type === "CHAINED_INVOKE"))) blocked = true
  }
  return inFlight || (!blocked && !state.paused)
}

/** RUNNING executions of one limited function read at a restart for their slots (pages of 1,000). */
export const MAX_RUNNING_PAGES = 10
