/**
 * The engine's side of `ctx.continueAsNew` (src/context/continue-as-new.ts): the runs of one logical execution are
 * `<id>`, `<id>~2`, `<id>~3` …, each linked to the one before (`continuedFrom`) and the one after (`continuedAs`).
 */
import { Effect, Exit } from "effect"
import { macrotask } from "../context/real-timers.ts"
import type { Session } from "../context/session.ts"
import type { ExecutionState } from "../log/fold.ts"
import type { ChildStart, InvokerShape } from "./invoker.ts"

/** A continued run's suffix: `~2`, `~3` … */
const RUN_SUFFIX = /~(\d{1,9})$/

/** The id of the run after `executionId`: `<id>~2` after `<id>`, `<id>~(n+1)` after `<id>~n`. */
export const nextRunId = (executionId: string): string => {
  const match = RUN_SUFFIX.exec(executionId)
  return match === null ? `${executionId}~2` : `${executionId.slice(0, match.index)}~${Number(match[1]) + 1}`
}

/** The first run's id of a continued run (`<id>` for `<id>~3`); undefined for an id that is no continued run. */
export const firstRunId = (executionId: string): string | undefined => {
  const match = RUN_SUFFIX.exec(executionId)
  return match === null ? undefined : executionId.slice(0, match.index)
}

/**
 * Starts the next run (idempotently: a replay after a crash between the start and the end asks again), then ends
 * this one. A start that fails (the next id taken by another input) fails this run with the reason.
 */
export const continueRun = (start: InvokerShape["start"], stop: InvokerShape["stop"]) => async (session: Session, input: string | undefined): Promise<void> => {
  const state = session.state
  const next = nextRunId(state.executionId)
  const request: ChildStart = {
    functionName: state.functionName,
    ...(input === undefined ? {} : { inputPayload: input }),
    executionId: next,
    ...(state.parent === undefined ? {} : { parent: state.parent }),
    continuedFrom: state.executionId
  }
  // One turn of the event loop first: on a store that answers at once (memory) a function that continues for ever
  // ran its chain on microtasks alone, starving the process (no timer, no socket) until memory ran out.
  await macrotask()
  const started = await Effect.runPromiseExit(start(request))
  if (Exit.isFailure(started)) {
    const failure = started.cause
    session.fail(new Error(`ctx.continueAsNew could not start run ${next}: ${String(failure)}`))
    return
  }
  // Stopped while the next run was being started: that run is stopped too, or it would go on unseen by a stop of
  // the chain (this one ends STOPPED, with no link to it).
  if (session.state.status !== "RUNNING") {
    await Effect.runPromiseExit(stop(next, session.state.error ?? { errorType: "ExecutionStopped", errorMessage: `${state.executionId} was stopped as it continued` }))
    return
  }
  session.post([{ _tag: "ExecutionContinuedAsNew", nextExecutionId: next, ...(input === undefined ? {} : { input }) }])
}

/**
 * The state of the run that ends (or is) the chain `executionId` belongs to, from this run onwards. A run this
 * engine cannot read (on Workers each run lives in its own object) ends the walk: the last run read is the answer.
 */
export const lastRun = <E extends { readonly _tag: string }>(
  executionId: string,
  stateOf: (executionId: string) => Effect.Effect<ExecutionState, E>
): Effect.Effect<ExecutionState, E> =>
  Effect.gen(function*() {
    let state = yield* stateOf(executionId)
    // Bounded: a chain of more runs than this is followed no further.
    for (let hops = 0; hops < 100_000 && state.status === "CONTINUED_AS_NEW" && state.continuedAs !== undefined; hops++) {
      const next: ExecutionState | undefined = yield* stateOf(state.continuedAs).pipe(
        Effect.catchIf((error) => error._tag === "ExecutionNotFound", () => Effect.succeed(undefined))
      )
      if (next === undefined) break
      state = next
    }
    return state
  })
