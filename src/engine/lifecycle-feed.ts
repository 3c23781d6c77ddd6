/**
 * Every execution's lifecycle changes as they are written: started, paused, resumed, ended (with the status each
 * leaves it in), for `GET /v1/events` (docs/observability.md). The engine publishes from its actors' writes, so a
 * replay, which writes nothing, publishes nothing. Clients without an engine in the process (the Worker, Lambda's
 * HTTP API) have no such feed; `lifecycleByPolling` derives one from the listing instead.
 *
 * The feed is live: it has no cursor across executions. A client that reconnects lists the executions to catch up.
 */
import { Clock, Effect, Queue, Stream } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionStatus } from "../log/fold.ts"
import { terminalStatus } from "../log/terminal-event.ts"
import { compareSummaries, type ExecutionSummary, type ListPage } from "../store/execution-summary.ts"
import type { SearchQuery } from "../store/list-search.ts"
import { isLiveStatus, LIVE_STATUSES } from "./execution-view.ts"

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

/**
 * The in-process feed: `publish` from the engine's writes, `deliver` for changes written on other hosts (the
 * lifecycle bus), `watch` for each stream. `forward`, when given, gets every change written here (for the bus).
 */
export const makeLifecycleFeed = (forward?: (change: LifecycleChange) => void) => {
  const subscribers = new Set<(change: LifecycleChange) => void>()
  const deliver = (change: LifecycleChange) => {
    for (const subscriber of subscribers) subscriber(change)
  }
  return {
    publish: (executionId: string, functionName: string, events: ReadonlyArray<LogEvent>): void => {
      if (subscribers.size === 0 && forward === undefined) return
      for (const event of events) {
        const status = statusAfter(event)
        if (status === undefined) continue
        const change: LifecycleChange = { executionId, functionName, status, event: event._tag, at: event.at, seq: event.seq }
        deliver(change)
        forward?.(change)
      }
    },
    deliver,
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

/** Not-ended executions followed per poll (pages of 1,000); past it, an older one's changes are not seen. */
export const MAX_FOLLOWED = 10_000

/**
 * The feed for a client with no engine: every `intervalMs`, list the newest `limit` executions (new starts, even
 * ones that already ended) and every one not ended (changes of old ones: a pause, a resume, a callback completed a
 * week later), and pass on each change since the previous poll. One that was not ended and is in neither listing
 * now has ended: `statusOf` says how. An execution started at or after `since` is a start, then its status if it
 * is another. Changes between two polls collapse into the last; a change other than an end is timed when seen.
 */
export const lifecycleByPolling = <E>(
  list: (query: SearchQuery) => Effect.Effect<ListPage, E>,
  statusOf: (executionId: string) => Effect.Effect<Pick<ExecutionSummary, "status" | "endedAt"> | undefined, E>,
  options: {
    readonly intervalMs?: number
    readonly limit?: number
    /**
     * Whether an execution never left its queue (stopped or timed out while QUEUED), asked of one first seen already
     * stopped or timed out: without it such a start was told as RUNNING (the Workers probe).
     */
    readonly neverRan?: (executionId: string) => Effect.Effect<boolean, E>
  } = {}
) =>
(filter: LifecycleFilter, since: number): Stream.Stream<LifecycleChange, E> =>
  Stream.callback<LifecycleChange, E>((queue) =>
    Effect.gen(function*() {
      const { intervalMs = 1000, limit = 100, neverRan } = options
      const byFunction = filter.functionName === undefined ? {} : { functionName: filter.functionName }
      let seen: Map<string, ExecutionSummary> | undefined
      const offer = (item: ExecutionSummary, status: ExecutionStatus, event: string, at: number) => {
        const change: LifecycleChange = { executionId: item.executionId, functionName: item.functionName, status, event, at }
        if (matches(filter, change)) Queue.offerUnsafe(queue, change)
      }
      for (;;) {
        const now = yield* Clock.currentTimeMillis
        const current = new Map<string, ExecutionSummary>()
        let cursor: string | undefined
        for (let page = 0; page * 1000 < MAX_FOLLOWED; page++) {
          const live = yield* list({ ...byFunction, statuses: LIVE_STATUSES, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
          for (const item of live.items) current.set(item.executionId, item)
          cursor = live.cursor
          if (cursor === undefined) break
        }
        for (const item of (yield* list({ ...byFunction, limit })).items) current.set(item.executionId, item)
        if (seen !== undefined) {
          for (const [executionId, before] of seen) {
            if (current.has(executionId) || !isLiveStatus(before.status)) continue
            const after = yield* statusOf(executionId)
            if (after !== undefined) current.set(executionId, { ...before, ...after })
          }
        }
        const oldestFirst = [...current.values()].sort((a, b) => -compareSummaries(a, b))
        for (const item of oldestFirst) {
          const before = seen?.get(item.executionId)
          const at = isLiveStatus(item.status) ? now : item.endedAt ?? now
          if (before === undefined) {
            if (item.startedAt >= since) {
              // A start seen still queued started QUEUED, as did one that ended without leaving its queue; any other
              // started RUNNING (and maybe ended since).
              const endedQueued = (item.status === "STOPPED" || item.status === "TIMED_OUT") && neverRan !== undefined && (yield* neverRan(item.executionId))
              const startedAs: ExecutionStatus = item.status === "QUEUED" || endedQueued ? "QUEUED" : "RUNNING"
              offer(item, startedAs, "ExecutionStarted", item.startedAt)
              if (item.status !== startedAs) offer(item, item.status, "StatusChanged", at)
            } else if (seen !== undefined && isLiveStatus(item.status)) {
              offer(item, item.status, "StatusChanged", at) // an old one not ended again: a rewind
            }
          } else if (item.status !== before.status) {
            offer(item, item.status, "StatusChanged", at)
          }
        }
        seen = current
        yield* Effect.sleep(intervalMs)
      }
    })
  )
