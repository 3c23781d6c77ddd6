/** A stop that reaches the children an execution invoked (design.md §7). */
import { Cause, Effect } from "effect"
import type { ExecutionState } from "../log/fold.ts"
import type { InvokerShape } from "./invoker.ts"

/**
 * Stops the children a stopped execution was still waiting for, one after the other (each stop goes on to its own
 * children). One that has ended meanwhile, or cannot be reached, does not keep the others running: its failure
 * is logged; its outcome, should it still end, reaches a parent that no longer takes it.
 */
export const stopChildren = (invoker: InvokerShape, parent: ExecutionState) =>
  Effect.forEach(
    [...parent.operations.values()].filter((op) => op.type === "CHAINED_INVOKE" && op.status === "STARTED" && op.childExecutionId !== undefined),
    (op) =>
      invoker.stop(op.childExecutionId!, {
        errorType: "ParentStopped",
        errorMessage: `Stopped with its parent ${parent.executionId} (operation ${op.id})`
      }).pipe(
        Effect.catchCause((cause) => {
          const tag = (Cause.squash(cause) as { readonly _tag?: unknown } | undefined)?._tag
          return tag === "ExecutionNotRunning" || tag === "ExecutionNotFound"
            ? Effect.void
            : Effect.logWarning(`stopping the child ${op.childExecutionId} failed`, cause)
        })
      ),
    { discard: true }
  )
