/**
 * `withDurableExecution(fn)`: a Lambda handler for the durable invocation envelope, running a Reprise durable
 * function (or a bare `(event, ctx) => Promise` handler) on Lambda's durable-execution service.
 *
 * Every invocation is a replay (docs/design.md §9): the service's operations are read (paging through
 * GetDurableExecutionState), translated into the log, and a fresh engine runs the handler over them; operations
 * already recorded return their results, new ones are checkpointed. The invocation ends when the engine is idle:
 * SUCCEEDED or FAILED when the handler has ended, PENDING when it waits on the service (a wait, a callback, a
 * retry or a chained invoke), which re-invokes the function when that is done. A checkpoint failure of this
 * invocation only is thrown (Lambda retries the invocation); one the execution cannot get past ends it FAILED.
 */
import { Cause, Effect, Exit, Layer } from "effect"
import { durable, type DurableFunction, type DurableHandler, type InvocationInfo, type LambdaContext, type LogLineStyle } from "reprise"
import { Engine, ExecutionObserver, type ExecutionObserverShape, serviceRunsInvokes } from "reprise/engine"
import { type HostLogOptions, hostLoggingLayer } from "reprise/host"
import { type ErrorObject, ExecutionStore } from "reprise/store"
import { classifyStateError, InvocationTakenAway } from "./checkpoint-errors.ts"
import { fitErrorRecord } from "./error-size.ts"
import { type InvocationStore, makeInvocationStore } from "./invocation-store.ts"
import { type LambdaClientLike, lambdaDurableExecutionClient } from "./lambda-client.ts"
import type { DurableExecutionClient, DurableInvocationInput, DurableInvocationOutput, WireErrorObject, WireOperation } from "./wire.ts"
import { wireId } from "./operation-ids.ts"
import { operationsToLog } from "./wire-to-log.ts"
import { awaitingService, nextPollIn, serviceProgress } from "./service-poll.ts"

export interface LambdaAdapterConfig {
  /** The Lambda client for the checkpoint calls (default: one `new LambdaClient({})` per process). */
  readonly client?: LambdaClientLike
  /** Replaces the Lambda API altogether (an event that carries its own client, as the local test runner's do, wins). */
  readonly durableExecutionClient?: DurableExecutionClient
  /** The largest serialised payload of a step, callback or context (default 256 KiB, the service's limit). */
  readonly maxPayloadBytes?: number
  /**
   * The execution's life as log lines, one per write (JSON lines in CloudWatch): the level is this, else
   * $REPRISE_LOG_LEVEL, else info. Every invocation replays, and a replay writes nothing, so nothing is said twice.
   */
  readonly logging?: HostLogOptions
  /** Told of every write: traces and metrics (reprise/otel's `otelObserver`). */
  readonly observer?: ExecutionObserverShape
  /**
   * How often the service's state is read while user code keeps the invocation alive and a wait, callback or
   * chained invoke is pending (default 1000 ms): what completed goes on in the same invocation, as under AWS's SDK.
   */
  readonly pollEveryMs?: number
}

/** The handler Lambda calls: `(event, context) => Promise<{ Status, Result? | Error? }>`. */
export type DurableLambdaHandler = (event: DurableInvocationInput, context?: unknown) => Promise<DurableInvocationOutput>

/**
 * The largest result an execution ends with: it is returned in the invocation's response, not checkpointed, so
 * Lambda's 6 MB response limit holds (less AWS's SDK's 50 bytes for the envelope), not the 256 KiB of a payload.
 */
export const MAX_RESULT_BYTES = 6 * 1024 * 1024 - 50

/** The name a bare handler is registered under (it appears in no log the service keeps). */
const BARE_HANDLER_NAME = "handler"

const isDurableFunction = (fn: unknown): fn is DurableFunction =>
  typeof fn === "object" && fn !== null && typeof (fn as DurableFunction).handler === "function" && typeof (fn as DurableFunction).name === "string"

/**
 * The handler for `fn`. `Output` is what the caller's type expects the answer to be: it defaults to
 * DurableInvocationOutput, and where the handler is handed to AWS's own types (the local test runner's
 * `handlerFunction`, whose Status is an enum that no string literal type matches) it is inferred from them, so
 * the handler fits without a cast. The answer is the same object either way: `Output` is not checked against it
 * (unsound by design, for that one purpose), so name no other type for it.
 */
export const withDurableExecution = <I = any, O = any, Output extends { readonly Status: string } = DurableInvocationOutput>(
  fn: DurableFunction<I, O> | DurableHandler<I, O>,
  config: LambdaAdapterConfig = {}
): (event: DurableInvocationInput, context?: unknown) => Promise<Output> => {
  const durableFunction: DurableFunction = isDurableFunction(fn) ? fn : durable(BARE_HANDLER_NAME, fn as DurableHandler)
  if (config.client !== undefined && config.durableExecutionClient !== undefined) {
    throw new TypeError("withDurableExecution: give either `client` or `durableExecutionClient`, not both")
  }
  const configured = config.durableExecutionClient ?? lambdaDurableExecutionClient(config.client)

  const handler: DurableLambdaHandler = async (event, context) => {
    if (typeof event?.DurableExecutionArn !== "string" || typeof event.CheckpointToken !== "string") {
      throw new Error(
        "Unexpected payload provided to start the durable execution.\nCheck your resource configurations to confirm the durability is set."
      )
    }
    const client = eventClient(event) ?? configured
    const arn = event.DurableExecutionArn
    let operations: Array<WireOperation>
    try {
      operations = await readState(client, event)
    } catch (error) {
      if (classifyStateError(error) === "EXECUTION") return failedWith(errorObjectOf(error))
      throw error
    }
    let store: InvocationStore
    try {
      const log = operationsToLog(arn, durableFunction.name, operations, Date.now())
      store = makeInvocationStore({ client, executionArn: arn, checkpointToken: event.CheckpointToken, log })
    } catch (error) {
      return failedWith(errorObjectOf(error)) // a state this adapter cannot read will not read better on a retry
    }

    const exit = await runInvocation(durableFunction, store, arn, config, invocationOf(context))
    const failure = store.failure()
    if (failure instanceof InvocationTakenAway) {
      console.warn(`reprise: execution ${arn}: ${failure.message}; ending this invocation as PENDING`)
      return { Status: "PENDING" }
    }
    if (failure !== undefined) {
      if (failure.scope === "EXECUTION") return failedWith(errorObjectOf(failure))
      throw failure
    }
    if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
    const end = store.outcome()
    if (end === undefined) return { Status: "PENDING" }
    if (end._tag === "ExecutionSucceeded") return { Status: "SUCCEEDED", ...(end.result === undefined ? {} : { Result: end.result }) }
    const error = "error" in end ? end.error : undefined
    return failedWith(error ?? { errorType: end._tag, errorMessage: `The execution ended: ${end._tag}` })
  }
  return handler as (event: DurableInvocationInput, context?: unknown) => Promise<Output>
}

/**
 * Runs the handler on a fresh engine over this invocation's store until nothing more can happen in it: the handler
 * has ended, or it waits only on operations the service has not completed. While a step body runs and the service
 * has a wait, callback or invoke of ours pending, its state is read every `pollEveryMs`; what it completed is taken
 * in and the code waiting on it goes on, in this invocation. Once the handler is blocked, the invocation ends.
 */
const runInvocation = (fn: DurableFunction, store: InvocationStore, arn: string, config: LambdaAdapterConfig, invocation: InvocationInfo) => {
  const engineLayer = Engine.layer({
    invocation,
    functions: [fn],
    invoker: serviceRunsInvokes, // the service runs chained invokes and records their outcomes
    callbackIds: serviceCallbackIds,
    keepsPatchMarkers: false, // the service keeps operations only
    ...(config.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: config.maxPayloadBytes }),
    maxResultBytes: MAX_RESULT_BYTES,
    fitError: fitErrorRecord // recorded as the service will hold it: the first run sees what a replay reads back
  }).pipe(
    Layer.provide(Layer.succeed(ExecutionStore, store)),
    Layer.provide(hostLoggingLayer({ write: lifecycleLine, ...config.logging }, (name) => process.env[name])),
    Layer.provide(Layer.succeed(ExecutionObserver, config.observer))
  )
  return Effect.runPromiseExit(
    Effect.gen(function*() {
      const engine = yield* Engine
      yield* engine.alarm(arn) // loads the execution from the store: the handler starts, replaying what is recorded
      const pollEveryMs = config.pollEveryMs ?? 1000
      for (;;) {
        // Lambda's own timeout bounds a long step: settle has no limit of its own here.
        const blocked = yield* Effect.raceFirst(
          Effect.as(engine.settle(arn, { maxMs: Number.POSITIVE_INFINITY }), true),
          Effect.as(Effect.sleep(nextPollIn(store.events(), pollEveryMs, Date.now())), false)
        )
        // Ended, or blocked on what the service has not completed: as AWS's SDK, end (PENDING) and be re-invoked.
        if (blocked || store.outcome() !== undefined || store.failure() !== undefined) break
        // Read the state only while a step body keeps the invocation alive: AWS's SDK does not go on past a point
        // where the handler waits on the service alone.
        if (awaitingService(store.events()).size === 0 || !(yield* engine.userCodeRunning(arn))) continue
        const progress = yield* Effect.promise(() =>
          store.readState().then(
            (wire) => serviceProgress(arn, fn.name, store.events(), wire, Date.now()),
            () => ({ completions: [], due: [] }) // a failed read ends nothing: the next one may succeed
          ))
        store.markReady(progress.due)
        if (progress.completions.length > 0 || progress.due.length > 0) yield* engine.observe(arn, progress.completions, progress.due)
      }
      yield* engine.evict(arn) // whatever user code still runs is abandoned: it can no longer write
    }).pipe(Effect.provide(engineLayer))
  )
}

/**
 * The default logger's lines as AWS's SDK writes them: `executionArn`, the service's operation ids, and straight to
 * stdout and stderr. Through `console`, which Lambda's runtime patches, each JSON line was wrapped in another.
 */
const awsLogLines: LogLineStyle = {
  executionField: "executionArn",
  operationId: wireId,
  write: (line, toStderr) => void (toStderr ? process.stderr : process.stdout).write(`${line}\n`)
}

/**
 * The lifecycle lines go to stderr directly, as the default logger's do: Lambda's runtime patches `console`, and
 * through console.error every line, an info one too, was an ERROR record in CloudWatch (and, with Lambda's JSON log
 * format, a JSON line inside another's message).
 */
const lifecycleLine = (line: string) => void process.stderr.write(`${line}\n`)

/** `ctx.lambdaContext` and the logging context's request and tenant ids (AWS's names), from Lambda's context. */
const invocationOf = (context: unknown): InvocationInfo => {
  if (typeof context !== "object" || context === null) return { logLines: awsLogLines }
  const lambda = context as LambdaContext
  return {
    logLines: awsLogLines,
    lambdaContext: lambda,
    ...(typeof lambda.awsRequestId === "string" ? { requestId: lambda.awsRequestId } : {}),
    ...(typeof lambda.tenantId === "string" ? { tenantId: lambda.tenantId } : {})
  }
}

/**
 * Callback ids come from the service (CALLBACK START answers with one); the engine's own id is only a
 * placeholder that the invocation store replaces before the callback is recorded.
 */
const serviceCallbackIds = {
  encode: (ref: { readonly operationId: string }) => Effect.succeed(`pending-service-callback-id:${ref.operationId}`),
  decode: () => Effect.succeed(undefined)
}

const eventClient = (event: DurableInvocationInput): DurableExecutionClient | undefined => {
  const client = event.durableExecutionClient
  return client !== undefined && typeof client.checkpoint === "function" && typeof client.getExecutionState === "function"
    ? client
    : undefined
}

/** The whole state: the envelope's operations, then the pages behind its marker. */
const readState = async (client: DurableExecutionClient, event: DurableInvocationInput): Promise<Array<WireOperation>> => {
  const operations = [...(event.InitialExecutionState?.Operations ?? [])]
  let marker = event.InitialExecutionState?.NextMarker || undefined
  while (marker !== undefined) {
    const page = await client.getExecutionState({
      DurableExecutionArn: event.DurableExecutionArn,
      CheckpointToken: event.CheckpointToken,
      Marker: marker,
      MaxItems: 1000
    })
    operations.push(...(page.Operations ?? []))
    marker = page.NextMarker || undefined
  }
  return operations
}

const failedWith = (error: ErrorObject): DurableInvocationOutput => ({ Status: "FAILED", Error: toWireError(error) })

export const toWireError = (error: ErrorObject): WireErrorObject => ({
  ErrorType: error.errorType,
  ErrorMessage: error.errorMessage,
  ...(error.errorData === undefined ? {} : { ErrorData: error.errorData })
})

const errorObjectOf = (error: unknown): ErrorObject =>
  error instanceof Error
    ? { errorType: error.name || "Error", errorMessage: error.message }
    : { errorType: "Error", errorMessage: String(error) }
