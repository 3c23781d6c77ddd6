/**
 * The DurableKV port: the shape of one Durable Object's storage (keys, ordered listing, transactions, one alarm).
 * One DurableKV holds one execution; an ExecutionStore is built over many of them (./kv-execution-store.ts).
 */
import type { Effect } from "effect"
import type { StoreFailure } from "./store-errors.ts"

export interface KvListOptions {
  readonly prefix?: string
  /** First key to include (inclusive). */
  readonly start?: string
  readonly limit?: number
}

export interface DurableKVOps {
  get(key: string): Effect.Effect<unknown, StoreFailure>
  put(key: string, value: unknown): Effect.Effect<void, StoreFailure>
  putMany(entries: ReadonlyArray<readonly [string, unknown]>): Effect.Effect<void, StoreFailure>
  delete(key: string): Effect.Effect<void, StoreFailure>
  /** Entries in key order. */
  list(options: KvListOptions): Effect.Effect<ReadonlyArray<readonly [string, unknown]>, StoreFailure>
}

/** Inside a transaction: the key operations, and the alarm, which lands (or not) with the keys. */
export interface DurableKVTransaction extends DurableKVOps {
  setAlarm(at: number): Effect.Effect<void, StoreFailure>
}

export interface DurableKV extends DurableKVOps {
  /** Runs `body` atomically: all of its writes land, or none do. Transactions never interleave. */
  transaction<A, E>(body: (tx: DurableKVTransaction) => Effect.Effect<A, E>): Effect.Effect<A, E | StoreFailure>
  getAlarm(): Effect.Effect<number | undefined, StoreFailure>
  setAlarm(at: number): Effect.Effect<void, StoreFailure>
  deleteAlarm(): Effect.Effect<void, StoreFailure>
  /** Removes every key and the alarm. */
  deleteAll(): Effect.Effect<void, StoreFailure>
}
