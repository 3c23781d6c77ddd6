/**
 * The Deno KV store as the host's ports (src/host): the ExecutionStore, the AlarmStore over the time-ordered alarm
 * keys, HostMetadata and the ScheduleStore over the config keys, the queue as the WakeUpSource. Releasing the layer closes KV, after
 * everything the host built on it.
 */
import { Effect, Layer } from "effect"
import { AlarmStore, HostMetadata, type HostPorts, makeKeyValueScheduleStore, ScheduleStore, WakeUpSource } from "reprise/host"
import { ExecutionStore, StoreFailure } from "reprise/store"
import type { DenoKvStore } from "./kv-store.ts"
import type { QueueWakeUps } from "./queue-wake-ups.ts"

/** The store's promises reject with StoreFailure already; anything else becomes one. */
const promise = <A>(operation: string, work: () => Promise<A>): Effect.Effect<A, StoreFailure> =>
  Effect.tryPromise({
    try: work,
    catch: (error) => error instanceof StoreFailure ? error : new StoreFailure({ operation, reason: String(error) })
  })

export const kvPorts = (store: DenoKvStore, wakeUps: QueueWakeUps): Layer.Layer<HostPorts | ScheduleStore> =>
  Layer.mergeAll(
    Layer.succeed(ExecutionStore, store),
    Layer.succeed(AlarmStore, {
      alarmAt: (executionId) => promise("alarmAt", () => store.alarmAt(executionId)),
      dueAlarms: (horizon, limit) => promise("dueAlarms", () => store.dueAlarms(horizon, limit)),
      moveAlarm: (executionId, from, to) => promise("moveAlarm", () => store.moveAlarm(executionId, from, to)),
      runningWithoutAlarm: (after, limit) => promise("runningWithoutAlarm", () => store.runningWithoutAlarm(after, limit))
    }),
    Layer.succeed(HostMetadata, { keep: (key, value) => promise("keepConfig", () => store.keepConfig(key, value)) }),
    Layer.succeed(WakeUpSource, wakeUps),
    // Schedule records under config keys "schedule:<name>" (src/schedule/schedule-store.ts).
    Layer.succeed(ScheduleStore, makeKeyValueScheduleStore({
      get: (key) => promise("readConfig", () => store.readConfig(key)),
      swap: (key, expected, value) => promise("swapConfig", () => store.swapConfig(key, expected, value))
    })),
    Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => store.close())))
  )
