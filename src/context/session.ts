/**
 * The port the user API (context/) needs from the actor that owns an execution: the folded state, the clock and
 * randomness, and a way to write. One Session is one incarnation of the actor; when the actor is evicted or the
 * execution ends, its session goes dead and everything still waiting on it is abandoned, never resolved.
 */
import type { ErrorObject, NewEvent, OperationRef, OperationSubType, OperationType } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import type { FetchTransport } from "./fetch.ts"
import type { DefaultLoggerLevel, LoggerConfig } from "./logger.ts"
import type { SerdesConfig } from "./serdes.ts"

/** Checks a callback's success payload: a reason to refuse it (the client's request is invalid), or undefined. */
export type CallbackCheck = (result: string | undefined) => string | undefined

/** A call as the replay check reports it. */
export interface CallShape {
  readonly type: OperationType
  readonly subType: OperationSubType
  readonly name?: string
}

/**
 * Set only by the replay check (reprise/testing): operations the log does not hold are not started and no step
 * body runs (such calls never settle); each call made and the first mismatch are reported here.
 */
export interface ReplayProbe {
  began(id: string): void
  mismatch(id: string, recorded: CallShape, call: CallShape, message: string): void
}

/**
 * What the runtime knows of the invocation running the handler: on Lambda its context (AWS's `Context`), request
 * id and tenant id; nothing elsewhere.
 */
export interface InvocationInfo {
  readonly lambdaContext?: LambdaContext | undefined
  readonly requestId?: string | undefined
  readonly tenantId?: string | undefined
  /** How the default `ctx.logger` writes its lines here, when not as elsewhere (reprise/lambda: as AWS's SDK). */
  readonly logLines?: LogLineStyle | undefined
}

/**
 * The default logger's lines on one runtime. Elsewhere: `executionId`, Reprise's operation ids, the console. On
 * Lambda (reprise/lambda), as AWS's default logger: `executionArn`, the service's operation ids, and written to
 * stdout/stderr directly, past the console that Lambda's runtime patches (through it, each line was wrapped again).
 */
export interface LogLineStyle {
  /** The field that names the execution. */
  readonly executionField: string
  /** An operation's id as this runtime shows it. */
  readonly operationId: (id: string) => string
  /** Writes one line (warnings and errors to stderr). */
  readonly write: (line: string, toStderr: boolean) => void
}

/** The fields of AWS Lambda's `Context` that Reprise reads (the object is handed over whole). */
export interface LambdaContext {
  readonly awsRequestId: string
  readonly functionName: string
  readonly tenantId?: string | undefined
  getRemainingTimeInMillis(): number
  readonly [key: string]: unknown
}

export interface Session {
  readonly replayOnly?: ReplayProbe
  readonly executionId: string
  readonly state: ExecutionState
  readonly maxPayloadBytes: number
  /** False where the store cannot keep patch markers (see patch.ts); absent means true. */
  readonly keepsPatchMarkers?: boolean
  /** An operation's error as the store will keep it (EngineOptions.fitError); absent: kept whole. */
  readonly fitError?: ((error: ErrorObject, operation: OperationRef) => ErrorObject) | undefined
  /** True once this incarnation of the actor is gone (evicted, crashed, ended): nothing it is asked will happen. */
  readonly gone?: boolean
  /** Fires when the execution is stopped (an ExecutionStoppedError); step bodies see it in their `signal`. */
  readonly stopped?: AbortSignal
  /**
   * Fires when this incarnation of the actor goes (evicted, handed to another host, its host closing, its store
   * failed): its user code is abandoned, and the execution goes on by replay. reprise/effect interrupts the
   * function's fiber then, so that its finalizers run.
   */
  readonly left?: AbortSignal
  /** The invocation behind this run of the handler (Lambda's), if the runtime has one. */
  readonly invocation?: InvocationInfo | undefined
  /** How `ctx.fetch` sends requests (absent: the runtime's global fetch). */
  readonly fetch?: FetchTransport | undefined
  /** The lowest level the default logger writes (absent: debug). */
  readonly userLogLevel?: DefaultLoggerLevel | undefined
  /** Milliseconds since the epoch on the execution's clock (virtual under the test runner). */
  now(): number
  /** Whether the execution's trace is sampled (the observer's decision; absent: its traceparent's flags). */
  sampled?(): boolean
  /** A double in [0, 1) from the execution's Random. */
  random(): number
  /** Appends events durably; resolves once they are in the store. Events appended in one tick share a write. */
  append(events: ReadonlyArray<NewEvent>): Promise<void>
  /**
   * Queues events to be written with the next batch, without waiting (they keep their order). False when this
   * session can no longer write (its actor is gone, the execution is over): the caller is abandoned code.
   */
  post(events: ReadonlyArray<NewEvent>): boolean
  /**
   * Resolves at the caller's place in the log (write-releases.ts): once every append made so far is written and the
   * callers released before it in the child's context (but those of `owns`) have had their rounds of microtasks; a
   * batch item's waits for the appends only. Never if the session dies; undefined when it may go on at once. The
   * caller of a posted outcome waits on it (child-context.ts). Absent where nothing is written (the replay check).
   */
  whenOutcomeTurn?(childId: string, batchItem: boolean, owns?: ReadonlyArray<string>): Promise<void> | undefined
  /** A context's body begins ("" the handler's): its code gets rounds of microtasks before its first callers go on. */
  bodyStarted?(contextId: string): void
  /** A child context's body begins (1) or its caller goes on (-1): while one runs, whenOutcomeTurn waits more. */
  childRunning?(delta: 1 | -1, childId: string): void
  /** Resolves once a stop is requested while a saga runs (ExecutionStopRequested; saga.ts); never otherwise. */
  whenStopRequested(): Promise<void>
  /** Resolves at once unless the execution is paused; then when it is resumed (never if the session dies first). */
  whenResumed(): Promise<void>
  /**
   * Flow control: before a step attempt, the function's concurrency slot (undefined when held or not limited; else
   * resolves once taken). Absent where no engine limits the function.
   */
  acquireSlot?(): Promise<void> | undefined
  /**
   * True once the host shuts down (Engine.drain): no new step attempt or condition check begins here (it runs at
   * the next start), while those already running finish and are recorded. Absent: never.
   */
  draining?(): boolean
  /**
   * A step's `concurrencyKey`/`limit`: resolves with a release once fewer than `limit` bodies of that key run where
   * the engine counts them (its memory, the hosts' ledger, Cloudflare's FlowObject; absent: no step limits, the step runs).
   * `wanted`: whether the body is still to run here (a gate that waits long gives its place up once it is not).
   * The release may be called more than once: only the first gives the turn back.
   */
  readonly stepLimit?: ((key: string, limit: number, wanted: () => boolean) => Promise<() => void>) | undefined
  /**
   * The body of a turn `stepLimit` gave begins: the body's end gives it back from now on. Until then the session
   * gives it back itself if the execution ends or leaves memory first (a write that never lands).
   */
  bodyHasTurn?(release: () => void): void
  /** User code awaits the operation's promise (AWS's awaited operations): only those keep the handler blocked. */
  markAwaited?(operationId: string): void
  /** Resolves when the operation ends, or (a step awaiting a retry) when its next attempt is due. */
  whenChanged(operationId: string): Promise<OperationState>
  /**
   * Counts user code in flight (step bodies), so that the actor knows when the execution is idle. A step body
   * names its step (the test runner counts body runs by it; the actor, the steps under way until their outcome is
   * appended); so does a waitForCondition check, with `check` (not a body run).
   */
  enterUserCode(step?: { readonly id: string; readonly name?: string | undefined }, check?: boolean): void
  exitUserCode(): void
  /** A step body ended, but its outcome will not be written (its retry strategy threw): it is no longer under way. */
  outcomeAbandoned?(id: string): void
  /** Ends the execution as FAILED for an unrecoverable reason (non-determinism, misuse). */
  fail(error: Error): void
  /**
   * `ctx.continueAsNew`: starts the next run of this execution with `input` (serialised), then ends this run with
   * ExecutionContinuedAsNew. Absent where runs cannot be chained (the replay check).
   */
  continueAsNew?(input: string | undefined): Promise<void>
  /** A new callback id for an operation of this execution. */
  newCallbackId(operationId: string): Promise<string>
  /**
   * The handler has reached callback `operationId` (created it, or replayed its creation). Until then a completion
   * of it waits, so that `check` (the payload's Schema, in the handler's process) sees every completion.
   */
  callbackReached(operationId: string, check?: CallbackCheck): void
  serdes: Required<SerdesConfig>
  logger: LoggerConfig
}
