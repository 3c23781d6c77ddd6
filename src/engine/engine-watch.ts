/**
 * `ExecutionClient.watch` in the engine: the history from a cursor, then each event its actor writes (pushed by
 * the engine's watchers, not polled), ending after the terminal event.
 */
import { Effect, Queue, Stream } from "effect"
import type { LogEvent } from "../log/events.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import { ExecutionNotFound } from "./engine-errors.ts"
import type { ReadFailure } from "./execution-client.ts"

export type Watchers = Map<string, Set<(events: ReadonlyArray<LogEvent>) => void>>

export const watchLog = (store: ExecutionStoreShape, watchers: Watchers, executionId: string, afterSeq: number): Stream.Stream<LogEvent, ReadFailure> =>
Stream.callback<LogEvent, ReadFailure>((queue) =>
  Effect.gen(function*() {
    let last = afterSeq
    let live = false
    const early: Array<LogEvent> = []
    /** Offers what is new, in order, once; ends after the terminal event. */
    const push = (events: ReadonlyArray<LogEvent>) => {
      for (const event of events) {
        if (event.seq <= last) continue
        last = event.seq
        Queue.offerUnsafe(queue, event)
        if (isTerminalEvent(event)) Queue.endUnsafe(queue)
      }
    }
    const watcher = (events: ReadonlyArray<LogEvent>) => (live ? push(events) : early.push(...events))
    // Watch first, then read: a write in between is in one or both, and `last` drops the repeat.
    const set = watchers.get(executionId) ?? new Set()
    watchers.set(executionId, set.add(watcher))
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        set.delete(watcher)
        if (set.size === 0 && watchers.get(executionId) === set) watchers.delete(executionId)
      })
    )
    const log = yield* store.load(executionId)
    if (log === undefined) return yield* new ExecutionNotFound({ executionId })
    live = true
    push(log.events)
    push(early)
    const end = log.events.at(-1)
    if (end !== undefined && isTerminalEvent(end)) Queue.endUnsafe(queue) // ended before the cursor
  })
)
