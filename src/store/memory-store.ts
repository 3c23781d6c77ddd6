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
}

export const makeMemoryStore = (): MemoryStore => {
  const kvs = new Map<string, DurableKV>()
  const open = (executionId: string) => {
    let kv = kvs.get(executionId)
    if (kv === undefined) {
      kv = makeMemoryKV()
      kvs.set(executionId, kv)
    }
    return kv
  }
  return { ...makeKvExecutionStore({ open, index: makeMemoryIndex() }), kvs }
}

export const layerMemoryStore: Layer.Layer<ExecutionStore> = Layer.sync(ExecutionStore, makeMemoryStore)
