/**
 * The PostgreSQL store as the host's ports (src/host): the ExecutionStore (its setAlarm re-arming the timer), the
 * AlarmStore, HostMetadata and the ScheduleStore over its tables (schedule records are rows of `meta`, under
 * "schedule:<name>", as on SQLite), and the host's timer over a `nextAlarm` query as the WakeUpSource.
 * Releasing the layer ends the pool, after everything the host built on it.
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
import { ExecutionStore } from "reprise/store"
import type { PostgresStore } from "./postgres-store.ts"

/** The host's timer over the store's alarm index. */
export const postgresTimer = (store: Pick<PostgresStore, "nextAlarm">): TimerWakeUps => makeTimerWakeUps((after) => store.nextAlarm(after))

export const postgresPorts = (store: PostgresStore, wakeUps: TimerWakeUps = postgresTimer(store)): Layer.Layer<HostPorts | ScheduleStore> =>
  Layer.mergeAll(
    Layer.succeed(ExecutionStore, watchAlarms(store, wakeUps)),
    Layer.succeed(AlarmStore, {
      alarmAt: (executionId) => store.getAlarm(executionId),
      dueAlarms: (horizon, limit) => store.dueAlarms(horizon, limit),
      moveAlarm: (executionId, from, to) =>
        Effect.tap(store.moveAlarm(executionId, from, to), (moved) => Effect.sync(() => moved && wakeUps.reschedule(to))),
      runningWithoutAlarm: store.runningWithoutAlarm
    }),
    Layer.succeed(HostMetadata, { keep: (key, value) => store.keepMeta(key, value) }),
    Layer.succeed(WakeUpSource, wakeUps),
    Layer.succeed(ScheduleStore, makeKeyValueScheduleStore({ get: store.getMeta, set: store.setMeta })),
    Layer.effectDiscard(Effect.addFinalizer(() => Effect.promise(() => store.close())))
  )
