/** An in-memory DurableKV: a sorted map with copy-on-commit transactions, for tests and the test runner. */
import { Effect, Semaphore } from "effect"
import type { DurableKV, DurableKVOps, KvListOptions } from "./durable-kv.ts"

const DELETED = Symbol("deleted")

const listEntries = (data: Map<string, unknown>, options: KvListOptions) => {
  const prefix = options.prefix ?? ""
  const keys: Array<string> = []
  for (const key of data.keys()) {
    if (key.startsWith(prefix) && (options.start === undefined || key >= options.start)) keys.push(key)
  }
  keys.sort()
  const limited = options.limit === undefined ? keys : keys.slice(0, options.limit)
  return limited.map((key) => [key, data.get(key)] as const)
}

export const makeMemoryKV = (): DurableKV => {
  const data = new Map<string, unknown>()
  let alarm: number | undefined
  const lock = Semaphore.makeUnsafe(1)

  const direct: DurableKVOps = {
    get: (key) => Effect.sync(() => data.get(key)),
    put: (key, value) => Effect.sync(() => void data.set(key, value)),
    putMany: (entries) => Effect.sync(() => { for (const [k, v] of entries) data.set(k, v) }),
    delete: (key) => Effect.sync(() => void data.delete(key)),
    list: (options) => Effect.sync(() => listEntries(data, options))
  }

  const transaction = <A, E>(body: (tx: DurableKVOps) => Effect.Effect<A, E>) =>
    lock.withPermit(Effect.suspend(() => {
      const staged = new Map<string, unknown>()
      const read = (key: string) => {
        const value = staged.has(key) ? staged.get(key) : data.get(key)
        return value === DELETED ? undefined : value
      }
      const tx: DurableKVOps = {
        get: (key) => Effect.sync(() => read(key)),
        put: (key, value) => Effect.sync(() => void staged.set(key, value)),
        putMany: (entries) => Effect.sync(() => { for (const [k, v] of entries) staged.set(k, v) }),
        delete: (key) => Effect.sync(() => void staged.set(key, DELETED)),
        list: (options) => Effect.sync(() => {
          const merged = new Map(data)
          for (const [k, v] of staged) {
            if (v === DELETED) merged.delete(k)
            else merged.set(k, v)
          }
          return listEntries(merged, options)
        })
      }
      return Effect.tap(body(tx), () =>
        Effect.sync(() => {
          for (const [k, v] of staged) {
            if (v === DELETED) data.delete(k)
            else data.set(k, v)
          }
        }))
    }))

  return {
    ...direct,
    // Single writes are already atomic; they still wait for a running transaction.
    put: (key, value) => lock.withPermit(direct.put(key, value)),
    putMany: (entries) => lock.withPermit(direct.putMany(entries)),
    delete: (key) => lock.withPermit(direct.delete(key)),
    transaction,
    getAlarm: () => Effect.sync(() => alarm),
    setAlarm: (at) => Effect.sync(() => { alarm = at }),
    deleteAlarm: () => Effect.sync(() => { alarm = undefined }),
    deleteAll: () => lock.withPermit(Effect.sync(() => { data.clear(); alarm = undefined }))
  }
}
