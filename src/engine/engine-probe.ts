/**
 * What tests and benchmarks read from an engine in memory. Provided beside the Engine by `Engine.layer`, exported
 * from `reprise/testing` only: hosts and clients never need it.
 */
import { Context, type Effect } from "effect"
import type { StoreFailure } from "../store/store-errors.ts"
import type { ExecutionView } from "./execution-client.ts"

export interface EngineProbeShape {
  /** How many actors are in memory. */
  actorCount(): number
  inMemory(executionId: string): boolean
  /**
   * How many times each execution's handler was invoked (1 + the cold replays); kept for the INVOCATIONS_KEPT
   * executions invoked last (0 for older ones), so that a long-running engine does not grow with every execution.
   */
  invocations(executionId: string): number
  /** The earliest operation timer of an execution in memory. */
  nextOperationDue(executionId: string): number | undefined
  /** When an execution in memory times out (its `executionTimeout`; none: never). */
  timeoutAt(executionId: string): number | undefined
  /**
   * An execution in memory as describe shows it, but with only its operations not ended (STARTED or PENDING): what
   * the test runner's drive loops read each round, where copying every operation made a run of n timers take n²
   * time. Undefined when it is not in memory.
   */
  openView(executionId: string): ExecutionView | undefined
  /** The store's alarm for an execution. */
  alarmOf(executionId: string): Effect.Effect<number | undefined, StoreFailure>
}

/** How many executions' invocation counts an engine keeps. */
export const INVOCATIONS_KEPT = 10_000

export class EngineProbe extends Context.Service<EngineProbe, EngineProbeShape>()("reprise/engine/EngineProbe") {}

/** The probe's invocation counts, the most recently invoked last; the oldest goes past INVOCATIONS_KEPT. */
export const makeInvocationCounts = () => {
  const counts = new Map<string, number>()
  return {
    count: (executionId: string): void => {
      const count = (counts.get(executionId) ?? 0) + 1
      counts.delete(executionId)
      counts.set(executionId, count)
      if (counts.size > INVOCATIONS_KEPT) counts.delete(counts.keys().next().value!)
    },
    of: (executionId: string): number => counts.get(executionId) ?? 0
  }
}
