/**
 * The ExecutionClient the Worker's HTTP app runs on: a thin forwarder. Every execution's calls go to the object named by its
 * id (callbacks by the execution their signed id names, checked here before any object is reached); listing reads
 * the index shards. No actor ever lives in the Worker.
 */
import { Effect } from "effect"
import type { DurableFunction } from "reprise"
import {
  type CallbackIdCodec,
  CallbackNotFound,
  DEFAULT_MAX_PAYLOAD_BYTES as MAX_PAYLOAD_BYTES,
  type ExecutionClientShape,
  type ExecutionView,
  forkedLog,
  FunctionNotFound,
  uuidV7Of,
  watchByPolling
} from "reprise/engine"
import { runInput, searchListing } from "reprise/store"
import type { RepriseEnv } from "./env.ts"
import type { IndexClient } from "./index-client.ts"
import { call } from "./wire.ts"

/** An id for an execution the caller did not name: in start order, as the engine's (src/engine/secure-random.ts). */
const newExecutionId = () => uuidV7Of(Date.now(), crypto.getRandomValues(new Uint8Array(16)))

/** The longest `?wait=` the HTTP API allows, in milliseconds. */
export const MAX_AWAIT_MS = 60_000

export interface WorkerClientOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly callbackIds: CallbackIdCodec
  readonly index: IndexClient
  /** The largest payload an execution stores (a fork's new input is held to it). */
  readonly maxPayloadBytes?: number | undefined
}

export const makeWorkerClient = (env: RepriseEnv, options: WorkerClientOptions): ExecutionClientShape => {
  const known = new Set(options.functions.map((fn) => fn.name))
  const limited = new Set(options.functions.filter((fn) => fn.flow !== undefined).map((fn) => fn.name))
  const flowObject = (functionName: string) => {
    if (env.FLOW_CONTROL === undefined) throw new Error("The FLOW_CONTROL binding (class FlowObject) is needed for functions with flow control")
    return env.FLOW_CONTROL.getByName(functionName)
  }
  /** QUEUED executions with their place in their function's queue (the FlowObject knows it). */
  const withPositions = <V extends { readonly executionId: string; readonly status: string; readonly functionName: string }>(views: ReadonlyArray<V>) =>
    Effect.promise(async (): Promise<Array<V>> => {
      const byFunction = new Map<string, Array<string>>()
      for (const v of views) {
        // Also those of a function deployed without limits or removed since they queued: its FlowObject still has
        // them (and, asked, lets them go when the limits were dropped).
        if (v.status === "QUEUED" && (limited.has(v.functionName) || env.FLOW_CONTROL !== undefined)) byFunction.set(v.functionName, [...(byFunction.get(v.functionName) ?? []), v.executionId])
      }
      if (byFunction.size === 0) return [...views]
      const positions: Record<string, number> = {}
      await Promise.all([...byFunction].map(async ([fn, ids]) => {
        // Without a position (the FlowObject cannot be reached) the view is still right, only less detailed.
        Object.assign(positions, await flowObject(fn).positions(ids).catch(() => ({})))
      }))
      return views.map((v) => (positions[v.executionId] === undefined ? v : { ...v, queuePosition: positions[v.executionId] }))
    })
  const object = (executionId: string) => env.EXECUTIONS.getByName(executionId)
  const target = (callbackId: string) =>
    Effect.flatMap(options.callbackIds.decode(callbackId), (ref) =>
      ref === undefined ? Effect.fail(new CallbackNotFound({ callbackId })) : Effect.succeed(ref.executionId))

  const listing = searchListing(options.index.list, (executionId) =>
    runInput((after, limit) => history(executionId, { after, limit })).pipe(
      Effect.catchTag("ExecutionNotFound", () => Effect.succeed(undefined)),
      Effect.catchTag("LogCorrupted", () => Effect.succeed(undefined))
    ))
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
        const executionId = request.executionId ?? newExecutionId()
        // A function with limits starts through its FlowObject, which runs it now or queues it.
        if (limited.has(request.functionName)) return call("start", () => flowObject(request.functionName).start({ ...request, executionId }))
        return call("start", () => object(executionId).start({ ...request, executionId }))
      }),
    // ?wait in one round trip to the object (start, describe and awaitEnd would be three).
    startAndDescribe: (request, waitMs) =>
      Effect.suspend(() => {
        if (!known.has(request.functionName)) return Effect.fail(new FunctionNotFound({ functionName: request.functionName }))
        const executionId = request.executionId ?? newExecutionId()
        // A function with limits starts through its FlowObject (it may queue), so not in one RPC to the object.
        if (limited.has(request.functionName)) {
          return Effect.gen(function*() {
            const started = yield* call("start", () => flowObject(request.functionName).start({ ...request, executionId }))
            const view = waitMs > 0
              ? yield* call("awaitEnd", () => object(started.executionId).awaitEnd(started.executionId, Math.min(waitMs, MAX_AWAIT_MS)))
              : yield* call("describe", () => object(started.executionId).describe(started.executionId))
            return { started, view: (yield* withPositions([view]))[0]! }
          })
        }
        return call("start", () => object(executionId).startAndDescribe({ ...request, executionId }, Math.min(waitMs, MAX_AWAIT_MS)))
      }),
    completeCallback: (callbackId, outcome) =>
      Effect.flatMap(target(callbackId), (id) => call("completeCallback", () => object(id).completeCallback(id, callbackId, outcome))),
    heartbeatCallback: (callbackId) =>
      Effect.flatMap(target(callbackId), (id) => call("heartbeatCallback", () => object(id).heartbeatCallback(id, callbackId))),
    stop: (executionId, error, options) => call("stop", () => object(executionId).stop(executionId, error, options)),
    pause: (executionId) => call("pause", () => object(executionId).pause(executionId)),
    resume: (executionId) => call("resume", () => object(executionId).resume(executionId)),
    rewind: (executionId, request) => call("rewind", () => object(executionId).rewind(executionId, request)),
    delete: (executionId) => call("delete", () => object(executionId).deleteExecution(executionId)),
    // A fork's log is built here from the source's history, and adopted by the new execution's own object.
    fork: (executionId, request) =>
      Effect.gen(function*() {
        const source = yield* history(executionId)
        const forkId = newExecutionId()
        // The label of the code deployed here, which runs the fork (the source's may be an older deploy's).
        const name = source[0]?._tag === "ExecutionStarted" ? source[0].functionName : undefined
        const version = options.functions.find((fn) => fn.name === name)?.options.version
        const events = yield* forkedLog(source, request, forkId, Date.now(), options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES, version)
        yield* call("adopt", () => object(forkId).adopt(forkId, events))
        return { executionId: forkId, created: true }
      }),
    describe: (executionId) =>
      Effect.flatMap(call("describe", () => object(executionId).describe(executionId)), (view: ExecutionView) => Effect.map(withPositions([view]), ([v]) => v!)),
    awaitEnd: (executionId) => call("awaitEnd", () => object(executionId).awaitEnd(executionId, MAX_AWAIT_MS)),
    history,
    // The Worker has no engine of its own: an event stream polls the object's history (watch-by-polling.ts).
    watch: watchByPolling(history),
    // The input search reads each listed execution's first event from its object (at most MAX_SCANNED per page).
    list: (query) =>
      Effect.flatMap(listing(query), (page) => Effect.map(withPositions(page.items), (items) => ({ ...page, items })))
  }
}
