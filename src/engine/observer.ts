/**
 * The observer port (docs/observability.md): what the engine tells an observer, such as `reprise/otel`'s tracer and
 * meter. It is told of the events as they are written, once (a replay writes nothing, so it is told nothing), with
 * the execution's state after them, on every runtime the engine runs on. The core depends on no telemetry library:
 * the spans an observer should emit are worked out here (trace-spans.ts) and it only has to hand them on.
 */
import { Context } from "effect"
import type { LogEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"

export interface ExecutionObserverShape {
  /** Events just written (in order, each once), and the execution's state after them. Must not throw. */
  readonly written: (state: ExecutionState, events: ReadonlyArray<LogEvent>) => void
  /**
   * Whether the execution's spans are recorded (the sampler's decision), for an observer that decides: a step's
   * `traceparent` and an invoked child's carry it, so that what they call follows it. Must not throw. Absent: the
   * flags of the execution's own traceparent.
   */
  readonly sampled?: (state: ExecutionState) => boolean
}

/** The engine's observer; none by default. Provide it with `Layer.succeed(ExecutionObserver, observer)`. */
export const ExecutionObserver = Context.Reference<ExecutionObserverShape | undefined>("reprise/engine/ExecutionObserver", {
  defaultValue: () => undefined
})
