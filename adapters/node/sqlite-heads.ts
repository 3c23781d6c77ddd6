/**
 * Log heads the SQLite store remembers, so that an append need not read its head (issue 13): the seq and summary
 * each execution's last committed append left. What a transaction changed is put back if it rolls back (a
 * rolled-back group leaves nothing), the first remembered are forgotten past `max`, and all are forgotten as soon as
 * another connection has committed to the file (`PRAGMA data_version`, read once per write transaction), since it
 * may have moved any of them. So a remembered head is always the stored one; the conditional append stays exact.
 */
import type { LogHead } from "reprise/store"

export interface HeadCache {
  /** The head this connection's last append to the execution left (in the open transaction too), if still known. */
  get(executionId: string): LogHead | undefined
  /** Called at the start of each write transaction with the file's data_version (stamps other connections' commits). */
  begin(dataVersion: number): void
  /** The head an append of the open transaction leaves: kept at `commit`, undone at `rollback`. */
  stage(executionId: string, head: LogHead): void
  commit(): void
  rollback(): void
  /** Forgets one execution's head (it was deleted). */
  forget(executionId: string): void
}

export const makeHeadCache = (max: number): HeadCache => {
  const heads = new Map<string, LogHead>()
  /**
   * What the open transaction replaced, to put back if it rolls back (undefined: there was none): the first
   * `staged` entries of two arrays kept from one transaction to the next (no pair, no new array, per append).
   */
  const undoIds: Array<string> = []
  const undoHeads: Array<LogHead | undefined> = []
  let staged = 0
  let seenVersion: number | undefined
  return {
    get: (executionId) => heads.get(executionId),
    begin: (dataVersion) => {
      staged = 0
      if (dataVersion !== seenVersion) heads.clear()
      seenVersion = dataVersion
    },
    stage: (executionId, head) => {
      if (max === 0) return
      undoIds[staged] = executionId
      undoHeads[staged] = heads.get(executionId)
      staged++
      heads.set(executionId, head)
    },
    commit: () => {
      staged = 0
      // The first remembered are forgotten first (a forgotten head costs its next append one read).
      if (heads.size > max) for (const executionId of heads.keys()) if (heads.delete(executionId) && heads.size <= max) break
    },
    rollback: () => {
      for (let i = staged - 1; i >= 0; i--) {
        const executionId = undoIds[i]!
        const previous = undoHeads[i]
        if (previous === undefined) heads.delete(executionId)
        else heads.set(executionId, previous)
      }
      staged = 0
    },
    forget: (executionId) => void heads.delete(executionId)
  }
}
