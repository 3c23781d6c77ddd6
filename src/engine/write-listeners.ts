/**
 * Who the engine tells of each write, beside the watchers of one execution: the lifecycle feed of `GET /v1/events`
 * and the observer (traces, metrics). Both hear each event once, as written: a replay, which writes nothing, is silent.
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"
import { makeLifecycleFeed } from "./lifecycle-feed.ts"
import { ExecutionObserver } from "./observer.ts"

/** The listeners, with the observer of the context the engine is built in. */
export const makeWriteListeners = Effect.map(ExecutionObserver, (observer) => {
  const feed = makeLifecycleFeed()
  return {
    feed,
    written: (state: ExecutionState, events: ReadonlyArray<LogEvent>): void => {
      feed.publish(state.executionId, state.functionName, events)
      observer?.written(state, events)
    }
  }
})
