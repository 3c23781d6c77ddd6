/**
 * The in-memory store as the host's ports: a host for development, examples and the contract suite that needs no
 * database. Alarms are read by scanning every execution (fine for what fits in memory); the metadata and the
 * schedule records live as long as the process; the wake-ups are the host's timer.
 */
import { Effect, Layer } from "effect"
import { ExecutionStore } from "../store/execution-store.ts"
import type { MemoryStore } from "../store/memory-store.ts"
import { AlarmStore, type AlarmEntry } from "./alarm-store.ts"
import { HostMetadata } from "./host-metadata.ts"
import type { HostPorts } from "./host.ts"
import { makeTimerWakeUps, watchAlarms } from "./timer-wake-ups.ts"
import { WakeUpSource } from "./wake-up-source.ts"
import { makeMemoryScheduleStore, ScheduleStore } from "../schedule/schedule-store.ts"

export const memoryPorts = (store: MemoryStore): Layer.Layer<HostPorts | ScheduleStore> => {
  /** Every alarm, earliest first. */
  const alarms = Effect.gen(function*() {
    const entries: Array<AlarmEntry> = []
    for (const executionId of store.kvs.keys()) {
      const at = yield* store.getAlarm(executionId)
      if (at !== undefined) entries.push({ executionId, at })
    }
    return entries.sort((a, b) => a.at - b.at)
  })
  const wakeUps = makeTimerWakeUps((after) => Effect.map(alarms, (all) => all.find((alarm) => alarm.at > after)))
  const metadata = new Map<string, string>()
  return Layer.mergeAll(
    Layer.succeed(ExecutionStore, watchAlarms(store, wakeUps)),
    Layer.succeed(AlarmStore, {
      alarmAt: (executionId) => store.getAlarm(executionId),
      dueAlarms: (horizon, limit) => Effect.map(alarms, (all) => all.filter((alarm) => alarm.at <= horizon).slice(0, limit)),
      moveAlarm: (executionId, from, to) =>
        Effect.gen(function*() {
          if ((yield* store.getAlarm(executionId)) !== from) return false
          yield* store.setAlarm(executionId, to)
          wakeUps.reschedule(to)
          return true
        })
    }),
    Layer.succeed(HostMetadata, {
      keep: (key, value) =>
        Effect.sync(() => {
          const kept = metadata.get(key)
          if (kept !== undefined) return kept
          metadata.set(key, value)
          return value
        })
    }),
    Layer.succeed(WakeUpSource, wakeUps),
    Layer.succeed(ScheduleStore, makeMemoryScheduleStore())
  )
}
