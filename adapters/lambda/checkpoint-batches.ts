/**
 * Splitting a run of operation updates into checkpoint calls within the service's limits: at most 250 updates
 * and 750 KB per call, and one update per operation per call, except that a STEP or CONTEXT may be started and
 * closed in the same call (what AWS's SDK sends for every default step). Order is kept, so a context's START
 * always travels before (or with) its children's updates.
 */
import type { OperationUpdate } from "./wire.ts"

export const MAX_UPDATES_PER_CHECKPOINT = 250
export const MAX_CHECKPOINT_BYTES = 750 * 1024

const mayFollow = (previous: OperationUpdate, next: OperationUpdate) =>
  (previous.Type === "STEP" || previous.Type === "CONTEXT") && previous.Action === "START" && next.Action !== "START"

export const batchUpdates = (
  updates: ReadonlyArray<OperationUpdate>,
  overheadBytes: number,
  limits: { readonly maxUpdates?: number; readonly maxBytes?: number } = {}
): Array<Array<OperationUpdate>> => {
  const maxUpdates = limits.maxUpdates ?? MAX_UPDATES_PER_CHECKPOINT
  const maxBytes = limits.maxBytes ?? MAX_CHECKPOINT_BYTES
  const batches: Array<Array<OperationUpdate>> = []
  let batch: Array<OperationUpdate> = []
  let bytes = overheadBytes
  let seen = new Map<string, OperationUpdate>()
  for (const update of updates) {
    const size = Buffer.byteLength(JSON.stringify(update), "utf8")
    const previous = seen.get(update.Id)
    const full = batch.length >= maxUpdates || bytes + size > maxBytes
    if (batch.length > 0 && (full || (previous !== undefined && !mayFollow(previous, update)))) {
      batches.push(batch)
      batch = []
      bytes = overheadBytes
      seen = new Map()
    }
    batch.push(update)
    bytes += size
    seen.set(update.Id, update)
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}
