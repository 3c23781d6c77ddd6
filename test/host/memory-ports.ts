/** The host's ports in memory: the memory store, an alarm index beside it, metadata in a map, a recording wake-up source. */
import { Effect, Layer } from "effect"
import { AlarmStore, type AlarmStoreShape, HostMetadata, type HostPorts, WakeUpSource } from "../../src/host/index.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

export interface MemoryPortsOptions {
  /** Wraps the alarm index (to watch or hold its calls). */
  readonly alarmStore?: (inner: AlarmStoreShape) => AlarmStoreShape
  /** Offer runningWithoutAlarm (read from the store's summaries and the alarm index). */
  readonly listsUnwatched?: boolean
  /** Wraps the ExecutionStore the host gets (to inject faults). */
  readonly executionStore?: (inner: ExecutionStoreShape) => ExecutionStoreShape
}

/** The memory store with an alarm index beside it, metadata in a map, and a wake-up source that records its life. */
export const memoryPorts = (metadata = new Map<string, string>(), options: MemoryPortsOptions = {}) => {
  const store = makeMemoryStore()
  const alarms = new Map<string, number>()
  const log: Array<string> = []
  /** Pages ordered by id; the cursor is the last id of the previous page. */
  const unwatched: NonNullable<AlarmStoreShape["runningWithoutAlarm"]> = (after, limit) =>
    Effect.gen(function*() {
      const candidates = [...store.kvs.keys()].filter((id) => !alarms.has(id) && (after === undefined || id > after)).sort()
      const executionIds: Array<string> = []
      for (const id of candidates) {
        if ((yield* store.summary(id))?.status === "RUNNING") executionIds.push(id)
        if (executionIds.length === limit) return { executionIds, next: id }
      }
      return { executionIds }
    })
  const ports: Layer.Layer<HostPorts> = Layer.mergeAll(
    Layer.succeed(ExecutionStore, (options.executionStore ?? ((inner) => inner))({
      ...store,
      append: (id, events, seq, options) =>
        Effect.tap(store.append(id, events, seq, options), () => Effect.sync(() => options?.alarmAt === undefined || void alarms.set(id, options.alarmAt))),
      setAlarm: (id, at) => Effect.tap(store.setAlarm(id, at), () => Effect.sync(() => void alarms.set(id, at))),
      deleteAlarm: (id) => Effect.tap(store.deleteAlarm(id), () => Effect.sync(() => void alarms.delete(id)))
    })),
    Layer.succeed(AlarmStore, (options.alarmStore ?? ((inner) => inner))({
      alarmAt: (id) => Effect.sync(() => alarms.get(id)),
      dueAlarms: (horizon, limit) =>
        Effect.sync(() => [...alarms].filter(([, at]) => at <= horizon).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([executionId, at]) => ({ executionId, at }))),
      moveAlarm: (id, from, to) => Effect.sync(() => alarms.get(id) === from && alarms.set(id, to) !== undefined),
      ...(options.listsUnwatched ? { runningWithoutAlarm: unwatched } : {})
    })),
    Layer.succeed(HostMetadata, {
      keep: (key, value) =>
        Effect.sync(() => {
          if (!metadata.has(key)) metadata.set(key, value)
          return metadata.get(key)!
        })
    }),
    Layer.succeed(WakeUpSource, {
      start: () => Effect.acquireRelease(Effect.sync(() => void log.push("wake-ups started")), () => Effect.sync(() => void log.push("wake-ups stopped")))
    }),
    Layer.effectDiscard(Effect.addFinalizer(() => Effect.sync(() => void log.push("store closed"))))
  )
  return { store, alarms, metadata, log, ports }
}

