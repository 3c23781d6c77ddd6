/**
 * The SQLite store as the host's ports (src/host): the ExecutionStore (its setAlarm re-arming the timer), the
 * AlarmStore over the synchronous alarm index, HostMetadata over the meta table, the timer as the WakeUpSource.
 * Releasing the layer closes the database, after everything the host built on it.
 */
import { Effect, Layer } from "effect"
import { AlarmStore, HostMetadata, type HostPorts, WakeUpSource } from "reprise/host"
import { ExecutionStore, StoreFailure } from "reprise/store"
import type { SqliteStore } from "./sqlite-store.ts"
import { type TimerWakeUps, watchAlarms } from "./timer-wake-ups.ts"

/** The store's synchronous calls throw StoreFailure already; anything else becomes one. */
const sync = <A>(operation: string, work: () => A): Effect.Effect<A, StoreFailure> =>
  Effect.try({
    try: work,
    catch: (error) => error instanceof StoreFailure ? error : new StoreFailure({ operation, reason: String(error) })
  })

export const sqlitePorts = (store: SqliteStore, wakeUps: TimerWakeUps): Layer.Layer<HostPorts> =>
  Layer.mergeAll(
    Layer.succeed(ExecutionStore, watchAlarms(store, wakeUps)),
    Layer.succeed(AlarmStore, {
      alarmAt: (executionId) => store.getAlarm(executionId),
      dueAlarms: (horizon, limit) => sync("dueAlarms", () => store.dueAlarms(horizon, limit)),
      moveAlarm: (executionId, from, to) =>
        Effect.tap(sync("moveAlarm", () => store.postponeAlarm(executionId, from, to)), (moved) =>
          Effect.sync(() => moved && wakeUps.reschedule(to))),
      runningWithoutAlarm: (after, limit) => sync("runningWithoutAlarm", () => store.runningWithoutAlarm(after, limit))
    }),
    Layer.succeed(HostMetadata, { keep: (key, value) => sync("keepMeta", () => store.keepMeta(key, value)) }),
    Layer.succeed(WakeUpSource, wakeUps),
    Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => store.close())))
  )
