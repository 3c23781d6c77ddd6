/**
 * `reprise/effect`: durable functions written with Effect.gen. Every durable operation is an Effect that needs the
 * `DurableCtx` service; they run on the same engine and write the same log as the async API.
 *
 * Typed errors survive the log: give a step (or the function) the Schema of its error, and the error is stored
 * with its encoded form as `errorData`, then decoded back on failure and on every replay, so `Effect.catchTag`
 * sees the same value either way. Without a Schema, a step's error is StepError (and its type says so).
 *
 * A body (a step's, a child context's, an item's) runs with the services of the fiber that called the operation,
 * as any Effect it yields would: a layer provided around the function reaches its steps.
 */
import { Cause, Context, Effect, Exit, Logger, Option, Schedule, Schema, Tracer } from "effect"
import type { BatchResult } from "../context/batch-result.ts"
import type { Duration } from "../context/duration.ts"
import { readSafely } from "../context/error-text.ts"
import { ChildContextError, ConfigurationError, InvalidDurationError, InvokeError, RecordedError, StepError } from "../context/errors.ts"
import type { RetryStrategy, StepSemantics } from "../context/retry.ts"
import type { DurableContext, MapConfig, ParallelConfig, StepContext, WaitForCallbackConfig } from "../context/types.ts"
import type { InvokeConfig } from "../context/invoke.ts"
import type { DurableContextLogger } from "../context/logger.ts"
import { durable, type DurableFunction, type DurableFunctionOptions } from "../engine/registry.ts"
import { DurableContextImpl } from "../context/durable-context.ts"
import { parseTraceparent } from "../log/trace-ids.ts"
import { durableLogger } from "./durable-logger.ts"
import { scheduleRetry } from "./schedule-retry.ts"

/** The durable context of the running function (or child context, inside map, parallel and childContext). */
export class DurableCtx extends Context.Service<DurableCtx, DurableContext>()("reprise/effect/DurableCtx") {}

/** The step's own context: attempt number, idempotency key, logger. */
export class StepCtx extends Context.Service<StepCtx, StepContext>()("reprise/effect/StepCtx") {}

/** A callback submitter's logger (its step's), for Effect's log lines in it; not exported: the submitter needs none. */
class SubmitterLogger extends Context.Service<SubmitterLogger, DurableContextLogger>()("reprise/effect/SubmitterLogger") {}

// deno-lint-ignore no-explicit-any
type ErrorSchema<E> = Schema.Codec<E, any>

/**
 * Carries an Effect failure out through the Promise-based engine, with its encoded form as errorData. It stands for
 * the failure in the log: an Error's stack and cause are its own, so the story names the user's line and causes.
 */
class EffectFailure extends Error {
  readonly errorData: string | undefined
  /** What the Effect failed with. */
  readonly failure: unknown
  constructor(failure: unknown, errorData: string | undefined) {
    const message = failure instanceof Error ? failure.message : (failure as { message?: unknown })?.message
    const cause = failure instanceof Error ? readSafely(() => failure.cause) : undefined
    // A tagged error's message is often empty: its encoded form (or the value as JSON) says what it was.
    super(typeof message === "string" && message !== "" ? message : errorData ?? describe(failure), cause === undefined ? undefined : { cause })
    this.name = typeof (failure as { _tag?: unknown })?._tag === "string" ? (failure as { _tag: string })._tag : (failure instanceof Error ? failure.name : "Error")
    this.errorData = errorData
    this.failure = failure
    const stack = failure instanceof Error ? readSafely(() => failure.stack) : undefined
    if (typeof stack === "string") this.stack = stack
  }
}

/** A failure that is not an Error, as text a reader can use ("[object Object]" is not). */
const describe = (failure: unknown): string => {
  if (typeof failure === "string") return failure
  try {
    return JSON.stringify(failure) ?? String(failure)
  } catch {
    return String(failure)
  }
}

/**
 * The error's JSON text through its Schema's JSON codec: a field that is no JSON value (a Date, a BigInt) is
 * encoded as its codec says (`fromJsonString` of the Schema itself kept a Date as a Date, then could not read back
 * the string JSON made of it, and the typed error was lost).
 */
const jsonCodec = <E>(schema: ErrorSchema<E>) => Schema.fromJsonString(Schema.toCodecJson(schema))

const encodeFailure = <E>(failure: E, schema: ErrorSchema<E> | undefined): string | undefined => {
  if (schema === undefined) return undefined
  const encoded = Schema.encodeUnknownExit(jsonCodec(schema))(failure)
  return Exit.isSuccess(encoded) ? encoded.value : undefined
}

const decodeFailure = <E>(data: string | undefined, schema: ErrorSchema<E> | undefined): Option.Option<E> => {
  if (schema === undefined || data === undefined) return Option.none()
  return Schema.decodeUnknownOption(jsonCodec(schema))(data)
}

/**
 * Runs an Effect as Promise-land user code, with `context` (the calling fiber's services): failures become
 * EffectFailure, defects are thrown as they are.
 */
const runAsPromise = async <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  context: Context.Context<R>,
  schema: ErrorSchema<E> | undefined,
  signal?: AbortSignal
): Promise<A> => {
  // The step's signal (its timeout) interrupts the Effect: unlike a Promise body, it really stops.
  const exit = await Effect.runPromiseExitWith(context)(effect, signal === undefined ? undefined : { signal })
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) throw new EffectFailure(failure.value, encodeFailure(failure.value, schema))
  throw Cause.squash(exit.cause)
}

/** The typed error a stored failure stands for, if the schema can read it back. */
const recover = <E>(thrown: unknown, schema: ErrorSchema<E> | undefined): Option.Option<E> => {
  const recorded = thrown instanceof StepError ? thrown.cause : thrown
  // A child context's failure carries the encoded error itself (ChildContextError's errorData), an invoked child's its
  // execution's (InvokeError's).
  const data = recorded instanceof RecordedError || recorded instanceof EffectFailure || recorded instanceof ChildContextError ||
      recorded instanceof InvokeError
    ? recorded.errorData
    : undefined
  return Option.map(decodeFailure(data, schema), (decoded) => withRecordedFrames(decoded, recorded))
}

/**
 * The decoded error is a new instance, whose stack names Schema's decoder: a function that failed with it recorded
 * no line of the user's. It gets the frames recorded where it was made (the step's body), on first run and replay.
 */
const withRecordedFrames = <E>(decoded: E, recorded: unknown): E => {
  if (!(decoded instanceof Error)) return decoded
  let node: unknown = recorded
  for (let depth = 0; depth < 4 && node instanceof Error; depth++, node = readSafely(() => (node as Error).cause)) {
    const frames = node instanceof RecordedError ? node.errorObject.stackTrace : undefined
    if (frames === undefined || frames.length === 0) continue
    Object.defineProperty(decoded, "stack", { value: [`${decoded.name}: ${decoded.message}`, ...frames.map((frame) => `    ${frame}`)].join("\n"), configurable: true, writable: true })
    break
  }
  return decoded
}

/**
 * Calls a DurableContext operation, handing it the calling fiber's services (for the bodies it runs); a rejection
 * becomes the typed error when the schema decodes it.
 */
const call = <A, E, X, R = never>(
  use: (ctx: DurableContext, context: Context.Context<R | DurableCtx>) => Promise<A>,
  schema: ErrorSchema<E> | undefined,
  fallback: (thrown: unknown) => X
): Effect.Effect<A, E | X, DurableCtx | R> =>
  Effect.contextWith((context: Context.Context<R | DurableCtx>) =>
    Effect.tryPromise({
      try: () => use(Context.get(context, DurableCtx), context),
      catch: (thrown) => Option.getOrElse(recover(thrown, schema) as Option.Option<E | X>, () => fallback(thrown))
    }))

/**
 * A step's body: any Effect but one that uses durable operations (it would fail at run time with
 * ContextUsageError, as AWS's SDK does: a step is one checkpoint). Its type says so where it happens.
 */
export type StepBody<A, E, R> = Effect.Effect<A, E, R> & (DurableCtx extends R ? "a step's body cannot use durable operations (DurableCtx)" : unknown)

/** The caller's services without its DurableCtx: a step's body and a callback's submitter are not durable code. */
const withoutDurableCtx = <R>(context: Context.Context<R>): Context.Context<Exclude<R, DurableCtx>> => Context.omit(DurableCtx)(context)

/** The services a body runs with: the caller's, and `service` as `tag` (its StepCtx, or its child's DurableCtx). */
const withService = <R, I, S>(context: Context.Context<R>, tag: Context.Key<I, S>, service: S): Context.Context<R | I> =>
  Context.add(context, tag, service)

/**
 * A step's body under its attempt's span as Effect's parent span, so that `Effect.withSpan` in it nests under the
 * attempt in the execution's trace (not under a span of the caller's fiber, which each replay makes anew in a trace
 * of its own).
 */
const underAttemptSpan = <A, E, R>(body: Effect.Effect<A, E, R>, stepContext: StepContext): Effect.Effect<A, E, R> => {
  const attempt = parseTraceparent(stepContext.traceparent)
  return attempt === undefined ? body : Effect.withParentSpan(body, Tracer.externalSpan(attempt))
}

/**
 * The user's retry strategy sees what the body failed with (a tagged error, so `retryableErrorTypes: [Transient]`
 * matches), not the wrapper that carries it through the engine.
 */
const typedRetry = (strategy: RetryStrategy | undefined): RetryStrategy | undefined =>
  strategy === undefined ? undefined : (error, attempt) => strategy(error instanceof EffectFailure && error.failure instanceof Error ? error.failure : error, attempt)

export interface EffectStepConfig<E> {
  /** Decides each retry; it is given what the body failed with (the typed error itself). */
  readonly retryStrategy?: RetryStrategy
  /**
   * Retries as an Effect Schedule (instead of `retryStrategy`), given what the body failed with as its input:
   * `Schedule.exponential("1 second").pipe(Schedule.upTo({ times: 4 }))`. See schedule-retry.ts.
   */
  readonly schedule?: Schedule.Schedule<unknown, E | Error, never, never>
  readonly semantics?: StepSemantics
  /** The longest one attempt may run: past it the body is interrupted and the attempt fails with StepTimeoutError. */
  readonly timeout?: Duration
  /** The Schema of the step's typed error: it is stored encoded and decoded back, so it survives replay. */
  readonly error?: ErrorSchema<E>
}

/**
 * A checkpointed step whose body is an Effect (it may read `StepCtx`, and the caller's services). Given the Schema
 * of its error, it fails with that error (or StepError once it gives up otherwise); without one, with StepError,
 * whose message holds the failure (a typed error cannot be read back from the log without its Schema).
 */
export function step<A, E, R = never>(
  name: string,
  body: StepBody<A, E, R>,
  config: EffectStepConfig<E> & { readonly error: ErrorSchema<E> }
): Effect.Effect<A, E | StepError, DurableCtx | Exclude<R, StepCtx>>
export function step<A, E = never, R = never>(
  name: string,
  body: StepBody<A, E, R>,
  config?: EffectStepConfig<never> & { readonly error?: undefined }
): Effect.Effect<A, StepError, DurableCtx | Exclude<R, StepCtx>>
export function step<A, E, R>(
  name: string,
  body: Effect.Effect<A, E, R>,
  config: EffectStepConfig<E> = {}
): Effect.Effect<A, E | StepError, DurableCtx | Exclude<R, StepCtx>> {
  if (config.schedule !== undefined && config.retryStrategy !== undefined) {
    return Effect.die(new ConfigurationError(`step ${JSON.stringify(name)} is given both a retryStrategy and a schedule: give one`))
  }
  const retryStrategy = typedRetry(config.schedule === undefined ? config.retryStrategy : scheduleRetry(config.schedule))
  return call<A, E, StepError, Exclude<R, StepCtx>>(
    (ctx, context) =>
      ctx.step(name, (stepContext) =>
        runAsPromise(underAttemptSpan(body, stepContext), withService(withoutDurableCtx(context), StepCtx, stepContext) as Context.Context<R>, config.error, stepContext.signal), {
        ...(config.timeout === undefined ? {} : { timeout: config.timeout }),
        ...(retryStrategy === undefined ? {} : { retryStrategy }),
        ...(config.semantics === undefined ? {} : { semantics: config.semantics })
      }),
    config.error,
    (thrown) => (thrown instanceof StepError ? thrown : new StepError(String(thrown)))
  )
}

/** `ctx.patched(id)`: true on a first run and where the log recorded the patch, false on a log written before it. */
export const patched = (patchId: string): Effect.Effect<boolean, never, DurableCtx> =>
  DurableCtx.use((ctx) => Effect.sync(() => ctx.patched(patchId)))

/** A durable timer. */
export const wait = (name: string, duration: Duration | Date): Effect.Effect<void, InvalidDurationError, DurableCtx> =>
  // A duration out of range is the caller's typed error, catchable as `ctx.wait`'s is (not a defect).
  DurableCtx.use((ctx) =>
    Effect.tryPromise({
      try: () => ctx.wait(name, duration),
      catch: (thrown) => {
        if (thrown instanceof InvalidDurationError) return thrown
        throw thrown
      }
    }))

/**
 * Hands a callback id to `submit` (run as a step, with the caller's services) and waits for the callback's
 * result: its JSON text, or with `schema` the value it decodes to (a completion that does not match is refused).
 */
export function waitForCallback<T, E = never, R = never>(
  name: string,
  submit: (callbackId: string) => Effect.Effect<void, E, R>,
  config: WaitForCallbackConfig<T> & { readonly schema: Schema.Decoder<T> }
): Effect.Effect<T, Error, DurableCtx | R>
export function waitForCallback<E = never, R = never>(
  name: string,
  submit: (callbackId: string) => Effect.Effect<void, E, R>,
  config?: WaitForCallbackConfig<string>
): Effect.Effect<string, Error, DurableCtx | R>
export function waitForCallback<T, E, R>(
  name: string,
  submit: (callbackId: string) => Effect.Effect<void, E, R>,
  config: WaitForCallbackConfig<T> = {}
): Effect.Effect<T, Error, DurableCtx | R> {
  const retryStrategy = typedRetry(config.retryStrategy)
  return call<T, never, Error, R>(
    (ctx, context) =>
      ctx.waitForCallback<T>(name, (id, { logger }) => runAsPromise(submit(id), withService(withoutDurableCtx(context), SubmitterLogger, logger) as Context.Context<R>, undefined), {
        ...config,
        ...(retryStrategy === undefined ? {} : { retryStrategy })
      }),
    undefined,
    (e) => e as Error
  )
}

export interface EffectInvokeConfig<I, O, E> extends InvokeConfig<I, O> {
  /** The Schema of the invoked function's typed error (its `make` option `error`): the invoke fails with that error. */
  readonly error?: ErrorSchema<E>
}

/**
 * Runs another registered durable function as a child execution. Given the Schema of the child's typed error, it
 * fails with that error, on first run and replay; without one (or for a child that timed out or was stopped), with
 * InvokeError.
 */
export function invoke<I, O, E>(
  name: string,
  functionName: string,
  input: I | undefined,
  config: EffectInvokeConfig<I, O, E> & { readonly error: ErrorSchema<E> }
): Effect.Effect<O, E | Error, DurableCtx>
export function invoke<I, O>(name: string, functionName: string, input?: I, config?: EffectInvokeConfig<I, O, never>): Effect.Effect<O, Error, DurableCtx>
export function invoke<I, O, E>(name: string, functionName: string, input?: I, config: EffectInvokeConfig<I, O, E> = {}): Effect.Effect<O, E | Error, DurableCtx> {
  const { error, ...invokeConfig } = config // the Schema is this wrapper's, not ctx.invoke's
  return call<O, E, Error>((ctx) => ctx.invoke<I, O>(name, functionName, input, invokeConfig), error, (e) => e as Error)
}

/**
 * Runs `body` in a child context of its own (with the caller's services, its DurableCtx the child's). Given the
 * Schema of its error, it fails with that error; without one, with the ChildContextError that holds it (its type
 * says so: a typed error cannot be read back from the log without its Schema).
 */
export function childContext<A, E, R = never>(name: string, body: Effect.Effect<A, E, R>, error: ErrorSchema<E>): Effect.Effect<A, E | Error, DurableCtx | R>
export function childContext<A, E = never, R = never>(name: string, body: Effect.Effect<A, E, R>): Effect.Effect<A, Error, DurableCtx | R>
export function childContext<A, E, R>(name: string, body: Effect.Effect<A, E, R>, error?: ErrorSchema<E>): Effect.Effect<A, E | Error, DurableCtx | R> {
  return call<A, E, Error, R>(
    (ctx, context) => ctx.runInChildContext(name, (child) => runAsPromise(body, withService(context, DurableCtx, child), error, stopSignalOf(child))),
    error,
    (e) => e as Error
  )
}

/** One child context per item; see `ctx.map`. */
export const map = <I, O, E, R = never>(
  name: string,
  items: ReadonlyArray<I>,
  body: (item: I, index: number) => Effect.Effect<O, E, R>,
  config?: MapConfig<I, O>
): Effect.Effect<BatchResult<O>, Error, DurableCtx | R> =>
  call<BatchResult<O>, never, Error, R>(
    (ctx, context) => ctx.map(name, items, (child, item, index) => runAsPromise(body(item, index), withService(context, DurableCtx, child), undefined, stopSignalOf(child)), config),
    undefined,
    (e) => e as Error
  )

/** One child context per branch; see `ctx.parallel`. */
export const parallel = <O, E, R = never>(
  name: string,
  branches: ReadonlyArray<{ readonly name: string; readonly run: Effect.Effect<O, E, R> }>,
  config?: ParallelConfig<O>
): Effect.Effect<BatchResult<O>, Error, DurableCtx | R> =>
  call<BatchResult<O>, never, Error, R>(
    (ctx, context) =>
      ctx.parallel(
        name,
        branches.map((b) => ({ name: b.name, func: (child: DurableContext) => runAsPromise(b.run, withService(context, DurableCtx, child), undefined, stopSignalOf(child)) })),
        config
      ),
    undefined,
    (e) => e as Error
  )

/** Recorded values, the same on every replay. */
export const now: Effect.Effect<Date, never, DurableCtx> = DurableCtx.use((ctx) => Effect.promise(() => ctx.now()))
export const uuid: Effect.Effect<string, never, DurableCtx> = DurableCtx.use((ctx) => Effect.promise(() => ctx.uuid()))

export interface EffectFunctionOptions<E> extends DurableFunctionOptions {
  /** The Schema of the function's typed error, stored with the execution's failure. */
  readonly error?: ErrorSchema<E>
}

/** Registers a durable function written as an Effect; any adapter serves it like one written with async/await. */
export const make = <I, O, E>(
  name: string,
  program: (input: I) => Effect.Effect<O, E, DurableCtx>,
  options: EffectFunctionOptions<E> = {}
): DurableFunction<I, O> => {
  const { error, ...durableOptions } = options // the error's Schema is this wrapper's; durable() refuses options it lacks
  return durable<I, O>(name, (input, ctx) => runAsPromise(program(input), servicesOf(ctx), error, stopSignalOf(ctx)), durableOptions)
}

/** Effect's log lines go to the replay-aware logger of the code that logs: a step's, else its (child) context's. */
const loggers: ReadonlySet<Logger.Logger<unknown, unknown>> = new Set([
  durableLogger((services) =>
    Context.getOrUndefined(services as Context.Context<StepCtx>, StepCtx)?.logger ??
      Context.getOrUndefined(services as Context.Context<SubmitterLogger>, SubmitterLogger) ??
      Context.getOrUndefined(services as Context.Context<DurableCtx>, DurableCtx)?.logger
  )
])

/** What the function's fiber starts with: its DurableCtx, and Effect's logging through the execution's logger. */
const servicesOf = (ctx: DurableContext): Context.Context<DurableCtx> => Context.add(Context.make(DurableCtx, ctx), Logger.CurrentLoggers, loggers)

/**
 * In a finalizer, tells why the fiber was interrupted: true when the execution has ended (stopped, timed out), so its
 * code will not run again; false when its actor left memory (an eviction, a hand-over, the host closing) and a
 * replay will run the code again. `Effect.onInterrupt` fires on both. It is no hook for the end itself: a stop or a
 * timeout that finds the execution out of memory runs none of its code, so no finalizer.
 */
export const ended: Effect.Effect<boolean, never, DurableCtx> = DurableCtx.use((ctx) => Effect.sync(() => hasEnded(ctx)))

const hasEnded = (ctx: DurableContext): boolean => {
  if (!(ctx instanceof DurableContextImpl)) return false
  const { state, stopped } = ctx.core.session
  return stopped?.aborted === true || (state.status !== "RUNNING" && state.status !== "PAUSED")
}

/**
 * The signal that interrupts a fiber (the program's, a child context's, a map item's, a branch's), so that its
 * finalizers run (a layer's release, `onInterrupt`) where it was abandoned on a promise that never settles: a stop
 * of the execution (what the fiber returns after is not recorded: the execution has ended STOPPED), or its actor
 * leaving memory (an eviction, a hand-over, the host closing: the execution resumes by replay, which acquires again
 * what it needs; Session.left).
 */
const stopSignalOf = (ctx: DurableContext): AbortSignal | undefined => {
  if (!(ctx instanceof DurableContextImpl)) return undefined
  const { stopped, left } = ctx.core.session
  const signals = [stopped, left].filter((signal) => signal !== undefined)
  return signals.length < 2 ? signals[0] : AbortSignal.any(signals)
}
