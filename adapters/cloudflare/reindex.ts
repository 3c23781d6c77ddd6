/**
 * Rebuilding the listing index from the execution objects (the logs are the truth; rows are derived). It walks
 * every row of the shards (the current ones, or `fromShards` old ones after a change of shard count), asks each
 * execution's object to publish its summary again, and drops rows whose execution no longer exists.
 *
 * Rows that a crash kept from ever being written come back without this: an execution object publishes whenever
 * it wakes up (any call or alarm) and finds its row behind, and every execution has an alarm (its timeout while it
 * runs, its retention once it has ended).
 */
import type { RepriseEnv } from "./env.ts"
import { shardName } from "./index-client.ts"
import type { IndexClient } from "./index-client.ts"

export interface ReindexReport {
  readonly scanned: number
  readonly republished: number
  readonly removed: number
}

const PAGE = 200

export const reindex = async (env: RepriseEnv, index: IndexClient, fromShards = index.shards): Promise<ReindexReport> => {
  let scanned = 0
  let republished = 0
  let removed = 0
  for (let i = 0; i < fromShards; i++) {
    const name = shardName(i)
    const shard = env.EXECUTION_INDEX.getByName(name)
    let after: { startedAt: number; executionId: string } | undefined
    for (;;) {
      const rows = await shard.list({ limit: PAGE, after })
      for (const row of rows) {
        scanned++
        const answer = await env.EXECUTIONS.getByName(row.executionId).republish(row.executionId)
        const exists = answer._tag === "Success" && answer.value
        if (exists) republished++
        // A row left behind: the execution is gone, or now belongs to another shard.
        if (!exists || index.shardOf(row.executionId) !== name) {
          await shard.remove(row.executionId)
          if (!exists) removed++
        }
      }
      if (rows.length < PAGE) break
      const last = rows[rows.length - 1]!
      after = { startedAt: last.startedAt, executionId: last.executionId }
    }
  }
  return { scanned, republished, removed }
}

/** The route's entry in the OpenAPI document, which the Worker adds to the API's own (only a Worker serves it). */
export const REINDEX_OPERATION = {
  operationId: "reindex",
  summary: "Workers only: rebuild the listing index from the execution objects; after a change of indexShards, read the old shards with fromShards",
  parameters: [{ name: "fromShards", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1024 } }],
  responses: {
    "200": { description: "{ scanned, republished, removed }", content: { "application/json": { schema: { type: "object" } } } },
    "400": { description: "fromShards is not a whole number from 1 to 1024 (problem+json)" },
    "401": { description: "No or a wrong API key (problem+json)" },
    "403": { description: "A cross-site write (problem+json)" },
    "415": { description: "Not application/json (problem+json)" }
  }
}
