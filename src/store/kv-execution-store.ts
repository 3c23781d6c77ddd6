/**
 * An ExecutionStore over any DurableKV: one KV per execution (one Durable Object on Cloudflare).
 * Layout: "meta" holds the last seq and the summary; "e:<seq, zero-padded>" holds each encoded event.
 */
import { Effect } from "effect"
import { decodeLog, encodeEvents } from "../log/decode-log.ts"
import type { DurableKV } from "./durable-kv.ts"
import type { ExecutionIndex } from "./execution-index.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import { type ExecutionSummary, summarize } from "./execution-summary.ts"
import { SeqConflict } from "./store-errors.ts"

interface Meta {
  readonly seq: number
  readonly summary: ExecutionSummary
}

const EVENT_PREFIX = "e:"
export const eventKey = (seq: number): string => EVENT_PREFIX + String(seq).padStart(10, "0")

export interface KvExecutionStoreOptions {
  /** The KV that holds one execution; called again for the same id, it must return the same storage. */
  readonly open: (executionId: string) => DurableKV
  readonly index: ExecutionIndex
}

export const makeKvExecutionStore = ({ index, open }: KvExecutionStoreOptions): ExecutionStoreShape => ({
  load: (executionId) =>
    Effect.gen(function*() {
      const kv = open(executionId)
      const meta = (yield* kv.get("meta")) as Meta | undefined
      if (meta === undefined) return undefined
      const entries = yield* kv.list({ prefix: EVENT_PREFIX })
      const events = yield* decodeLog(executionId, entries.map(([, value]) => value))
      return { events, seq: meta.seq }
    }),

  append: (executionId, events, expectedSeq) =>
    Effect.gen(function*() {
      const encoded = yield* encodeEvents(executionId, events)
      const kv = open(executionId)
      const summary = yield* kv.transaction((tx) =>
        Effect.gen(function*() {
          const meta = (yield* tx.get("meta")) as Meta | undefined
          const actual = meta?.seq ?? 0
          if (actual !== expectedSeq) return yield* new SeqConflict({ executionId, expectedSeq, actualSeq: actual })
          const next = summarize(meta?.summary, events)
          const entries: Array<readonly [string, unknown]> = encoded.map((value, i) => [eventKey(expectedSeq + i + 1), value])
          if (next !== undefined) entries.push(["meta", { seq: expectedSeq + events.length, summary: next } satisfies Meta])
          yield* tx.putMany(entries)
          return next !== meta?.summary ? next : undefined
        })
      )
      if (summary !== undefined) yield* index.upsert(summary)
    }),

  setAlarm: (executionId, at) => open(executionId).setAlarm(at),
  getAlarm: (executionId) => open(executionId).getAlarm(),
  deleteAlarm: (executionId) => open(executionId).deleteAlarm(),
  list: (query) => index.list(query),
  summary: (executionId) => index.get(executionId),
  delete: (executionId) =>
    Effect.gen(function*() {
      yield* open(executionId).deleteAll()
      yield* index.remove(executionId)
    })
})
