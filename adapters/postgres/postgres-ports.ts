/**
 * The PostgreSQL store as the host's ports (src/host): the ExecutionStore (its setAlarm re-arming the timer), the
 * AlarmStore, HostMetadata and the ScheduleStore over its tables (schedule records are rows of `meta`, under
 * "schedule:<name>", as on SQLite), and the host's timer over a `nextAlarm` query as the WakeUpSource.
 * With leases (the store opened with `leases`), also the engine's Ownership port (postgres-leases.ts).
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
import { FlowLedger, LifecycleBus, Ownership } from "reprise/engine"
import { ExecutionStore } from "reprise/store"
import { withLeases } from "./postgres-leases.ts"
import type { PostgresStore } from "./postgres-store.ts"

/** The host's timer over the store's alarm index. */
export const postgresTimer = (store: Pick<PostgresStore, "nextAlarm">): TimerWakeUps => makeTimerWakeUps((after) => store.nextAlarm(after))

export const postgresPorts = (
  store: PostgresStore,
  wakeUps: TimerWakeUps = postgresTimer(store)
): Layer.Layer<HostPorts | ScheduleStore> =>
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
    // With leases (several hosts), the engine takes each execution's lease, and their loops start with the wake-ups.
    Layer.succeed(WakeUpSource, store.leases === undefined ? wakeUps : withLeases(wakeUps, store.leases, store.flowLedger, store.lifecycleBus)),
    store.lifecycleBus === undefined ? Layer.empty : Layer.succeed(LifecycleBus, store.lifecycleBus),
    store.leases === undefined ? Layer.empty : Layer.succeed(Ownership, store.leases),
    // And flow control counts in the database, so that limits hold across the hosts (postgres-flow.ts).
    store.flowLedger === undefined ? Layer.empty : Layer.succeed(FlowLedger, store.flowLedger),
    Layer.succeed(ScheduleStore, makeKeyValueScheduleStore({ get: store.getMeta, swap: store.swapMeta })),
    Layer.effectDiscard(Effect.addFinalizer(() => Effect.promise(() => store.close())))
  )
