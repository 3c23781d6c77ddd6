/**
 * Group commit for the Deno KV store (issue 13): the writes of many executions share one atomic operation, and so one
 * KV commit (on a KV file, one SQLite transaction and one hop to KV's thread; a commit costs ~0.35 ms there whatever
 * it holds).
 *
 * `commit` stands in for `op.commit()`: it answers as KV would for the one write. At most one group is being
 * committed at a time. A write that comes while none is goes out at once, alone (no added latency for a lone
 * execution); those that come meanwhile wait, and go out together when it is done. A group stays within one atomic
 * operation's limits (kv-keys.ts KV_LIMITS: checks, mutations, bytes, key bytes) by the writes' own estimates, and
 * holds one write per execution, so that one execution's writes keep their order.
 *
 * KV does not say which check failed, so when a group fails a check (another writer moved one of its keys), or its
 * commit throws, each write is committed again on its own and answered with its own result: only the writes a
 * failure concerns see it. A write alone that throws is answered with what it threw.
 */
import type { AtomicOperation, Kv, KvCommitError, KvCommitResult } from "./deno-api.ts"
import { KV_LIMITS } from "./kv-keys.ts"

/** The estimated bytes of keys and values one group may hold: KV's limit less a margin for the estimates. */
export const GROUP_MAX_BYTES = 600_000
/** The estimated bytes of the keys one group sets (and checks, to err high): KV's 80 KiB less a margin. */
export const GROUP_MAX_KEY_BYTES = 72_000

/** One execution's write: its checks and mutations for an atomic operation, and what they count against KV's limits. */
export interface GroupedWrite {
  readonly executionId: string
  readonly checks: number
  /** Sets, deletes and enqueues. */
  readonly mutations: number
  /** An upper estimate of its keys' and values' serialised bytes. */
  readonly bytes: number
  /** An upper estimate of the bytes of the keys it sets, its checked keys counted too (deletes do not count). */
  readonly keyBytes: number
  readonly write: (op: AtomicOperation) => void
}

export type CommitResult = KvCommitResult | KvCommitError

export interface KvGroupCommitter {
  /** Commits the write, in a group when others wait too; resolves as `op.commit()` would for it alone. */
  commit(write: GroupedWrite): Promise<CommitResult>
  /** Writes waiting for the next group (not counting those being committed). */
  readonly waiting: number
}

interface Waiting {
  readonly write: GroupedWrite
  readonly resolve: (result: CommitResult) => void
  readonly reject: (error: unknown) => void
}

/** Takes from `queue` the next group: in order, one write per execution, within KV's limits (the first always). */
export const takeGroup = <W extends { readonly write: GroupedWrite }>(queue: Array<W>): Array<W> => {
  const group: Array<W> = []
  const later: Array<W> = []
  const ids = new Set<string>()
  let checks = 0
  let mutations = 0
  let bytes = 0
  let keyBytes = 0
  let full = false
  for (const waiting of queue) {
    const w = waiting.write
    full ||= group.length > 0 && (
      checks + w.checks > KV_LIMITS.checks || mutations + w.mutations > KV_LIMITS.mutations ||
      bytes + w.bytes > GROUP_MAX_BYTES || keyBytes + w.keyBytes > GROUP_MAX_KEY_BYTES
    )
    if (full || ids.has(w.executionId)) {
      later.push(waiting)
      continue
    }
    group.push(waiting)
    ids.add(w.executionId)
    checks += w.checks
    mutations += w.mutations
    bytes += w.bytes
    keyBytes += w.keyBytes
  }
  queue.length = 0
  for (const waiting of later) queue.push(waiting)
  return group
}

export const makeKvGroupCommitter = (kv: Kv): KvGroupCommitter => {
  const queue: Array<Waiting> = []
  let committing = false

  const alone = async (w: GroupedWrite): Promise<CommitResult> => {
    const op = kv.atomic()
    w.write(op)
    return op.commit()
  }

  const commitGroup = async (group: ReadonlyArray<Waiting>): Promise<void> => {
    if (group.length === 1) {
      const [only] = group
      return alone(only!.write).then(only!.resolve, only!.reject)
    }
    let result: CommitResult | undefined
    try {
      const op = kv.atomic()
      for (const waiting of group) waiting.write.write(op)
      result = await op.commit()
    } catch {
      result = undefined
    }
    if (result?.ok === true) {
      for (const waiting of group) waiting.resolve(result)
      return
    }
    // Not known whose check failed, or whose write threw: each again on its own, side by side, and all answered
    // before the next group goes (a write of one of these executions may wait in it).
    await Promise.all(group.map((waiting) => alone(waiting.write).then(waiting.resolve, waiting.reject)))
  }

  // Each round takes at least one write off the queue, and a write never goes back to it.
  const drain = async (): Promise<void> => {
    committing = true
    try {
      while (queue.length > 0) await commitGroup(takeGroup(queue))
    } finally {
      committing = false
    }
  }

  return {
    commit: (write) =>
      new Promise((resolve, reject) => {
        queue.push({ write, resolve, reject })
        if (!committing) void drain()
      }),
    get waiting() {
      return queue.length
    }
  }
}
