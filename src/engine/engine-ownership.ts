/**
 * What the engine does differently when several hosts share its store (an Ownership port, ownership.ts): an
 * execution may be written by another host, so its end and its new events are read from the store, and an actor is
 * let go when another host wants its execution or its lease was lost.
 */
import { Effect, Schedule, type Stream } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { Actor } from "./actor.ts"
import { evictWhenIdle } from "./evict-when-idle.ts"
import type { HistoryPage, ReadFailure } from "./execution-client.ts"
import type { OwnershipShape } from "./ownership.ts"
import { watchByPolling } from "./watch-by-polling.ts"

/** How often a host polls the store for an execution's end or new events, when it may be written on another host. */
export const ENDED_ELSEWHERE_POLL_MS = 250

const STILL_GOING = new Set(["QUEUED", "RUNNING", "PAUSED"])

/** Ends once the execution has ended on any host: the store's summary, read only while no actor runs it here. */
export const endedElsewhere = (store: ExecutionStoreShape, actors: ReadonlyMap<string, Actor>, executionId: string): Effect.Effect<void> =>
  Effect.repeat(
    Effect.suspend(() => (actors.has(executionId) ? Effect.succeed("RUNNING") : Effect.map(store.summary(executionId), (s) => s?.status))),
    { until: (status) => status === undefined || !STILL_GOING.has(status), schedule: Schedule.spaced(ENDED_ELSEWHERE_POLL_MS) }
  ).pipe(Effect.ignore)

/** Lets an idle actor go when another host wants its execution; one that lost its lease goes at once. */
export const letGoOnRevocation = (
  ownership: OwnershipShape,
  actors: ReadonlyMap<string, Actor>,
  background: (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) => void
): void =>
  ownership.onRevoke((executionId, why) => {
    const actor = actors.get(executionId)
    if (actor === undefined) return background("giving the execution back", executionId, ownership.release(executionId))
    if (why === "lost") return actor.evict()
    if (actor.evictable) background("letting the execution go", executionId, evictWhenIdle([actor]))
  })

/** The watch of an execution another host may be writing: the store, read every ENDED_ELSEWHERE_POLL_MS. */
export const sharedWatch = (
  history: (executionId: string, page?: HistoryPage) => Effect.Effect<ReadonlyArray<LogEvent>, ReadFailure>
): (executionId: string, afterSeq: number) => Stream.Stream<LogEvent, ReadFailure> => watchByPolling(history, ENDED_ELSEWHERE_POLL_MS)
