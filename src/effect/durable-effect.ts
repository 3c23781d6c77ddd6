/**
 * `reprise/effect`: durable functions written with Effect.gen. Every durable operation is an Effect that needs the
 * `DurableCtx` service; they run on the same engine and write the same log as the async API.
 *
 * Typed errors survive the log: give a step (or the function) the Schema of its error, and the error is stored
 * with its encoded form as `errorData`, then decoded back on failure and on every replay, so `Effect.catchTag`
 * sees the same value either way.
 */
import { Cause, Context, Effect, Exit, Option, Schema } from "effect"
import type { BatchResult } from "../context/batch-result.ts"
import type { Duration } from "../context/duration.ts"
import { ChildContextError, InvalidDurationError, RecordedError, StepError } from "../context/errors.ts"
import type { RetryStrategy, StepSemantics } from "../context/retry.ts"
import type { CreateCallbackConfig, DurableContext, MapConfig, ParallelConfig, StepContext } from "../context/types.ts"
import type { InvokeConfig } from "../context/invoke.ts"
import { durable, type DurableFunction, type DurableFunctionOptions } from "../engine/registry.ts"

/** The durable context of the running function (or child context, inside map, parallel and childContext). */
export class DurableCtx extends Context.Service<DurableCtx, DurableContext>()("reprise/effect/DurableCtx") {}

/** The step's own context: attempt number, idempotency key, logger. */
export class StepCtx extends Context.Service<StepCtx, StepContext>()("reprise/effect/StepCtx") {}

// deno-lint-ignore no-explicit-any
type ErrorSchema<E> = Schema.Codec<E, any>

/** Carries an Effect failure out through the Promise-based engine, with its encoded form as errorData. */
class EffectFailure extends Error {
  readonly errorData: string | undefined
  constructor(failure: unknown, errorData: string | undefined) {
    const message = failure instanceof Error ? failure.message : (failure as { message?: unknown })?.message
    // A tagged error's message is often empty: its encoded form (or the value as JSON) says what it was.
    super(typeof message === "string" && message !== "" ? message : errorData ?? describe(failure))
    this.name = typeof (failure as { _tag?: unknown })?._tag === "string" ? (failure as { _tag: string })._tag : (failure instanceof Error ? failure.name : "Error")
    this.errorData = errorData
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

const encodeFailure = <E>(failure: E, schema: ErrorSchema<E> | undefined): string | undefined => {
  if (schema === undefined) return undefined
  const encoded = Schema.encodeUnknownExit(Schema.fromJsonString(schema))(failure)
  return Exit.isSuccess(encoded) ? encoded.value : undefined
}

const decodeFailure = <E>(data: string | undefined, schema: ErrorSchema<E> | undefined): Option.Option<E> => {
  if (schema === undefined || data === undefined) return Option.none()
  return Schema.decodeUnknownOption(Schema.fromJsonString(schema))(data)
}

/** Runs an Effect as Promise-land user code: failures become EffectFailure, defects are thrown as they are. */
const runAsPromise = async <A, E>(effect: Effect.Effect<A, E>, schema: ErrorSchema<E> | undefined, signal?: AbortSignal): Promise<A> => {
  // The step's signal (its timeout) interrupts the Effect: unlike a Promise body, it really stops.
  const exit = await Effect.runPromiseExit(effect, signal === undefined ? undefined : { signal })
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) throw new EffectFailure(failure.value, encodeFailure(failure.value, schema))
  throw Cause.squash(exit.cause)
}

/** The typed error a stored failure stands for, if the schema can read it back. */
const recover = <E>(thrown: unknown, schema: ErrorSchema<E> | undefined): Option.Option<E> => {
  const recorded = thrown instanceof StepError ? thrown.cause : thrown
  // A child context's failure carries the encoded error itself (ChildContextError's errorData).
  const data = recorded instanceof RecordedError || recorded instanceof EffectFailure || recorded instanceof ChildContextError ? recorded.errorData : undefined
  return decodeFailure(data, schema)
}

/** Calls a DurableContext operation; a rejection becomes the typed error when the schema decodes it. */
const call = <A, E, X>(
  use: (ctx: DurableContext) => Promise<A>,
  schema: ErrorSchema<E> | undefined,
  fallback: (thrown: unknown) => X
): Effect.Effect<A, E | X, DurableCtx> =>
  DurableCtx.use((ctx) =>
    Effect.tryPromise({
      try: () => use(ctx),
      catch: (thrown) => Option.getOrElse(recover(thrown, schema) as Option.Option<E | X>, () => fallback(thrown))
    }))

export interface EffectStepConfig<E> {
  readonly retryStrategy?: RetryStrategy
  readonly semantics?: StepSemantics
  /** The longest one attempt may run: past it the body is interrupted and the attempt fails with StepTimeoutError. */
  readonly timeout?: Duration
  /** The Schema of the step's typed error: it is stored encoded and decoded back, so it survives replay. */
  readonly error?: ErrorSchema<E>
}

/** A checkpointed step whose body is an Effect (it may read `StepCtx`). Fails with E (given its schema) or StepError. */
export const step = <A, E = never>(
  name: string,
  body: Effect.Effect<A, E, StepCtx>,
  config: EffectStepConfig<E> = {}
): Effect.Effect<A, E | StepError, DurableCtx> =>
  call(
    (ctx) =>
      ctx.step(name, (stepContext) => runAsPromise(Effect.provideService(body, StepCtx, stepContext), config.error, stepContext.signal), {
        ...(config.timeout === undefined ? {} : { timeout: config.timeout }),
        ...(config.retryStrategy === undefined ? {} : { retryStrategy: config.retryStrategy }),
        ...(config.semantics === undefined ? {} : { semantics: config.semantics })
      }),
    config.error,
    (thrown) => (thrown instanceof StepError ? thrown : new StepError(String(thrown)))
  )

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

/** Hands a callback id to `submit` (run as a step) and waits for the callback's result. */
export const waitForCallback = <E = never>(
  name: string,
  submit: (callbackId: string) => Effect.Effect<void, E>,
  config: CreateCallbackConfig = {}
): Effect.Effect<string, Error, DurableCtx> =>
  call((ctx) => ctx.waitForCallback(name, (id) => runAsPromise(submit(id), undefined), config), undefined, (e) => e as Error)

/** Runs another registered durable function as a child execution. */
export const invoke = <I, O>(name: string, functionName: string, input?: I, config?: InvokeConfig<I, O>): Effect.Effect<O, Error, DurableCtx> =>
  call((ctx) => ctx.invoke<I, O>(name, functionName, input, config), undefined, (e) => e as Error)

/** Runs `body` in a child context of its own. */
export const childContext = <A, E>(name: string, body: Effect.Effect<A, E, DurableCtx>, error?: ErrorSchema<E>): Effect.Effect<A, E | Error, DurableCtx> =>
  call((ctx) => ctx.runInChildContext(name, (child) => runAsPromise(Effect.provideService(body, DurableCtx, child), error)), error, (e) => e as Error)

/** One child context per item; see `ctx.map`. */
export const map = <I, O, E>(
  name: string,
  items: ReadonlyArray<I>,
  body: (item: I, index: number) => Effect.Effect<O, E, DurableCtx>,
  config?: MapConfig<I, O>
): Effect.Effect<BatchResult<O>, Error, DurableCtx> =>
  call((ctx) => ctx.map(name, items, (child, item, index) => runAsPromise(Effect.provideService(body(item, index), DurableCtx, child), undefined), config), undefined, (e) => e as Error)

/** One child context per branch; see `ctx.parallel`. */
export const parallel = <O, E>(
  name: string,
  branches: ReadonlyArray<{ readonly name: string; readonly run: Effect.Effect<O, E, DurableCtx> }>,
  config?: ParallelConfig<O>
): Effect.Effect<BatchResult<O>, Error, DurableCtx> =>
  call(
    (ctx) => ctx.parallel(name, branches.map((b) => ({ name: b.name, func: (child: DurableContext) => runAsPromise(Effect.provideService(b.run, DurableCtx, child), undefined) })), config),
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
): DurableFunction<I, O> =>
  durable<I, O>(name, (input, ctx) => runAsPromise(Effect.provideService(program(input), DurableCtx, ctx), options.error), options)
