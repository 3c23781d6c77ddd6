/**
 * The invoker port: where the child executions that `ctx.invoke` starts run, and how a child's outcome reaches its
 * parent. The engine keeps the rules (start the child idempotently, answer at once for a child that cannot start
 * or has already ended, tell the parent when the child ends); the invoker only moves the calls:
 *
 * - in-process (Node, Deno, the test runner): the engine itself, the default;
 * - Cloudflare: RPC to the child's Durable Object, and from the child's object back to the parent's;
 * - Lambda: the durable-execution service runs chained invokes and records their outcomes in the parent's log, so
 *   the invoker does nothing (`serviceRunsInvokes`); stopping a parent there leaves its chained invokes to the
 *   service (StopDurableExecution stops the one execution it names).
 */
import { Effect } from "effect"
import type { ChildOutcome } from "./actor-messages.ts"
import type { ErrorObject } from "../log/events.ts"
import type { ExecutionNotEnded } from "./engine-errors.ts"
import type { ParentRef, ReadFailure, StartFailure, StartRequest, StartResult } from "./execution-client.ts"

/**
 * A start where children run: a child of `ctx.invoke` (its id fixed by the parent's invoke operation, `parent` set)
 * or the next run of `ctx.continueAsNew` (`<id>~N`, `continuedFrom` set, and the chain's parent if it has one).
 */
export type ChildStart = StartRequest & { readonly executionId: string }

export interface InvokerShape {
  /** Starts the child where children run (idempotent: the same id twice is one execution). */
  start(request: ChildStart): Effect.Effect<StartResult, StartFailure>
  /** The child's outcome once it has ended; undefined while it runs. */
  outcome(childExecutionId: string): Effect.Effect<ChildOutcome | undefined, ReadFailure>
  /** Brings an ended child's outcome to the parent's invoke operation. */
  childFinished(parent: ParentRef, outcome: ChildOutcome): Effect.Effect<void, unknown>
  /**
   * Stops a child because its parent was stopped (the child's own children go with it). A child that has ended
   * or never started is not an error to the parent: the engine ignores those failures.
   */
  stop(childExecutionId: string, error: ErrorObject): Effect.Effect<void, unknown>
  /**
   * Deletes a child (or a chain's next run) with the execution that named it (delete-dependents.ts), where children
   * run elsewhere; absent, the engine deletes it itself (its children share its store).
   */
  delete?(executionId: string): Effect.Effect<void, ReadFailure | ExecutionNotEnded>
}

/** Lambda: the service starts chained invokes itself and writes their outcomes into the parent's log. */
export const serviceRunsInvokes: InvokerShape = {
  start: (request) => Effect.succeed({ executionId: request.executionId, created: true }),
  outcome: () => Effect.succeed(undefined),
  childFinished: () => Effect.void,
  stop: () => Effect.void
}
