/** When each kind of operation next needs the clock: the input to the execution's single alarm. */
import type { ExecutionState, OperationState } from "../log/fold.ts"

export const dueAt = (op: OperationState): number | undefined => {
  switch (op.type) {
    case "WAIT":
      return op.status === "STARTED" ? op.until : undefined
    case "CALLBACK": {
      if (op.status !== "STARTED") return undefined
      const heartbeat = op.heartbeatTimeoutMs === undefined ? undefined : (op.lastHeartbeatAt ?? op.startedAt) + op.heartbeatTimeoutMs
      if (op.timeoutAt === undefined) return heartbeat
      return heartbeat === undefined ? op.timeoutAt : Math.min(op.timeoutAt, heartbeat)
    }
    case "STEP":
      return op.status === "PENDING" ? op.nextAttemptAt : undefined
    default:
      return undefined
  }
}

export const earliest = (ids: ReadonlySet<string>, state: ExecutionState): number | undefined => {
  if (ids.size === 0) return undefined // most writes: no timer, and no iterator to make
  let min: number | undefined
  for (const id of ids) {
    const op = state.operations.get(id)
    const due = op === undefined ? undefined : dueAt(op)
    if (due !== undefined && (min === undefined || due < min)) min = due
  }
  return min
}
