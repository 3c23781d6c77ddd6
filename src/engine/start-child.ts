/** Starting the child of a parent's invoke operation, wherever children run (the invoker, design.md §7). */
import { Effect } from "effect"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import { formatTraceparent, spanIdOf, traceIdOf } from "../log/trace-ids.ts"
import type { ChildOutcome } from "./actor-messages.ts"
import type { ParentRef } from "./execution-client.ts"
import type { InvokerShape } from "./invoker.ts"

/** Starts an invoked child (idempotently) where children run; a child that cannot start, or has ended, answers at once. */
export const startInvokedChild = <E>(
  invoker: InvokerShape,
  childFinished: (parent: ParentRef, outcome: ChildOutcome) => Effect.Effect<void, E>,
  parentState: ExecutionState,
  op: OperationState,
  /** The parent's sampling decision (the observer's, else its traceparent's). */
  sampled: boolean
) =>
  Effect.gen(function*() {
    const parent = { executionId: parentState.executionId, operationId: op.id }
    const childId = op.childExecutionId!
    const started = yield* Effect.result(invoker.start({
      functionName: op.functionName!,
      ...(op.input === undefined ? {} : { inputPayload: op.input }),
      executionId: childId,
      parent,
      // Under the invoke's span, with the parent's sampling decision.
      traceparent: formatTraceparent(traceIdOf(parentState), spanIdOf(parent.executionId, op.id, undefined, parentState.rewinds), sampled)
    }))
    if (started._tag === "Failure") {
      const failure = started.failure
      return yield* childFinished(parent, { status: "FAILED", error: { errorType: failure._tag, errorMessage: failure.message } })
    }
    if (!started.success.created) {
      const outcome = yield* invoker.outcome(childId)
      if (outcome !== undefined) yield* childFinished(parent, outcome)
    }
  })
