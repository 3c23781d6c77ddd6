/**
 * The DurableKV port over one Durable Object's SQLite-backed storage (docs/design.md §5): the synchronous KV API
 * (`ctx.storage.kv`) for keys, `transactionSync` for transactions, and the object's single alarm. Every storage
 * error comes out as a StoreFailure.
 *
 * A transaction body must be synchronous (it is run with `Effect.runSyncExit` inside `transactionSync`); the
 * generic KV execution store's bodies are. A body that fails rolls back all of its writes.
 */
import { Effect, Exit } from "effect"
import {
  attemptStore as attempt,
  attemptStorePromise as attemptPromise,
  type DurableKV,
  type DurableKVOps,
  type DurableKVTransaction,
  type KvListOptions,
  type StoreFailure,
  storeFailure
} from "reprise/store"
import type { DurableObjectStorage } from "./cf-types.ts"

export interface DurableObjectKV extends DurableKV {
  /** The alarm this KV last set (undefined after deleteAlarm or deleteAll): what the engine believes is armed. */
  readonly lastAlarm: () => number | undefined
}

/** Thrown inside transactionSync to roll back a body that failed; never escapes. */
const ROLLBACK = Symbol("rollback")

export interface DurableObjectKVOptions {
  /**
   * Runs inside each transaction whose body succeeded, before it commits, with what the body gave: an alarm it sets
   * lands with it.
   */
  readonly inTransaction?: (value: unknown) => void
  /**
   * The latest the object's alarm may be, if any: an alarm the KV sets later is set at this time instead (and a
   * deletion sets it here), while `lastAlarm` keeps what was asked (catch-up-alarm.ts).
   */
  readonly alarmCeiling?: () => number | undefined
}

export const makeDurableObjectKV = (storage: DurableObjectStorage, options: DurableObjectKVOptions = {}): DurableObjectKV => {
  const kv = storage.kv
  let lastAlarm: number | undefined
  const capped = (at: number): number => {
    const ceiling = options.alarmCeiling?.()
    return ceiling !== undefined && ceiling < at ? ceiling : at
  }

  const list = (options: KvListOptions) => {
    const query: { prefix?: string; start?: string; limit?: number } = {}
    if (options.prefix !== undefined) query.prefix = options.prefix
    if (options.start !== undefined) query.start = options.start
    if (options.limit !== undefined) query.limit = options.limit
    return Array.from(kv.list(query), ([key, value]) => [key, value] as const)
  }

  const putMany = (entries: ReadonlyArray<readonly [string, unknown]>) => {
    for (const [key, value] of entries) kv.put(key, value)
  }

  const ops: DurableKVOps = {
    get: (key) => attempt("get", () => kv.get(key)),
    put: (key, value) => attempt("put", () => kv.put(key, value)),
    // Several keys at once are written in one transaction, so they land together.
    putMany: (entries) => attempt("putMany", () => storage.transactionSync(() => putMany(entries))),
    delete: (key) => attempt("delete", () => void kv.delete(key)),
    list: (options) => attempt("list", () => list(options))
  }

  /**
   * Inside a transaction: plain synchronous calls (transactionSync already makes them atomic). The alarm is kept in
   * the object's storage like its keys, so one set inside commits and rolls back with them; its promise settles
   * with the transaction (a failure there fails the transaction).
   */
  const inTransaction: DurableKVTransaction = {
    setAlarm: (at) =>
      Effect.sync(() => {
        lastAlarm = at
        storage.setAlarm(capped(at)).catch(() => undefined)
      }),
    get: (key) => Effect.sync(() => kv.get(key)),
    put: (key, value) => Effect.sync(() => kv.put(key, value)),
    putMany: (entries) => Effect.sync(() => putMany(entries)),
    delete: (key) => Effect.sync(() => void kv.delete(key)),
    list: (options) => Effect.sync(() => list(options))
  }

  const transaction = <A, E>(body: (tx: DurableKVTransaction) => Effect.Effect<A, E>): Effect.Effect<A, E | StoreFailure> =>
    Effect.suspend((): Effect.Effect<A, E | StoreFailure> => {
      let exit: Exit.Exit<A, E> | undefined
      const alarmBefore = lastAlarm
      try {
        storage.transactionSync(() => {
          exit = Effect.runSyncExit(body(inTransaction))
          if (Exit.isFailure(exit)) throw ROLLBACK
          options.inTransaction?.(exit.value)
        })
      } catch (error) {
        lastAlarm = alarmBefore
        if (error !== ROLLBACK) return Effect.fail(storeFailure("transaction")(error))
      }
      return exit!
    })

  return {
    ...ops,
    transaction,
    lastAlarm: () => lastAlarm,
    getAlarm: () => attemptPromise("getAlarm", async () => (await storage.getAlarm()) ?? undefined),
    setAlarm: (at) =>
      attemptPromise("setAlarm", async () => {
        lastAlarm = at
        await storage.setAlarm(capped(at))
      }),
    deleteAlarm: () =>
      attemptPromise("deleteAlarm", async () => {
        lastAlarm = undefined
        const ceiling = options.alarmCeiling?.()
        await (ceiling === undefined ? storage.deleteAlarm() : storage.setAlarm(ceiling))
      }),
    deleteAll: () =>
      attemptPromise("deleteAll", async () => {
        lastAlarm = undefined
        await storage.deleteAlarm()
        await storage.deleteAll()
      })
  }
}
