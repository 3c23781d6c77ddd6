/**
 * What the engine does differently when several hosts share its store (an Ownership port, ownership.ts): an
 * execution may be written by another host, so its end and its new events are read from the store, and an actor is
 * let go when another host wants its execution or its lease was lost.
 */
import { Effect, Schedule, type Stream } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { Actor } from "./actor.ts"
import { evictWhenIdle, handOverWhenIdle } from "./evict-when-idle.ts"
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

/**
 * How long an execution taken for work that has not made its actor yet (a start's append, a load) is kept against
 * another host's ask. That work takes milliseconds; the bound only keeps a lease taken by work that failed half-way
 * from being held for good (it is given back at the next ask after this).
 */
export const IN_HAND_MS = 5_000

export interface EngineOwnership extends OwnershipShape {
  /** The actor of an execution taken here exists now: an ask for it waits for the actor to go idle. */
  madeActor(executionId: string): void
}

/**
 * The leases as the engine uses them. An idle actor is let go when another host wants its execution; one that lost
 * its lease goes at once. An execution taken for work that has no actor yet is "in hand": an ask for it is left for
 * the asker to repeat (IN_HAND_MS at most). Given back at once, a start between its lease and its actor went on with
 * its appends fenced, its actor stopped, and the execution waited for its watchdog (30 s) on no host.
 */
export const engineOwnership = (
  ownership: OwnershipShape,
  actors: ReadonlyMap<string, Actor>,
  background: (what: string, executionId: string, effect: Effect.Effect<unknown, unknown>) => void,
  now: () => number
): EngineOwnership => {
  const inHand = new Map<string, number>()
  ownership.onRevoke((executionId, why) => {
    const actor = actors.get(executionId)
    if (actor === undefined) {
      const since = inHand.get(executionId)
      if (why === "wanted" && since !== undefined && now() - since < IN_HAND_MS) return
      inHand.delete(executionId)
      return background("giving the execution back", executionId, ownership.release(executionId))
    }
    if (why === "lost") return actor.evict()
    if (actor.evictable) background("letting the execution go", executionId, evictWhenIdle([actor]))
    else if (actor.handsOver) background("letting the execution go", executionId, handOverWhenIdle(actor))
  })
  return {
    // Marked before the lease is asked for: the port holds it as its answer comes back, and an ask that came in
    // between found neither an actor nor the mark (review). Unmarked when not taken; timed from the take.
    acquire: (executionId, mode) =>
      Effect.suspend(() => {
        const marks = !actors.has(executionId) && !inHand.has(executionId)
        if (marks) inHand.set(executionId, now())
        const unmark = () => void (marks && inHand.delete(executionId))
        return ownership.acquire(executionId, mode).pipe(
          Effect.tap((mine) => Effect.sync(() => (mine ? !actors.has(executionId) && inHand.set(executionId, now()) : unmark()))),
          Effect.tapError(() => Effect.sync(unmark))
        )
      }),
    release: (executionId) => Effect.suspend(() => (inHand.delete(executionId), ownership.release(executionId))),
    onRevoke: ownership.onRevoke,
    madeActor: (executionId) => void inHand.delete(executionId)
  }
}

/** The watch of an execution another host may be writing: the store, read every ENDED_ELSEWHERE_POLL_MS. */
export const sharedWatch = (
  history: (executionId: string, page?: HistoryPage) => Effect.Effect<ReadonlyArray<LogEvent>, ReadFailure>
): (executionId: string, afterSeq: number) => Stream.Stream<LogEvent, ReadFailure> => watchByPolling(history, ENDED_ELSEWHERE_POLL_MS)
