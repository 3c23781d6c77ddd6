/** An in-memory DurableKV: a map listed in key order, with atomic transactions, for tests and the test runner. */
import { Effect } from "effect"
import type { DurableKV, DurableKVOps, DurableKVTransaction, KvListOptions } from "./durable-kv.ts"

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

/** `onAlarm`: told every change of the alarm (undefined: deleted), so that a store of many KVs can index them. */
export const makeMemoryKV = (onAlarm?: (at: number | undefined) => void): DurableKV => {
  const data = new Map<string, unknown>()
  let alarm: number | undefined
  const setAlarm = (at: number | undefined) => {
    alarm = at
    onAlarm?.(at)
  }
  // A one-permit lock: uncontended acquisition (the usual case) never suspends. A release wakes the first waiter,
  // which then takes the lock itself, so that the lock is never handed to a fiber that has been interrupted; a
  // waiter interrupted after its wake passes the wake on. Taking the lock and arming its release are uninterruptible.
  let busy = false
  const waiters: Array<() => void> = []
  const release = Effect.sync(() => {
    busy = false
    waiters.shift()?.()
  })
  const leave = (wake: (() => void) | undefined) =>
    Effect.sync(() => {
      const i = wake === undefined ? -1 : waiters.indexOf(wake)
      if (i >= 0) waiters.splice(i, 1)
      else if (!busy) waiters.shift()?.()
    })
  const exclusive = <A, E>(body: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.uninterruptibleMask((restore) => {
      const attempt: Effect.Effect<A, E> = Effect.suspend(() => {
        if (!busy) {
          busy = true
          return Effect.ensuring(restore(body), release)
        }
        let wake: (() => void) | undefined
        const wait = Effect.callback<void>((resume) => {
          wake = () => resume(Effect.void)
          waiters.push(wake)
        })
        return Effect.andThen(Effect.onInterrupt(restore(wait), () => leave(wake)), attempt)
      })
      return attempt
    })

  const direct: DurableKVOps = {
    get: (key) => Effect.sync(() => data.get(key)),
    put: (key, value) => Effect.sync(() => void data.set(key, value)),
    putMany: (entries) => Effect.sync(() => { for (const [k, v] of entries) data.set(k, v) }),
    delete: (key) => Effect.sync(() => void data.delete(key)),
    list: (options) => Effect.sync(() => listEntries(data, options))
  }

  /**
   * Transactions write through and keep an undo log, rolled back if the body fails: cheaper than staging
   * when (as almost always) the body succeeds. Only one transaction runs at a time.
   */
  const transaction = <A, E>(body: (tx: DurableKVTransaction) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    exclusive(Effect.suspend(() => {
      // Previous values in write order; restored backwards, so a key written twice ends at its oldest value.
      const undo: Array<readonly [string, unknown]> = []
      const remember = (key: string) => void undo.push([key, data.has(key) ? data.get(key) : DELETED])
      const alarmBefore = alarm
      const tx: DurableKVTransaction = {
        setAlarm: (at) => Effect.sync(() => setAlarm(at)),
        get: direct.get,
        list: direct.list,
        put: (key, value) => Effect.sync(() => { remember(key); data.set(key, value) }),
        putMany: (entries) => Effect.sync(() => { for (const [k, v] of entries) { remember(k); data.set(k, v) } }),
        delete: (key) => Effect.sync(() => { remember(key); data.delete(key) })
      }
      return body(tx).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (exit._tag === "Success") return
            if (alarm !== alarmBefore) setAlarm(alarmBefore)
            for (let i = undo.length - 1; i >= 0; i--) {
              const [k, v] = undo[i]!
              if (v === DELETED) data.delete(k)
              else data.set(k, v)
            }
          })
        )
      )
    }))

  return {
    ...direct,
    // Single writes are already atomic; they still wait for a running transaction.
    put: (key, value) => exclusive(direct.put(key, value)),
    putMany: (entries) => exclusive(direct.putMany(entries)),
    delete: (key) => exclusive(direct.delete(key)),
    transaction,
    getAlarm: () => Effect.sync(() => alarm),
    setAlarm: (at) => Effect.sync(() => setAlarm(at)),
    deleteAlarm: () => Effect.sync(() => setAlarm(undefined)),
    deleteAll: () => exclusive(Effect.sync(() => { data.clear(); setAlarm(undefined) }))
  }
}
