/** Evicting idle actors (the engine's `evictIdle`, and a host letting an execution go to another host). */
import { Effect } from "effect"
import type { Actor } from "./actor.ts"

/** Evicts those of `candidates` still evictable once suspended and after one event-loop turn; how many went. */
export const evictWhenIdle = (candidates: ReadonlyArray<Actor>): Effect.Effect<number> =>
  Effect.gen(function*() {
    if (candidates.length === 0) return 0
    // Suspend first: each alarm falls back to the next timer, without the watchdog.
    for (const actor of candidates) yield* Effect.ignore(actor.send<never>((reply) => ({ _tag: "Suspend", reply })))
    // Then let whatever was about to happen (a resolved step continuing into its next call) happen.
    yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))
    let evicted = 0
    for (const actor of candidates) {
      if (!actor.evictable) continue
      actor.evict()
      evicted++
    }
    return evicted
  })
