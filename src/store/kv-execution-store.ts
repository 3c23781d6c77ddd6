/**
 * An ExecutionStore over any DurableKV: one KV per execution (one Durable Object on Cloudflare).
 * Layout: "meta" holds the last seq and the summary; "e:<seq, zero-padded>" holds each encoded event.
 */
import { Effect, Result } from "effect"
import { decodeLog, decodeLogPage, encodeEvents } from "../log/decode-log.ts"
import { LogCorrupted } from "../log/log-corrupted.ts"
import { checkAppend, EMPTY_HEAD } from "./append-checks.ts"
import type { DurableKV } from "./durable-kv.ts"
import type { ExecutionIndex } from "./execution-index.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import type { ExecutionSummary } from "./execution-summary.ts"
import type { SeqConflict, StoreFailure } from "./store-errors.ts"

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
      // Only the events that meta vouches for: any beyond it belong to an append that landed after meta was read.
      const entries = yield* kv.list({ prefix: EVENT_PREFIX, limit: meta.seq })
      const events = yield* decodeLog(executionId, entries.map(([, value]) => value))
      if (events.length !== meta.seq) {
        const reason = `the log ends at seq ${events.length}, but its metadata says ${meta.seq} (truncated log)`
        return yield* new LogCorrupted({ executionId, seq: events.length + 1, reason })
      }
      return { events, seq: meta.seq }
    }),

  readPage: (executionId, afterSeq, limit) =>
    Effect.gen(function*() {
      const kv = open(executionId)
      const meta = (yield* kv.get("meta")) as Meta | undefined
      if (meta === undefined) return undefined
      const count = Math.min(limit, meta.seq - afterSeq)
      if (count <= 0) return []
      // Only events that meta vouches for, as in load.
      const entries = yield* kv.list({ prefix: EVENT_PREFIX, start: eventKey(afterSeq + 1), limit: count })
      return yield* decodeLogPage(executionId, entries.map(([, value]) => value), afterSeq + 1)
    }),

  // The hot path of every step: written with flatMap rather than generators, which cost more here.
  append: (executionId, events, expectedSeq, options) =>
    Effect.flatMap(encodeEvents(executionId, events), (encoded) =>
      open(executionId).transaction((tx) =>
        Effect.flatMap(tx.get("meta"), (stored): Effect.Effect<ExecutionSummary | undefined, SeqConflict | LogCorrupted | StoreFailure> => {
          const meta = stored as Meta | undefined
          const checked = checkAppend(executionId, meta ?? EMPTY_HEAD, events, expectedSeq)
          if (Result.isFailure(checked)) return Effect.fail(checked.failure)
          const summary = checked.success
          const entries: Array<readonly [string, unknown]> = new Array(encoded.length + 1)
          for (let i = 0; i < encoded.length; i++) entries[i] = [eventKey(expectedSeq + i + 1), encoded[i]]
          entries[encoded.length] = ["meta", { seq: expectedSeq + events.length, summary } satisfies Meta]
          const written = options?.alarmAt === undefined ? tx.putMany(entries) : Effect.andThen(tx.putMany(entries), tx.setAlarm(options.alarmAt))
          return Effect.as(written, summary !== meta?.summary ? summary : undefined)
        })
      ).pipe(
        Effect.flatMap((changed) => (changed === undefined ? Effect.void : index.upsert(changed))),
        Effect.as(events)
      )
    ),

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
