/**
 * Who the engine tells of each write, beside the watchers of one execution: the lifecycle feed of `GET /v1/events`
 * and the observer (traces, metrics). Both hear each event once, as written: a replay, which writes nothing, is silent.
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"
import { LifecycleBus } from "./lifecycle-bus.ts"
import { makeLifecycleFeed } from "./lifecycle-feed.ts"
import { sampledOf } from "../log/trace-ids.ts"
import { ExecutionObserver } from "./observer.ts"

/** The listeners, with the observer and the lifecycle bus of the context the engine is built in. */
export const makeWriteListeners = Effect.gen(function*() {
  const observer = yield* ExecutionObserver
  const bus = yield* LifecycleBus
  const feed = makeLifecycleFeed(bus?.publish)
  bus?.onChange(feed.deliver)
  return {
    feed,
    /** Whether the feed hears every host's writes: its own, and the others' through the bus. */
    hearsEveryHost: bus !== undefined,
    written: (state: ExecutionState, events: ReadonlyArray<LogEvent>): void => {
      feed.publish(state.executionId, state.functionName, events)
      observer?.written(state, events)
    },
    /** The sampled flag of the traceparents an execution hands on (its steps', its children's). */
    sampled: (state: ExecutionState): boolean => observer?.sampled?.(state) ?? sampledOf(state)
  }
})
