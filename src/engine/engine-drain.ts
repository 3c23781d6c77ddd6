/**
 * A host's shutdown without re-runs: once `drain` is called no new step attempt (or condition check) begins in this
 * engine, and it resolves when the attempts already running have ended and their outcomes are written, or after
 * `maxMs`. Without it, a body running when the engine closed was cut off and ran again at the next start, and so
 * did the ones that began during the shutdown (found by the crash probe: every rolling deploy re-ran bodies that
 * could have finished). A held attempt writes nothing: it begins at the next start, as after a pause.
 */
import { Clock, Effect } from "effect"
import type { Actor } from "./actor.ts"

/** How often the drain looks again whether every actor is quiet. */
const LOOK_EVERY_MS = 5

export const makeDrain = (actors: ReadonlyMap<string, Actor>) => {
  let draining = false
  const busy = () => {
    for (const actor of actors.values()) if (!actor.quiet) return true
    return false
  }
  return {
    draining: (): boolean => draining,
    drain: (maxMs: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        draining = true
        const deadline = (yield* Clock.currentTimeMillis) + maxMs
        while (busy() && (yield* Clock.currentTimeMillis) < deadline) yield* Effect.sleep(LOOK_EVERY_MS)
      })
  }
}
