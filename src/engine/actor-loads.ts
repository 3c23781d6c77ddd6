/**
 * One load at a time per execution (docs/engine.md, "One load at a time"). Messages that meet an execution out of
 * memory at once (a child's outcome and the parent's own alarm, after a restart) share one load: each had made its
 * actor once the store's reads had to wait (Deno KV), and the second ran a step body the first had just run (the
 * crash soak, 1 in about 5,000 bodies). A stop or a pause asks that its message be handled before the handler starts
 * (ActorDeps.handlerAfterFirstMessage): it is put in the mailbox as the actor is made, if that has not happened yet.
 */
import { Deferred, Effect, type Fiber } from "effect"
import type { Actor } from "./actor.ts"

/** What a load is told by those who wait on it. */
export interface LoadHooks {
  /** Whether some message is to be handled before the handler starts (read as the actor is made). */
  readonly firstMessages: () => boolean
  /** The actor is made: the messages asked for before it go into its mailbox now. */
  readonly made: (actor: Actor) => void
}

interface InFlight<E> {
  readonly done: Deferred.Deferred<Actor | undefined, E>
  readonly firsts: Array<(made: Actor) => void>
  made: boolean
}

/**
 * The actor of an execution: the live one, else the load in flight, else a new load, run apart from the caller (a
 * caller that gives up, a request cut off, does not cut the others' load). Its end, however it comes (an engine
 * closing interrupts it, even before it starts), settles it for all.
 */
export const sharedLoads = <E>(
  live: (executionId: string) => Actor | undefined,
  load: (executionId: string, hooks: LoadHooks) => Effect.Effect<Actor | undefined, E>,
  runFork: (effect: Effect.Effect<Actor | undefined, E>) => Fiber.Fiber<Actor | undefined, E>
) => {
  const loading = new Map<string, InFlight<E>>()
  return (executionId: string, firstMessage?: (made: Actor) => void): Effect.Effect<Actor | undefined, E> =>
    Effect.suspend(() => {
      const actor = live(executionId)
      if (actor !== undefined) return Effect.succeed(actor)
      const inFlight = loading.get(executionId)
      if (inFlight !== undefined) {
        if (firstMessage !== undefined && !inFlight.made) inFlight.firsts.push(firstMessage)
        return Deferred.await(inFlight.done)
      }
      const entry: InFlight<E> = { done: Deferred.makeUnsafe(), firsts: firstMessage === undefined ? [] : [firstMessage], made: false }
      loading.set(executionId, entry)
      const hooks: LoadHooks = {
        firstMessages: () => entry.firsts.length > 0,
        made: (made) => {
          entry.made = true
          for (const first of entry.firsts) first(made)
        }
      }
      runFork(load(executionId, hooks)).addObserver((exit) => {
        if (loading.get(executionId) === entry) loading.delete(executionId)
        Deferred.doneUnsafe(entry.done, exit)
      })
      return Deferred.await(entry.done)
    })
}
