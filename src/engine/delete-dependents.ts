/**
 * An operator's delete takes what the execution brought into being with it: the children it invoked and, for a run
 * that continued as new, the later runs of its chain. Both are named after it (`<id>:invoke:<op>`, `<id>~<n>`), so
 * once it is gone a start under its name would find them: its invokes would take the old children's outcomes
 * without running them, its continuation would join the old chain. Dependents go first, each through its own delete
 * (which takes its own dependents), so that a refusal (one still running: ExecutionNotEnded, naming it) leaves the
 * execution itself in place. Dependents deleted before such a refusal are ones nothing reads again: their parent,
 * or the run before them, has ended.
 */
import { Effect } from "effect"
import type { ExecutionState } from "../log/fold.ts"
import { nextRunId } from "./continue-as-new.ts"
import { ExecutionNotEnded } from "./engine-errors.ts"
import type { ReadFailure } from "./execution-client.ts"
import { isLiveStatus, shownStatus } from "./execution-view.ts"

/**
 * The executions named after this one: the children its invokes started (those a rewind forgot too), and its chain's
 * next run. Not a child named after another execution: a fork's log copies its source's invokes, their children the
 * source's.
 */
export const dependentsOf = (state: ExecutionState): ReadonlyArray<string> => {
  const own = `${state.executionId}:invoke:`
  const ids = (state.forgottenChildren ?? []).filter((id) => id.startsWith(own))
  for (const op of state.operations.values()) {
    if (op.type === "CHAINED_INVOKE" && op.childExecutionId?.startsWith(own) === true) ids.push(op.childExecutionId)
  }
  if (state.status === "CONTINUED_AS_NEW") ids.push(nextRunId(state.executionId))
  return ids
}

/**
 * Deletes the ended execution's dependents (`deleteOne`: where each lives; one already gone is no error), then the
 * execution (`deleteOwn`). A live execution is refused before anything is deleted.
 */
export const deleteWithDependents = <E>(
  state: ExecutionState,
  deleteOne: (executionId: string) => Effect.Effect<void, ReadFailure | ExecutionNotEnded | E>,
  deleteOwn: Effect.Effect<void, ReadFailure | ExecutionNotEnded | E>
): Effect.Effect<void, ReadFailure | ExecutionNotEnded | E> =>
  Effect.gen(function*() {
    if (isLiveStatus(shownStatus(state))) return yield* new ExecutionNotEnded({ executionId: state.executionId, status: shownStatus(state) })
    for (const id of dependentsOf(state)) {
      yield* deleteOne(id).pipe(Effect.catchTag("ExecutionNotFound", () => Effect.void))
    }
    yield* deleteOwn
  })
