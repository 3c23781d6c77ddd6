/**
 * Talking to the sharded listing index from the Worker or from an execution object: which shard holds an
 * execution, and a listing that merges every shard's page into one (newest first, ties by id, with a cursor).
 */
import { Effect } from "effect"
import {
  compareSummaries,
  decodeCursor,
  type ExecutionSummary,
  type ListPage,
  type ListQuery,
  pageOf,
  pageSize,
  type StoreFailure,
  storeFailure
} from "reprise/store"
import type { DurableObjectNamespace } from "./cf-types.ts"
import type { IndexShard } from "./index-object.ts"

export const DEFAULT_INDEX_SHARDS = 4

/** FNV-1a over the id's UTF-16 code units: stable across runtimes and deployments. */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export const shardName = (index: number): string => `shard-${index}`

export interface IndexClient {
  readonly shards: number
  shardOf(executionId: string): string
  upsert(summary: ExecutionSummary, seq: number): Promise<void>
  remove(executionId: string): Promise<void>
  list(query: ListQuery): Effect.Effect<ListPage, StoreFailure>
}

export const makeIndexClient = (namespace: DurableObjectNamespace<IndexShard>, shards = DEFAULT_INDEX_SHARDS): IndexClient => {
  if (!Number.isSafeInteger(shards) || shards < 1) throw new TypeError("indexShards must be a positive integer")
  const shardOf = (executionId: string) => shardName(hash(executionId) % shards)
  const stub = (executionId: string) => namespace.getByName(shardOf(executionId))
  return {
    shards,
    shardOf,
    upsert: async (summary, seq) => void (await stub(summary.executionId).upsert(summary, seq)),
    remove: async (executionId) => void (await stub(executionId).remove(executionId)),
    list: (query) =>
      Effect.tryPromise({
        try: async () => {
          const size = pageSize(query.limit)
          const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
          if (query.cursor !== undefined && after === undefined) return { items: [] }
          // One row more than a page from every shard tells whether another page follows.
          const shardQuery = { functionName: query.functionName, status: query.status, version: query.version, after, limit: size + 1 }
          const pages = await Promise.all(
            Array.from({ length: shards }, (_, i) => namespace.getByName(shardName(i)).list(shardQuery))
          )
          return pageOf(pages.flat().sort(compareSummaries), { limit: size })
        },
        catch: storeFailure("list")
      })
  }
}
