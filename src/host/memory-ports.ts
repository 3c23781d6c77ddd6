/**
 * The in-memory store as the host's ports: a host for development, examples and the contract suite that needs no
 * database. Alarms are read from the store's alarm index (one pass over a map: fine for what fits in memory); the
 * metadata and the schedule records live as long as the process; the wake-ups are the host's timer.
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
  /** The earliest alarm after `after`: one pass over the store's alarm index, no per-execution read. */
  const nextAlarm = (after: number) =>
    Effect.sync(() => {
      let next: AlarmEntry | undefined
      for (const [executionId, at] of store.alarms) {
        if (at > after && (next === undefined || at < next.at)) next = { executionId, at }
      }
      return next
    })
  const wakeUps = makeTimerWakeUps(nextAlarm)
  const metadata = new Map<string, string>()
  return Layer.mergeAll(
    Layer.succeed(ExecutionStore, watchAlarms(store, wakeUps)),
    Layer.succeed(AlarmStore, {
      alarmAt: (executionId) => store.getAlarm(executionId),
      dueAlarms: (horizon, limit) =>
        Effect.sync(() => {
          const due: Array<AlarmEntry> = []
          for (const [executionId, at] of store.alarms) if (at <= horizon) due.push({ executionId, at })
          return due.sort((a, b) => a.at - b.at).slice(0, limit)
        }),
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
