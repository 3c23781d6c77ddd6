/**
 * Log heads the SQLite store remembers, so that an append need not read its head (issue 13): the seq and summary
 * each execution's last committed append left. A head is taken in only once its transaction has committed (a
 * rolled-back group leaves none), the oldest are forgotten past `max`, and all are forgotten as soon as another
 * connection has committed to the file (`PRAGMA data_version`, read once per write transaction), since it may have
 * moved any of them. So a remembered head is always the stored one; the conditional append stays exact.
 */
import type { LogHead } from "reprise/store"

export interface HeadCache {
  /** The head this connection's last append to the execution left (in the open transaction too), if still known. */
  get(executionId: string): LogHead | undefined
  /** Called at the start of each write transaction with the file's data_version (stamps other connections' commits). */
  begin(dataVersion: number): void
  /** The head an append of the open transaction leaves: taken in at `commit`, dropped at `rollback`. */
  stage(executionId: string, head: LogHead): void
  commit(): void
  rollback(): void
  /** Forgets one execution's head (it was deleted). */
  forget(executionId: string): void
}

export const makeHeadCache = (max: number): HeadCache => {
  const heads = new Map<string, LogHead>()
  const staged = new Map<string, LogHead>()
  let seenVersion: number | undefined
  return {
    get: (executionId) => staged.get(executionId) ?? heads.get(executionId),
    begin: (dataVersion) => {
      staged.clear()
      if (dataVersion !== seenVersion) heads.clear()
      seenVersion = dataVersion
    },
    stage: (executionId, head) => {
      if (max > 0) staged.set(executionId, head)
    },
    commit: () => {
      for (const [executionId, head] of staged) {
        heads.delete(executionId) // to the newest end, so the oldest are forgotten first
        heads.set(executionId, head)
      }
      staged.clear()
      while (heads.size > max) heads.delete(heads.keys().next().value!)
    },
    rollback: () => staged.clear(),
    forget: (executionId) => void heads.delete(executionId)
  }
}
