/** The in-memory ExecutionStore: the generic KV store over one in-memory DurableKV per execution. */
import { Layer } from "effect"
import type { DurableKV } from "./durable-kv.ts"
import { makeMemoryIndex } from "./execution-index.ts"
import { ExecutionStore, type ExecutionStoreShape } from "./execution-store.ts"
import { makeKvExecutionStore } from "./kv-execution-store.ts"
import { makeMemoryKV } from "./memory-kv.ts"

export interface MemoryStore extends ExecutionStoreShape {
  /** Every execution's KV, for tests that inspect or damage stored data. */
  readonly kvs: ReadonlyMap<string, DurableKV>
  /**
   * Every execution's alarm, kept as the KVs set it: what the in-memory host reads for its next and due alarms
   * without loading each execution (an Effect per execution made each read O(executions): 8-22 ms for a wake-up
   * after 4,000 executions, bench/workloads.ts W3).
   */
  readonly alarms: ReadonlyMap<string, number>
}

export const makeMemoryStore = (): MemoryStore => {
  const kvs = new Map<string, DurableKV>()
  const alarms = new Map<string, number>()
  const open = (executionId: string) => {
    let kv = kvs.get(executionId)
    if (kv === undefined) {
      kv = makeMemoryKV((at) => void (at === undefined ? alarms.delete(executionId) : alarms.set(executionId, at)))
      kvs.set(executionId, kv)
    }
    return kv
  }
  return { ...makeKvExecutionStore({ open, index: makeMemoryIndex() }), kvs, alarms }
}

export const layerMemoryStore: Layer.Layer<ExecutionStore> = Layer.sync(ExecutionStore, makeMemoryStore)
