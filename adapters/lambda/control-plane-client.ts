/**
 * The ExecutionClient the HTTP API talks to on Lambda: every route is answered by Lambda's control plane, since the
 * service keeps the executions. Start is Invoke (asynchronous, DurableExecutionName for idempotency), describe is
 * GetDurableExecution plus the operations folded from GetDurableExecutionHistory, history is that history, list
 * is ListDurableExecutionsByFunction, stop is StopDurableExecution, and callbacks are
 * SendDurableExecutionCallbackSuccess / Failure / Heartbeat.
 *
 * Execution ids in the API are the execution ARNs in base64url (an ARN holds '/' and ':'), so that they fit in
 * a URL path segment.
 */
import { Effect } from "effect"
import {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  DEFAULT_MAX_PAYLOAD_BYTES,
  ExecutionAlreadyExists,
  type ExecutionClientShape,
  ExecutionNotFound,
  ExecutionNotRunning,
  type ExecutionView,
  type FunctionInfo,
  FunctionNotFound,
  InvalidRequest,
  watchByPolling
} from "reprise/engine"
import { type ExecutionStatus, type ListPage, type LogEvent, StoreFailure } from "reprise/store"
import { errorOfWire, type HistoryEvent, operationsFromHistory } from "./history-operations.ts"
import { type LambdaClientLike, defaultLambdaClient, loadLambdaModule } from "./lambda-client.ts"
import { nameOf, refusalOf, serviceFailure, serviceMessage } from "./service-errors.ts"
import { wireMillis, type WireErrorObject } from "./wire.ts"

/** A durable function the API may start: its name in the API, the (qualified) function to invoke. */
export interface LambdaFunctionEntry {
  /** A qualified ARN or `name:alias` / `name:version`: durable functions are invoked by a qualified name. */
  readonly functionName: string
  readonly description?: string
}

export interface ControlPlaneOptions {
  /** API name → the Lambda function behind it. */
  readonly functions: Readonly<Record<string, string | LambdaFunctionEntry>>
  /** Default: one `new LambdaClient({})` per process. */
  readonly client?: LambdaClientLike
  /** How often `?wait=` polls GetDurableExecution, and an event stream the history (default 1 s). */
  readonly pollEveryMs?: number
}

type Sdk = typeof import("@aws-sdk/client-lambda")

export const encodeExecutionId = (arn: string): string => Buffer.from(arn, "utf8").toString("base64url")
export const decodeExecutionId = (executionId: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(executionId)) return undefined
  const arn = Buffer.from(executionId, "base64url").toString("utf8")
  return arn.length > 0 ? arn : undefined
}

const toWireError = (error: { errorType: string; errorMessage: string; errorData?: string } | undefined): WireErrorObject | undefined =>
  error === undefined ? undefined : {
    ErrorType: error.errorType,
    ErrorMessage: error.errorMessage,
    ...(error.errorData === undefined ? {} : { ErrorData: error.errorData })
  }

/**
 * A listing's cursor is Lambda's marker behind `0.`, the shape the API's cursor takes (`<startedAt>.<rest>`, as
 * the stores' cursors are): the marker is opaque, and a client hands it back as it got it.
 */
const cursorOfMarker = (marker: string): string => `0.${marker}`
const markerOfCursor = (cursor: string): string | undefined => (cursor.startsWith("0.") ? cursor.slice(2) : undefined)

/** Over the payload limit: Lambda's service keeps at most 256 KiB in an operation, a callback's result included. */
const overPayloadLimit = (text: string | undefined): boolean =>
  text !== undefined && text.length * 3 > DEFAULT_MAX_PAYLOAD_BYTES && new TextEncoder().encode(text).length > DEFAULT_MAX_PAYLOAD_BYTES

export const makeControlPlaneClient = (options: ControlPlaneOptions): ExecutionClientShape => {
  const entries = new Map<string, LambdaFunctionEntry>()
  const functions: Array<FunctionInfo> = []
  for (const [name, entry] of Object.entries(options.functions)) {
    const resolved = typeof entry === "string" ? { functionName: entry } : entry
    entries.set(name, resolved)
    functions.push({ name, ...(resolved.description === undefined ? {} : { description: resolved.description }) })
  }
  const apiNameOf = (functionArn: string | undefined): string => {
    for (const [name, entry] of entries) {
      if (functionArn !== undefined && (functionArn === entry.functionName || functionArn.endsWith(`:function:${entry.functionName}`))) return name
    }
    return functionArn ?? "unknown"
  }

  /** Sends one command; errors the caller does not map become StoreFailure (the service failed underneath). */
  const send = <A>(make: (sdk: Sdk) => unknown, operation: string): Effect.Effect<A, unknown> =>
    Effect.tryPromise({
      try: async () => {
        const sdk = await loadLambdaModule()
        const client = options.client ?? (await defaultLambdaClient())
        return (await client.send(make(sdk))) as A
      },
      catch: (error) => error
    }).pipe(Effect.mapError((error) => (typeof error === "object" && error !== null && "name" in error ? error : new StoreFailure({ operation, reason: String(error) }))))

  const internal = (operation: string) => (error: unknown): Effect.Effect<never, StoreFailure> => Effect.fail(serviceFailure(operation, error))

  /** A start's or a listing's refusal: the function unknown to Lambda, a payload over its limit, a parameter refused. */
  const refused = (operation: string, functionName: string) =>
  (error: unknown): Effect.Effect<never, FunctionNotFound | InvalidRequest | StoreFailure> => {
    const refusal = refusalOf(error)
    if (refusal === "not-found") return Effect.fail(new FunctionNotFound({ functionName }))
    if (refusal === "too-large") {
      return Effect.fail(new InvalidRequest({ reason: `Lambda refused the request as too large: ${serviceMessage(error)}`, payloadTooLarge: true }))
    }
    if (refusal === "invalid") return Effect.fail(new InvalidRequest({ reason: `Lambda refused the request: ${serviceMessage(error)}` }))
    return internal(operation)(error)
  }

  const arnOf = (executionId: string) =>
    Effect.suspend(() => {
      const arn = decodeExecutionId(executionId)
      return arn === undefined ? Effect.fail(new ExecutionNotFound({ executionId })) : Effect.succeed(arn)
    })

  const history = (arn: string) =>
    Effect.gen(function*() {
      const events: Array<HistoryEvent> = []
      let marker: string | undefined
      do {
        const page = yield* send<{ Events?: Array<HistoryEvent>; NextMarker?: string }>(
          (sdk) => new sdk.GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: true, MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }),
          "GetDurableExecutionHistory"
        )
        events.push(...(page.Events ?? []))
        marker = page.NextMarker || undefined
      } while (marker !== undefined)
      return events
    })

  // An id that decodes to no ARN the service knows (or to no ARN at all: InvalidParameterValue) names no execution.
  const notFound = (executionId: string) => (error: unknown): Effect.Effect<never, ExecutionNotFound | StoreFailure> => {
    const refusal = refusalOf(error)
    return refusal === "not-found" || refusal === "invalid" ? Effect.fail(new ExecutionNotFound({ executionId })) : internal("GetDurableExecution")(error)
  }

  const describe: ExecutionClientShape["describe"] = (executionId) =>
    Effect.gen(function*() {
      const arn = yield* arnOf(executionId)
      const execution = yield* send<{
        FunctionArn?: string
        Status?: string
        InputPayload?: string
        Result?: string
        Error?: WireErrorObject
        StartTimestamp?: Date
        EndTimestamp?: Date
      }>((sdk) => new sdk.GetDurableExecutionCommand({ DurableExecutionArn: arn, IncludeExecutionData: true }), "GetDurableExecution")
      const events = yield* history(arn)
      const error = errorOfWire(execution.Error)
      const endedAt = wireMillis(execution.EndTimestamp)
      const view: ExecutionView = {
        executionId,
        functionName: apiNameOf(execution.FunctionArn),
        status: (execution.Status ?? "RUNNING") as ExecutionStatus,
        ...(execution.InputPayload === undefined ? {} : { input: execution.InputPayload }),
        ...(execution.Result === undefined ? {} : { result: execution.Result }),
        ...(error === undefined ? {} : { error }),
        startedAt: wireMillis(execution.StartTimestamp) ?? 0,
        ...(endedAt === undefined ? {} : { endedAt }),
        operations: operationsFromHistory(events)
      }
      return view
    }).pipe(Effect.catch((error) => (error instanceof ExecutionNotFound || error instanceof StoreFailure ? Effect.fail(error) : notFound(executionId)(error))))

  const callback = (callbackId: string, make: (sdk: Sdk) => unknown, operation: string) =>
    send<unknown>(make, operation).pipe(
      Effect.asVoid,
      Effect.catch((error): Effect.Effect<never, CallbackAlreadyCompleted | CallbackNotFound | InvalidRequest | StoreFailure> => {
        if (nameOf(error) === "CallbackTimeoutException") return Effect.fail(new CallbackAlreadyCompleted({ callbackId, status: "closed (timed out or completed)" }))
        const refusal = refusalOf(error)
        if (refusal === "not-found" || refusal === "invalid") return Effect.fail(new CallbackNotFound({ callbackId }))
        if (refusal === "too-large") return Effect.fail(new InvalidRequest({ reason: `Lambda refused the callback's payload as too large: ${serviceMessage(error)}`, payloadTooLarge: true }))
        return internal(operation)(error)
      })
    )

  const client: Omit<ExecutionClientShape, "watch"> = {
    functions,
    start: (request) =>
      Effect.gen(function*() {
        const entry = entries.get(request.functionName)
        if (entry === undefined) return yield* new FunctionNotFound({ functionName: request.functionName })
        const payload = request.inputPayload ?? (request.input === undefined ? undefined : JSON.stringify(request.input))
        const name = request.executionId
        let existed = false
        if (name !== undefined) {
          const listed = yield* send<{ DurableExecutions?: Array<unknown> }>(
            (sdk) => new sdk.ListDurableExecutionsByFunctionCommand({ FunctionName: entry.functionName, DurableExecutionName: name, MaxItems: 1 }),
            "ListDurableExecutionsByFunction"
          ).pipe(Effect.catch(refused("ListDurableExecutionsByFunction", request.functionName)))
          existed = (listed.DurableExecutions?.length ?? 0) > 0
        }
        const invoked = yield* send<{ DurableExecutionArn?: string }>(
          (sdk) =>
            new sdk.InvokeCommand({
              FunctionName: entry.functionName,
              InvocationType: "Event",
              ...(payload === undefined ? {} : { Payload: new TextEncoder().encode(payload) }),
              ...(name === undefined ? {} : { DurableExecutionName: name })
            }),
          "Invoke"
        ).pipe(Effect.catch((error): Effect.Effect<never, ExecutionAlreadyExists | FunctionNotFound | InvalidRequest | StoreFailure> =>
          nameOf(error) === "DurableExecutionAlreadyStartedException"
            ? Effect.fail(new ExecutionAlreadyExists({ executionId: name ?? "", reason: "with a different input" }))
            : refused("Invoke", request.functionName)(error)
        ))
        if (invoked.DurableExecutionArn === undefined) {
          return yield* new InvalidRequest({ reason: `${entry.functionName} did not start a durable execution (is durability configured, and the name qualified?)` })
        }
        return { executionId: encodeExecutionId(invoked.DurableExecutionArn), created: !existed }
      }) as ReturnType<ExecutionClientShape["start"]>,
    completeCallback: (callbackId, outcome) =>
      overPayloadLimit(outcome.ok ? outcome.result : JSON.stringify(outcome.error ?? {}))
        ? Effect.fail(new InvalidRequest({ reason: `The callback ${outcome.ok ? "result" : "error"} is over the ${DEFAULT_MAX_PAYLOAD_BYTES}-byte payload limit`, payloadTooLarge: true }))
        : callback(
        callbackId,
        (sdk) =>
          outcome.ok
            ? new sdk.SendDurableExecutionCallbackSuccessCommand({
              CallbackId: callbackId,
              ...(outcome.result === undefined ? {} : { Result: new TextEncoder().encode(outcome.result) })
            })
            : new sdk.SendDurableExecutionCallbackFailureCommand({ CallbackId: callbackId, Error: toWireError(outcome.error) }),
        outcome.ok ? "SendDurableExecutionCallbackSuccess" : "SendDurableExecutionCallbackFailure"
      ),
    heartbeatCallback: (callbackId) =>
      callback(callbackId, (sdk) => new sdk.SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: callbackId }), "SendDurableExecutionCallbackHeartbeat"),
    stop: (executionId, error) =>
      Effect.gen(function*() {
        const arn = yield* arnOf(executionId)
        yield* send<unknown>((sdk) => new sdk.StopDurableExecutionCommand({ DurableExecutionArn: arn, ...(error === undefined ? {} : { Error: toWireError(error) }) }), "StopDurableExecution").pipe(
          Effect.catch((failure): Effect.Effect<never, ExecutionNotFound | ExecutionNotRunning | StoreFailure> => {
            // The service refuses a stop of an ended execution as a conflict or an invalid parameter (kept as it was
            // mapped); an error the SDK names in no way known here is judged by its HTTP status, as elsewhere.
            const refusal = refusalOf(failure)
            if (refusal === "not-found") return Effect.fail(new ExecutionNotFound({ executionId }))
            if (refusal === "conflict" || refusal === "invalid") return Effect.fail(new ExecutionNotRunning({ executionId, status: "ended" }))
            return internal("StopDurableExecution")(failure)
          })
        )
      }),
    // Lambda's durable-execution service has no pause: refuse rather than pretend.
    pause: () => Effect.fail(new InvalidRequest({ reason: "Lambda's durable-execution service cannot pause an execution" })),
    resume: () => Effect.fail(new InvalidRequest({ reason: "Lambda's durable-execution service cannot pause or resume an execution" })),
    // Nor can it write a log it did not record: no fork or rewind there.
    fork: () => Effect.fail(new InvalidRequest({ reason: "Lambda's durable-execution service cannot fork an execution" })),
    rewind: () => Effect.fail(new InvalidRequest({ reason: "Lambda's durable-execution service cannot rewind an execution" })),
    describe,
    awaitEnd: (executionId) =>
      Effect.gen(function*() {
        for (;;) {
          const view = yield* describe(executionId)
          if (view.status !== "RUNNING") return view
          yield* Effect.sleep(options.pollEveryMs ?? 1000)
        }
      }),
    history: (executionId) =>
      Effect.gen(function*() {
        const arn = yield* arnOf(executionId)
        const events = yield* history(arn)
        // Lambda's own history events, numbered like the log's (seq = EventId) so the route can page them.
        return events.map((event, index) => ({ seq: event.EventId ?? index + 1, ...event }) as unknown as LogEvent)
      }).pipe(Effect.catch((error) => (error instanceof ExecutionNotFound || error instanceof StoreFailure ? Effect.fail(error) : notFound(executionId)(error)))),
    list: (query) =>
      Effect.gen(function*() {
        if (query.version !== undefined) {
          return yield* new InvalidRequest({ reason: "Lambda's durable-execution service has no version label to list by" })
        }
        if (query.inputContains !== undefined) {
          return yield* new InvalidRequest({ reason: "Lambda's durable-execution service cannot search executions by input" })
        }
        if (query.endedAfter !== undefined || query.endedBefore !== undefined) {
          return yield* new InvalidRequest({ reason: "Lambda's durable-execution service lists by start time only, not by end time" })
        }
        // Lambda's service does not pause executions, continue them as new, nor queue anything of Reprise's.
        const asked = query.statuses ?? (query.status === undefined ? undefined : [query.status])
        const statuses = asked?.filter((status) => status !== "PAUSED" && status !== "CONTINUED_AS_NEW" && status !== "QUEUED")
        if (statuses?.length === 0) return { items: [] } as ListPage
        const names = query.functionName === undefined ? [...entries.keys()] : [query.functionName]
        if (names.length !== 1) {
          // Lambda lists by function.
          return yield* new InvalidRequest({ reason: "Listing executions on Lambda needs ?function= when several functions are served" })
        }
        const apiName = names[0]!
        const entry = entries.get(apiName)
        if (entry === undefined) return { items: [] } as ListPage
        const marker = query.cursor === undefined ? undefined : markerOfCursor(query.cursor)
        if (query.cursor !== undefined && marker === undefined) {
          return yield* new InvalidRequest({ reason: "The cursor is not the nextCursor of a listing on Lambda" })
        }
        const page = yield* send<{ DurableExecutions?: Array<{ DurableExecutionArn?: string; Status?: string; StartTimestamp?: Date; EndTimestamp?: Date }>; NextMarker?: string }>(
          (sdk) =>
            new sdk.ListDurableExecutionsByFunctionCommand({
              FunctionName: entry.functionName,
              ...(statuses === undefined ? {} : { Statuses: [...new Set(statuses)] }),
              ...(marker === undefined ? {} : { Marker: marker }),
              ...(query.startedAfter === undefined ? {} : { StartedAfter: new Date(query.startedAfter) }),
              ...(query.startedBefore === undefined ? {} : { StartedBefore: new Date(query.startedBefore) }),
              MaxItems: query.limit ?? 100,
              ReverseOrder: true
            }),
          "ListDurableExecutionsByFunction"
        ).pipe(
          Effect.catch(refused("ListDurableExecutionsByFunction", apiName)),
          Effect.catchTag("FunctionNotFound", () => Effect.fail(new InvalidRequest({ reason: `Lambda has no function ${JSON.stringify(entry.functionName)} to list` })))
        )
        const items = (page.DurableExecutions ?? []).map((execution) => {
          const endedAt = wireMillis(execution.EndTimestamp)
          return {
            executionId: encodeExecutionId(execution.DurableExecutionArn ?? ""),
            functionName: apiName,
            status: (execution.Status ?? "RUNNING") as ExecutionStatus,
            startedAt: wireMillis(execution.StartTimestamp) ?? 0,
            ...(endedAt === undefined ? {} : { endedAt })
          }
        })
        return { items, ...(page.NextMarker ? { cursor: cursorOfMarker(page.NextMarker) } : {}) } as ListPage
      })
  }
  // Lambda's history events carry AWS's EventType: the stream ends at the execution's last one.
  const ended = (event: LogEvent) => /^Execution(Succeeded|Failed|TimedOut|Stopped)$/.test(String((event as { EventType?: unknown }).EventType))
  return { ...client, watch: watchByPolling(client.history, options.pollEveryMs ?? 1000, ended) }
}
