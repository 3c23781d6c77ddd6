/**
 * The ExecutionClient the Worker's HTTP app runs on: a thin forwarder. Every execution's calls go to the object named by its
 * id (callbacks by the execution their signed id names, checked here before any object is reached); listing reads
 * the index shards. No actor ever lives in the Worker.
 */
import { Effect } from "effect"
import type { DurableFunction } from "reprise"
import { type CallbackIdCodec, CallbackNotFound, type ExecutionClientShape, FunctionNotFound, watchByPolling } from "reprise/engine"
import { searchListing, startedInput } from "reprise/store"
import type { RepriseEnv } from "./env.ts"
import type { IndexClient } from "./index-client.ts"
import { call } from "./wire.ts"

/** The longest `?wait=` the HTTP API allows, in milliseconds. */
export const MAX_AWAIT_MS = 60_000

export interface WorkerClientOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly callbackIds: CallbackIdCodec
  readonly index: IndexClient
}

export const makeWorkerClient = (env: RepriseEnv, options: WorkerClientOptions): ExecutionClientShape => {
  const known = new Set(options.functions.map((fn) => fn.name))
  const object = (executionId: string) => env.EXECUTIONS.getByName(executionId)
  const target = (callbackId: string) =>
    Effect.flatMap(options.callbackIds.decode(callbackId), (ref) =>
      ref === undefined ? Effect.fail(new CallbackNotFound({ callbackId })) : Effect.succeed(ref.executionId))

  const history: ExecutionClientShape["history"] = (executionId, page) => call("history", () => object(executionId).history(executionId, page))
  return {
    functions: options.functions.map((fn) => ({
      name: fn.name,
      ...(fn.options.description === undefined ? {} : { description: fn.options.description })
    })),
    start: (request) =>
      Effect.suspend(() => {
        // Checked here too, so that a start of an unknown function never creates an object.
        if (!known.has(request.functionName)) return Effect.fail(new FunctionNotFound({ functionName: request.functionName }))
        const executionId = request.executionId ?? crypto.randomUUID()
        return call("start", () => object(executionId).start({ ...request, executionId }))
      }),
    completeCallback: (callbackId, outcome) =>
      Effect.flatMap(target(callbackId), (id) => call("completeCallback", () => object(id).completeCallback(id, callbackId, outcome))),
    heartbeatCallback: (callbackId) =>
      Effect.flatMap(target(callbackId), (id) => call("heartbeatCallback", () => object(id).heartbeatCallback(id, callbackId))),
    stop: (executionId, error, options) => call("stop", () => object(executionId).stop(executionId, error, options)),
    pause: (executionId) => call("pause", () => object(executionId).pause(executionId)),
    resume: (executionId) => call("resume", () => object(executionId).resume(executionId)),
    describe: (executionId) => call("describe", () => object(executionId).describe(executionId)),
    awaitEnd: (executionId) => call("awaitEnd", () => object(executionId).awaitEnd(executionId, MAX_AWAIT_MS)),
    history,
    // The Worker has no engine of its own: an event stream polls the object's history (watch-by-polling.ts).
    watch: watchByPolling(history),
    // The input search reads each listed execution's first event from its object (at most MAX_SCANNED per page).
    list: searchListing(options.index.list, (executionId) =>
      history(executionId, { after: 0, limit: 1 }).pipe(
        Effect.map(startedInput),
        Effect.catchTag("ExecutionNotFound", () => Effect.succeed(undefined)),
        Effect.catchTag("LogCorrupted", () => Effect.succeed(undefined))
      ))
  }
}
