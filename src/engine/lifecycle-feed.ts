/**
 * Every execution's lifecycle changes as they are written: started, paused, resumed, ended (with the status each
 * leaves it in), for `GET /v1/events` (docs/observability.md). The engine publishes from its actors' writes, so a
 * replay, which writes nothing, publishes nothing. Clients without an engine in the process (the Worker, Lambda's
 * HTTP API) have no such feed; `lifecycleByPolling` derives one from the listing instead.
 *
 * The feed is live: it has no cursor across executions. A client that reconnects lists the executions to catch up.
 */
import { Effect, Queue, Stream } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionStatus } from "../log/fold.ts"
import { terminalStatus } from "../log/terminal-event.ts"
import type { ExecutionSummary, ListPage, ListQuery } from "../store/execution-summary.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { InvalidRequest } from "./engine-errors.ts"

export interface LifecycleChange {
  readonly executionId: string
  readonly functionName: string
  /** The status the execution is in after the change. */
  readonly status: ExecutionStatus
  /** The event that made the change (its tag; `StatusChanged` when polled), its time, its seq (not when polled). */
  readonly event: string
  readonly at: number
  readonly seq?: number
}

export interface LifecycleFilter {
  readonly functionName?: string | undefined
  /** Only changes into one of these statuses (none: every change). */
  readonly statuses?: ReadonlyArray<ExecutionStatus> | undefined
}

/** The status an event leaves its execution in, when it changes it. */
export const statusAfter = (event: LogEvent): ExecutionStatus | undefined =>
  event._tag === "ExecutionStarted"
    ? (event.queue === undefined ? "RUNNING" : "QUEUED")
    : event._tag === "ExecutionResumed" || event._tag === "ExecutionDequeued" || event._tag === "ExecutionRewound"
    ? "RUNNING"
    : event._tag === "ExecutionPaused"
    ? "PAUSED"
    : terminalStatus(event)

export const matches = (filter: LifecycleFilter, change: Pick<LifecycleChange, "functionName" | "status">): boolean =>
  (filter.functionName === undefined || filter.functionName === change.functionName) &&
  (filter.statuses === undefined || filter.statuses.length === 0 || filter.statuses.includes(change.status))

/** The in-process feed: `publish` from the engine's writes, `watch` for each stream. */
export const makeLifecycleFeed = () => {
  const subscribers = new Set<(change: LifecycleChange) => void>()
  return {
    publish: (executionId: string, functionName: string, events: ReadonlyArray<LogEvent>): void => {
      if (subscribers.size === 0) return
      for (const event of events) {
        const status = statusAfter(event)
        if (status === undefined) continue
        const change: LifecycleChange = { executionId, functionName, status, event: event._tag, at: event.at, seq: event.seq }
        for (const subscriber of subscribers) subscriber(change)
      }
    },
    watch: (filter: LifecycleFilter): Stream.Stream<LifecycleChange> =>
      Stream.callback<LifecycleChange>((queue) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const subscriber = (change: LifecycleChange) => {
              if (matches(filter, change)) Queue.offerUnsafe(queue, change)
            }
            subscribers.add(subscriber)
            return subscriber
          }),
          (subscriber) => Effect.sync(() => subscribers.delete(subscriber))
        )
      )
  }
}

/**
 * The feed for a client with no engine: list the newest executions every `intervalMs` and pass on each change
 * since the previous listing: a new execution (one started at or after `since`, when the client asked) as started, then its status
 * if it is another. Changes between two listings collapse into the last, and only the newest `limit` are seen.
 */
export const lifecycleByPolling = (
  list: (query: ListQuery) => Effect.Effect<ListPage, StoreFailure | InvalidRequest>,
  intervalMs = 1000,
  limit = 100
) =>
(filter: LifecycleFilter, since: number): Stream.Stream<LifecycleChange, StoreFailure | InvalidRequest> =>
  Stream.callback<LifecycleChange, StoreFailure | InvalidRequest>((queue) =>
    Effect.gen(function*() {
      let seen: Map<string, ExecutionSummary> | undefined
      const offer = (item: ExecutionSummary, status: ExecutionStatus, event: string, at: number) => {
        const change: LifecycleChange = { executionId: item.executionId, functionName: item.functionName, status, event, at }
        if (matches(filter, change)) Queue.offerUnsafe(queue, change)
      }
      for (;;) {
        const page = yield* list({ limit, ...(filter.functionName === undefined ? {} : { functionName: filter.functionName }) })
        for (const item of [...page.items].reverse()) {
          const before = seen?.get(item.executionId)
          const isNew = seen !== undefined || item.startedAt >= since
          // A start seen still queued started QUEUED; any other started RUNNING (and maybe ended since).
          const startedAs: ExecutionStatus = item.status === "QUEUED" ? "QUEUED" : "RUNNING"
          if (before === undefined && isNew) offer(item, startedAs, "ExecutionStarted", item.startedAt)
          const previous = before?.status ?? (isNew ? startedAs : item.status)
          if (item.status !== previous) offer(item, item.status, "StatusChanged", item.endedAt ?? item.startedAt)
        }
        seen = new Map(page.items.map((item) => [item.executionId, item]))
        yield* Effect.sleep(intervalMs)
      }
    })
  )
