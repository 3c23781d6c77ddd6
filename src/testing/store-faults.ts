/**
 * Store fault injection (issue 19): wraps any ExecutionStore so that a test can make its appends fail or slow
 * down, and its reads return corrupt bytes, then clear the fault and watch the engine (or a whole server) recover.
 *
 *   const faults = makeStoreFaults()
 *   const store = withStoreFaults(inner, faults)
 *   faults.set({ appends: "fail" })   // every append fails with StoreFailure, nothing written
 *   faults.set({ appendDelayMs: 200 }) // appends are written 200 ms late
 *   faults.set({ corruptReads: true }) // loads and pages read torn bytes: LogCorrupted from the real decoder
 *   faults.clear()
 *
 * Failing appends fail before the inner store is called, so nothing is written (what a full disk or a read-only
 * file does); corrupt reads tear the last stored event in half and decode it, as a store reading a torn page would.
 */
import { Effect } from "effect"
import { decodeLog, decodeLogPage, encodeEvents } from "../log/decode-log.ts"
import type { LogEvent } from "../log/events.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import { StoreFailure } from "../store/store-errors.ts"

export interface StoreFaultSettings {
  /** "fail": every append (and alarm write) fails with StoreFailure and writes nothing. */
  readonly appends?: "fail" | undefined
  /** Appends (and alarm writes) are made this much later. */
  readonly appendDelayMs?: number | undefined
  /** Reads of a log (load, readPage) see its last event torn in half. */
  readonly corruptReads?: boolean | undefined
  /** Only these executions are affected (default: all). */
  readonly only?: ((executionId: string) => boolean) | undefined
}

export interface StoreFaultCounts {
  /** Writes refused by the fault (appends, and the alarm writes that go with them). */
  failedAppends: number
  /** Appends written after a delay. */
  delayedAppends: number
  /** Reads answered with torn bytes. */
  corruptReads: number
  /** Appends the inner store wrote, in order, as `<executionId>:<first seq>`. */
  readonly written: Array<string>
}

export interface StoreFaults {
  set(settings: StoreFaultSettings): void
  clear(): void
  readonly settings: StoreFaultSettings
  readonly counts: StoreFaultCounts
}

export const makeStoreFaults = (): StoreFaults => {
  let settings: StoreFaultSettings = {}
  return {
    set: (next) => void (settings = next),
    clear: () => void (settings = {}),
    get settings() {
      return settings
    },
    counts: { failedAppends: 0, delayedAppends: 0, corruptReads: 0, written: [] }
  }
}

const injected = (operation: string) => new StoreFailure({ operation, reason: "injected fault: the store refused the write" })

/** The last encoded event torn in half, decoded as a store would decode what it read. */
const tear = <A>(executionId: string, events: ReadonlyArray<LogEvent>, decode: (raw: ReadonlyArray<unknown>) => Effect.Effect<A, LogCorrupted>) =>
  Effect.flatMap(encodeEvents(executionId, events), (raw) => {
    const bytes = JSON.stringify(raw.at(-1))
    const torn = [...raw.slice(0, -1), bytes.slice(0, Math.floor(bytes.length / 2))]
    return decode(torn)
  })

export const withStoreFaults = <S extends ExecutionStoreShape>(store: S, faults: StoreFaults): S => {
  const hit = (executionId: string) => faults.settings.only?.(executionId) ?? true
  /** A write under the current faults: refused, delayed, or passed on. */
  const write = <A, E>(operation: string, executionId: string, run: () => Effect.Effect<A, E>): Effect.Effect<A, E | StoreFailure> =>
    Effect.suspend((): Effect.Effect<A, E | StoreFailure> => {
      const { appends, appendDelayMs } = faults.settings
      if (!hit(executionId)) return run()
      if (appends === "fail") {
        faults.counts.failedAppends++
        return Effect.fail(injected(operation))
      }
      if (appendDelayMs === undefined || appendDelayMs <= 0) return run()
      faults.counts.delayedAppends++
      // The fault is read again after the delay: a write delayed into a failure fails.
      return Effect.andThen(Effect.sleep(appendDelayMs), Effect.suspend((): Effect.Effect<A, E | StoreFailure> =>
        faults.settings.appends === "fail" && hit(executionId) ? Effect.fail(injected(operation)) : run()))
    })
  const corrupt = (executionId: string) => hit(executionId) && faults.settings.corruptReads === true
  const readPage = store.readPage
  return {
    ...store,
    append: (executionId, events, expectedSeq, options) =>
      write("append", executionId, () =>
        Effect.tap(store.append(executionId, events, expectedSeq, options), () =>
          Effect.sync(() => void faults.counts.written.push(`${executionId}:${events[0]?.seq}`)))),
    setAlarm: (executionId, at) => write("setAlarm", executionId, () => store.setAlarm(executionId, at)),
    deleteAlarm: (executionId) => write("deleteAlarm", executionId, () => store.deleteAlarm(executionId)),
    load: (executionId) =>
      Effect.flatMap(store.load(executionId), (log) => {
        if (log === undefined || !corrupt(executionId)) return Effect.succeed(log)
        faults.counts.corruptReads++
        return Effect.map(tear(executionId, log.events, (raw) => decodeLog(executionId, raw)), (events) => ({ events, seq: log.seq }))
      }),
    ...(readPage === undefined ? {} : {
      readPage: (executionId: string, afterSeq: number, limit: number) =>
        Effect.flatMap(readPage(executionId, afterSeq, limit), (events) => {
          if (events === undefined || events.length === 0 || !corrupt(executionId)) return Effect.succeed(events)
          faults.counts.corruptReads++
          return tear(executionId, events, (raw) => decodeLogPage(executionId, raw, afterSeq + 1))
        })
    })
  }
}
