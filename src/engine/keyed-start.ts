/**
 * Idempotency keys (the HTTP API's `executionName` and `Idempotency-Key`) are scoped per function, as AWS scopes
 * execution names: starting B with a key that A used is a new execution of B, not a conflict.
 *
 * The id format stays compatible with executions started before keys were scoped: a key becomes the execution id
 * when it is free (as before), and only when another function's execution holds it does the new one get the
 * scoped id `<key>~<function>` (no client-chosen name holds a `~`, so it cannot collide). A repeat finds either.
 * Nothing is migrated: the logs written before keep their ids and still answer their repeats. It needs nothing
 * from a store beyond its ordinary ids (the store conformance kit checks such ids), and it works over any
 * ExecutionClient (an engine, the Cloudflare Worker's client), since it only calls `describe` and `start`.
 */
import { Effect } from "effect"
import { ExecutionAlreadyExists } from "./engine-errors.ts"
import type { ExecutionClientShape, StartFailure, StartRequest, StartResult } from "./execution-client.ts"

export const scopedExecutionId = (key: string, functionName: string): string => `${key}~${functionName}`

/**
 * Starts `functionName` under `key`, idempotently and per function. `start` is the client's start, or any call that
 * starts like it and answers more (the client's `startAndDescribe`); it tells the execution id from its result.
 */
export const startWithKey = <A = StartResult, E = StartFailure>(
  client: ExecutionClientShape,
  request: StartRequest,
  key: string,
  start: (request: StartRequest) => Effect.Effect<A, E | ExecutionAlreadyExists> = client.start as never
) =>
  Effect.gen(function*() {
    const scoped = scopedExecutionId(key, request.functionName)
    // An execution of this function already holds the scoped id: this is its repeat.
    const held = yield* client.describe(scoped).pipe(
      Effect.as(true),
      Effect.catchTag("ExecutionNotFound", () => Effect.succeed(false))
    )
    if (held) return yield* start({ ...request, executionId: scoped })
    return yield* start({ ...request, executionId: key }).pipe(
      Effect.catchIf(
        (error): error is ExecutionAlreadyExists => error instanceof ExecutionAlreadyExists,
        (conflict) =>
          conflict.otherFunction !== undefined && conflict.otherFunction !== request.functionName
            ? start({ ...request, executionId: scoped })
            : Effect.fail(conflict)
      )
    )
  })
