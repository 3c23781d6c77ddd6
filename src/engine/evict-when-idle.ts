/** Evicting idle actors (the engine's `evictIdle`, and a host letting an execution go to another host). */
import { Effect } from "effect"
import type { Actor } from "./actor.ts"
import { realSetTimeout } from "../context/real-timers.ts"

/**
 * Evicts those of `candidates` still idle after one event-loop turn and once suspended; how many went. Each
 * Suspend carries what the actor had done when it was chosen: one that went on since (a callback completed while
 * the eviction was on an earlier candidate) refuses it and keeps its watchdog, since it runs again.
 */
export const evictWhenIdle = (candidates: ReadonlyArray<Actor>): Effect.Effect<number> =>
  Effect.gen(function*() {
    if (candidates.length === 0) return 0
    const seen = candidates.map((actor) => actor.activations)
    // Let whatever was about to happen (a resolved step continuing into its next call) happen first.
    yield* turn
    // Suspend: each alarm falls back to the next timer, without the watchdog, before the actor goes.
    for (let i = 0; i < candidates.length; i++) {
      const actor = candidates[i]!
      if (actor.evictable) yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply, seen: seen[i]! })))
    }
    // And a turn for the actors to finish the batch that handled it.
    yield* turn
    let evicted = 0
    for (const actor of candidates) {
      if (!actor.evictable || !actor.suspended) continue
      actor.evict()
      evicted++
    }
    return evicted
  })

/**
 * Suspends an actor that is idle (evictable) after one event-loop turn, and keeps it in memory: its alarm falls back
 * to its next timer, without the watchdog. True while it still runs and keeps its watchdog (busy): ask again later.
 * For a host that does not evict (a Durable Object holds one execution): the watchdog, renewed at each alarm, had
 * woken a suspended execution every 30 s for as long as it waited.
 */
export const suspendWhenIdle = (actor: Actor | undefined): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    if (actor === undefined || actor.gone || !actor.running || actor.suspended) return false
    if (!actor.evictable) return true // busy (a step body runs): ask again later
    const seen = actor.activations
    yield* turn
    if (actor.evictable) yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply, seen })))
    return !actor.suspended
  })

const turn = Effect.promise(() => new Promise<void>((resolve) => realSetTimeout(resolve, 0)))

/**
 * Lets an actor go to another host that asked for its execution, when all it does is wait for a concurrency slot
 * or a step's turn (Actor.handsOver): it is not suspended (its watchdog stays, should the asker never load it), just
 * dropped once still so after a turn; its place in the line is given up with it, and taken again on the new host.
 */
export const handOverWhenIdle = (actor: Actor): Effect.Effect<void> =>
  Effect.andThen(turn, Effect.sync(() => {
    if (actor.handsOver && !actor.evictable) actor.evict()
  }))
