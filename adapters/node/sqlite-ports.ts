/**
 * The SQLite store as the host's ports (src/host): the ExecutionStore (its setAlarm re-arming the timer), the
 * AlarmStore over the synchronous alarm index, HostMetadata and the ScheduleStore over the meta table, the timer as
 * the WakeUpSource.
 * Releasing the layer closes the database, after everything the host built on it.
 */
import { Effect, Layer } from "effect"
import {
  AlarmStore,
  HostMetadata,
  type HostPorts,
  makeKeyValueScheduleStore,
  makeTimerWakeUps,
  ScheduleStore,
  type TimerWakeUps,
  WakeUpSource,
  watchAlarms
} from "reprise/host"
import { ExecutionStore, StoreFailure } from "reprise/store"
import type { SqliteStore } from "./sqlite-store.ts"

/** The store's synchronous calls throw StoreFailure already; anything else becomes one. */
const sync = <A>(operation: string, work: () => A): Effect.Effect<A, StoreFailure> =>
  Effect.try({
    try: work,
    catch: (error) => error instanceof StoreFailure ? error : new StoreFailure({ operation, reason: String(error) })
  })

/** The host's timer over the SQLite alarm index. */
export const sqliteTimer = (store: Pick<SqliteStore, "nextAlarm">): TimerWakeUps =>
  makeTimerWakeUps((after) => sync("nextAlarm", () => store.nextAlarm(after)))

export const sqlitePorts = (store: SqliteStore, wakeUps: TimerWakeUps = sqliteTimer(store)): Layer.Layer<HostPorts | ScheduleStore> =>
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
    // Schedule records are small JSON rows in the meta table, under "schedule:<name>" (src/schedule/schedule-store.ts).
    Layer.succeed(ScheduleStore, makeKeyValueScheduleStore({
      get: (key) => sync("getMeta", () => store.getMeta(key)),
      swap: (key, expected, value) => sync("swapMeta", () => store.swapMeta(key, expected, value))
    })),
    Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => store.close())))
  )
