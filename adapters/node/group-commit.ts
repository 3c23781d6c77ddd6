/**
 * Group commit for the SQLite store (issue 13): the appends that arrive during one turn of the event loop, from any
 * number of executions, are written in one transaction at the end of the turn (setImmediate), so that they share
 * one commit (and, with synchronous=FULL, one fsync). Each append is answered only after that commit.
 *
 * A conditional append that is refused (SeqConflict, LogCorrupted) writes nothing and is answered with its refusal;
 * the others in the group are unaffected, since the check runs before any row of that append is written. When the
 * transaction itself throws (a full disk, a constraint, a failed COMMIT), it is rolled back and the group is
 * written again one append per transaction, so that a failure reaches only the appends it belongs to.
 *
 * Waiting for the end of the turn costs a lone execution a loop turn per step (measured on a busy 2-core machine:
 * ~1.4x the CPU per step of W1), for nothing to share. So the committer starts writing each append at once, and groups only once a second
 * execution appends in the same turn; after QUIET_GROUPS groups of one in a row it writes at once again.
 */

/** Groups of a single append in a row after which appends are written at once again. */
export const QUIET_GROUPS = 8

/** One append waiting for the group's commit. */
export interface PendingAppend<R> {
  readonly executionId: string
  /** Checks and writes the append inside the open transaction; returns its refusal, or undefined when written. */
  readonly write: () => R | undefined
  /** Told once the outcome is final: undefined (durable), the refusal, or what the transaction threw. */
  readonly done: (outcome: { readonly refused?: R; readonly thrown?: unknown }) => void
}

export interface GroupCommitter<R> {
  /**
   * Whether an append of this execution is to be written at once, in its own transaction (no other execution has
   * appended this turn, and the last groups were of one); else it is to be submitted.
   */
  atOnce(executionId: string): boolean
  /** Queues an append for this turn's commit. */
  submit(append: PendingAppend<R>): void
  /** Commits what is queued now (before closing the database, or where a caller needs it written synchronously). */
  flush(): void
  /** Appends queued and not yet committed. */
  readonly queued: number
  /** Whether appends now wait for the end of the turn (several executions append at once). */
  readonly grouping: boolean
}

export interface Transaction {
  begin(): void
  commit(): void
  /** Rolls back the open transaction, if any. */
  rollback(): void
}

export const makeGroupCommitter = <R>(tx: Transaction): GroupCommitter<R> => {
  let queue: Array<PendingAppend<R>> = []
  let scheduled: NodeJS.Immediate | undefined
  let grouping = false
  let quietGroups = 0
  /** The one execution that has appended (at once) during this turn, if any; cleared at the turn's end. */
  let alone: string | undefined
  const endTurn = () => {
    alone = undefined
  }

  /** Writes `group` in one transaction; returns each append's refusal, or throws (rolled back). */
  const writeGroup = (group: ReadonlyArray<PendingAppend<R>>): Array<R | undefined> => {
    tx.begin()
    try {
      const refusals = group.map((append) => append.write())
      tx.commit()
      return refusals
    } catch (error) {
      tx.rollback()
      throw error
    }
  }

  const flush = (): void => {
    if (scheduled !== undefined) clearImmediate(scheduled)
    scheduled = undefined
    const group = queue
    queue = []
    if (group.length === 0) return
    quietGroups = group.length === 1 ? quietGroups + 1 : 0
    if (quietGroups >= QUIET_GROUPS) grouping = false
    let refusals: Array<R | undefined> | undefined
    try {
      refusals = writeGroup(group)
    } catch (error) {
      if (group.length === 1) return group[0]!.done({ thrown: error })
    }
    if (refusals !== undefined) {
      for (let i = 0; i < group.length; i++) group[i]!.done(refusals[i] === undefined ? {} : { refused: refusals[i]! })
      return
    }
    // The group failed as a whole: each append again on its own, so that only the failing ones fail.
    for (const append of group) {
      let refused: R | undefined
      try {
        refused = writeGroup([append])[0]
      } catch (thrown) {
        append.done({ thrown })
        continue
      }
      append.done(refused === undefined ? {} : { refused })
    }
  }

  return {
    atOnce: (executionId) => {
      if (grouping) return false
      if (alone === undefined) {
        alone = executionId
        setImmediate(endTurn)
        return true
      }
      if (alone === executionId) return true
      grouping = true
      quietGroups = 0
      return false
    },
    submit: (append) => {
      queue.push(append)
      scheduled ??= setImmediate(flush)
    },
    flush,
    get queued() {
      return queue.length
    },
    get grouping() {
      return grouping
    }
  }
}
