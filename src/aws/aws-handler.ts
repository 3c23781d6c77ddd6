/**
 * `awsHandler(name, handler)`: a handler written with AWS's own SDK (`withDurableExecution(async (event, ctx) =>
 * …)` from `@aws/durable-execution-sdk-js`), unmodified, registered as a Reprise durable function (docs/aws-handlers.md).
 *
 * AWS's SDK is its own replay engine; Reprise plays the service. The actor runs this driver instead of a handler
 * over a DurableContext: each invocation hands the SDK the execution's operations and a client over the actor's
 * Session, whose checkpoints are appended to the log. When the SDK answers PENDING the driver waits, as the
 * service does, for one of the operations it left waiting (a wait's alarm, a callback completed over the HTTP API,
 * a retry falling due, an invoked child's end), then invokes again. SUCCEEDED and FAILED end the execution. While
 * it waits nothing runs, so the actor may be evicted; a reload (or a restart after a crash) starts with a new
 * invocation over the log, which the SDK replays.
 */
import type { Session } from "../context/session.ts"
import { RecordedError } from "../context/errors.ts"
import type { OperationState } from "../log/fold.ts"
import { durable, type DurableFunction, type DurableFunctionOptions } from "../engine/registry.ts"
import { makeIdResolver } from "./operation-ids.ts"
import { makeServiceClient } from "./service-client.ts"
import { isPruned } from "./state-to-wire.ts"
import { errorFromWire, type DurableExecutionClient, type DurableInvocationOutput, type WireOperation } from "./wire.ts"

/** What `withDurableExecution(...)` returns: Lambda's handler signature. */
export type AwsDurableHandler = (event: any, context: any) => Promise<any>

/**
 * The envelope AWS's SDK recognises as carrying its own client (its `DurableExecutionInvocationInputWithClient`:
 * it checks the class name and the string tag, so this class keeps both).
 */
class DurableExecutionInvocationInputWithClient {
  readonly durableExecutionClient: DurableExecutionClient
  readonly InitialExecutionState: { Operations: Array<WireOperation> }
  readonly DurableExecutionArn: string
  readonly CheckpointToken: string
  constructor(arn: string, token: string, operations: Array<WireOperation>, client: DurableExecutionClient) {
    this.durableExecutionClient = client
    this.InitialExecutionState = { Operations: operations }
    this.DurableExecutionArn = arn
    this.CheckpointToken = token
  }
  get [Symbol.toStringTag]() {
    return "DurableExecutionInvocationInputWithClient"
  }
}
// A bundler that meets the SDK's class of the same name renames this one (esbuild: "…WithClient2"); the SDK
// compares `constructor.name`, so the name is pinned.
Object.defineProperty(DurableExecutionInvocationInputWithClient, "name", { value: "DurableExecutionInvocationInputWithClient" })

/** Lambda's context object, as much of it as a handler may read. */
const lambdaContext = (functionName: string, requestId: string) => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn: `reprise:function:${functionName}`,
  memoryLimitInMB: "0",
  awsRequestId: requestId,
  logGroupName: "reprise",
  logStreamName: functionName,
  // Lambda's longest invocation: the SDK keeps a wait in-process only while other work runs, never past this.
  getRemainingTimeInMillis: () => 900_000,
  done: () => {
    throw new Error("context.done is not available: return from the handler")
  },
  fail: () => {
    throw new Error("context.fail is not available: throw from the handler")
  },
  succeed: () => {
    throw new Error("context.succeed is not available: return from the handler")
  }
})

/** Operations the service completes on its own: what a PENDING invocation waits for. */
const waitsOnService = (op: OperationState): boolean =>
  op.status === "PENDING" ||
  (op.status === "STARTED" && (op.type === "WAIT" || op.type === "CALLBACK" || op.type === "CHAINED_INVOKE"))

const hex = (session: Session) => Math.floor(session.random() * 0x1_0000_0000).toString(16).padStart(8, "0")

/** AWS's message for a replay that calls something else where the log has an operation. */
const MISMATCH = /mismatch for step "([^"]+)"\. Expected (type|name|subtype) "([^"]*)", but got "([^"]*)"/

/**
 * Under the replay check (`session.replayOnly`): one invocation over the recorded log, until AWS's SDK goes past
 * its end (its first checkpoint that writes) or answers. AWS's SDK finds a mismatch itself and fails with it; it is
 * reported to the probe with the recorded and the new call. AWS's SDK does not say which recorded operations it
 * replayed, so the probe hears of none (nor of code that no longer calls the log's last operations: AWS's SDK does
 * not detect that either).
 */
const UNRECOVERABLE = "[Unrecoverable Execution]"

const replayOnce = async (handler: AwsDurableHandler, functionName: string, session: Session): Promise<unknown> => {
  const probe = session.replayOnly!
  const resolver = makeIdResolver(() => session.state.operations.size)
  for (const op of session.state.operations.values()) resolver.remember(op.id)
  let reached: () => void = () => undefined
  const frontier = new Promise<undefined>((resolve) => (reached = () => resolve(undefined)))
  const client = makeServiceClient(session, resolver, "replay-check", () => reached())
  const event = new DurableExecutionInvocationInputWithClient(session.executionId, client.token, client.initialState(), client)
  const output = await Promise.race([handler(event, lambdaContext(functionName, "replay-check")), frontier]) as DurableInvocationOutput | undefined
  const error = output?.Status === "FAILED" ? output.Error : undefined
  const found = error?.ErrorType === "NonDeterministicExecutionError" ? MISMATCH.exec(error.ErrorMessage ?? "") : null
  const recorded = found === null ? undefined : session.state.operations.get(found[1]!)
  if (found !== null && recorded !== undefined) {
    const shape = { type: recorded.type, subType: recorded.subType, ...(recorded.name === undefined ? {} : { name: recorded.name }) }
    const [, id, what, , got] = found as unknown as [string, string, "type" | "name" | "subtype", string, string]
    const call = what === "type"
      ? { ...shape, type: got as typeof shape.type }
      : what === "subtype"
      ? { ...shape, subType: got }
      : { type: shape.type, subType: shape.subType, ...(got === "undefined" ? {} : { name: got }) }
    // AWS's message carries the prefix itself (2.4); one without it gets Reprise's own, as its other mismatches have.
    const message = error!.ErrorMessage ?? ""
    probe.mismatch(id, shape, call, message.startsWith(UNRECOVERABLE) ? message : `${UNRECOVERABLE} ${message}`)
  } else if (error?.ErrorType === "NonDeterministicExecutionError") {
    session.fail(new Error(error.ErrorMessage ?? "Non-deterministic execution"))
  }
  return undefined
}

/** The service: invoke, answer checkpoints, and re-invoke when something the invocation waits for has happened. */
const serve = (handler: AwsDurableHandler, functionName: string) => async (session: Session): Promise<unknown> => {
  if (session.replayOnly !== undefined) return replayOnce(handler, functionName, session)
  const resolver = makeIdResolver(() => session.state.operations.size)
  for (const op of session.state.operations.values()) {
    resolver.remember(op.id)
    // Callbacks the SDK created in earlier invocations: their completions may go through.
    if (op.type === "CALLBACK" && op.status === "STARTED") session.callbackReached(op.id)
  }
  const run = hex(session)
  for (let invocation = 1;; invocation++) {
    await session.whenResumed()
    const requestId = `${run}-${invocation}`
    const client = makeServiceClient(session, resolver, requestId)
    const event = new DurableExecutionInvocationInputWithClient(session.executionId, client.token, client.initialState(), client)
    let output: DurableInvocationOutput
    session.enterUserCode()
    try {
      output = await handler(event, lambdaContext(functionName, requestId))
    } finally {
      session.exitUserCode()
    }
    const status = (output as { Status?: unknown } | undefined)?.Status
    if (status === "SUCCEEDED") {
      const checkpointed = client.end()
      const result = (output as { Result?: string }).Result || (checkpointed?.ok === true ? checkpointed.result : undefined)
      return result === undefined || result === "" ? undefined : JSON.parse(result)
    }
    if (status === "FAILED") throw new RecordedError(errorFromWire((output as { Error?: never }).Error, "The execution failed"))
    if (status !== "PENDING") {
      throw new TypeError(`The handler of ${functionName} answered ${JSON.stringify(output)?.slice(0, 200)}: is it wrapped in withDurableExecution?`)
    }
    // Something ended since the SDK last heard (a child execution that finished at once): invoke again now.
    if (client.hasNews()) continue
    const waiting = [...session.state.operations.values()].filter((op) => waitsOnService(op) && !isPruned(session.state, op))
    if (waiting.length === 0) {
      // The service refuses this too: nothing would ever invoke the handler again.
      throw new RecordedError({ errorType: "InvalidParameterValueException", errorMessage: "Cannot return PENDING status with no pending operations" })
    }
    const now = session.now()
    if (!waiting.some((op) => op.status === "PENDING" && (op.nextAttemptAt ?? 0) <= now)) {
      // The invocation ended PENDING on these: the execution is blocked on them (the actor's idle rule, actor.ts).
      for (const op of waiting) session.markAwaited?.(op.id)
      await Promise.race(waiting.map((op) => session.whenChanged(op.id)))
    }
  }
}

/** An awsHandler function's `handler`: never called, since the actor runs its `drive` (registry.ts). */
const notDirect = () => {
  throw new TypeError("A function registered with awsHandler runs through its AWS SDK handler (its drive), not as a Reprise handler")
}

export const awsHandler = <I = any, O = any>(
  name: string,
  handler: AwsDurableHandler,
  options: DurableFunctionOptions = {}
): DurableFunction<I, O> => {
  if (typeof handler !== "function") throw new TypeError(`The handler of ${name} must be the function withDurableExecution returns`)
  const fn = durable<I, O>(name, notDirect, options)
  return { ...fn, drive: serve(handler, name) }
}
