/**
 * Map and parallel batches that have completed, per session. A batch that completes early (minSuccessful, a
 * tolerance exceeded, a custom policy) leaves its other items running: as in AWS's SDK (which makes their later
 * checkpoints no-ops), those items start no new operation once it completed, and what they were doing then (a step
 * body running, their own end) is not recorded (step.ts, child-context.ts). Before, a warm actor let them go on
 * (a "first quote wins" race still called the slow provider after its wait), while a replay, which does not drive
 * them again, did not: the history and the side effects depended on whether the actor had stayed in memory.
 */
import type { Session } from "./session.ts"

const finished = new WeakMap<Session, Set<string>>()

/** Marks the batch operation `batchId` completed: nothing inside it starts from now on. */
export const markBatchFinished = (session: Session, batchId: string): void => {
  let ids = finished.get(session)
  if (ids === undefined) finished.set(session, (ids = new Set()))
  ids.add(batchId)
}

/** Whether operations of the context `parentId` (an item's, or one below it) belong to a completed batch. */
export const underFinishedBatch = (session: Session, parentId: string | undefined): boolean => {
  const ids = finished.get(session)
  if (ids === undefined || parentId === undefined) return false
  // Positional ids: the batch "3" holds "3-1", "3-1-2" … (a FLAT item's virtual context too).
  for (let id = parentId; ;) {
    if (ids.has(id)) return true
    const dash = id.lastIndexOf("-")
    if (dash < 0) return false
    id = id.slice(0, dash)
  }
}
