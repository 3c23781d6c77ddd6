/**
 * `ctx.promise.all/allSettled/any/race`: Promise.all and friends over durable promises that were already created,
 * recorded as a CONTEXT operation of subtype RunInChildContext (as on AWS). The combinator takes its positional id when
 * it is called, like every other operation; its outcome goes through the serdes like a child context's result, so a
 * first run and a replay see the same shape, and a replay returns the recorded outcome without waiting for the
 * promises again (which also replay from their own records). Failures are PromiseCombinatorError.
 */
import type { ErrorObject } from "../log/events.ts"
import { runChildContext } from "./child-context.ts"
import { afterTurn } from "./replay-order.ts"
import { type ContextCore, never } from "./context-core.ts"
import { DurablePromise, operationIdOf } from "./durable-promise.ts"
import { durableErrorClass, PromiseCombinatorError, RecordedError, recordedCause } from "./errors.ts"
import { toErrorRecord } from "./error-story.ts"
import { writeOpenStarts } from "./open-steps.ts"
import type { Serdes } from "./serdes.ts"
import type { DurableContext } from "./types.ts"

type Durables = ReadonlyArray<DurablePromise<unknown>>
type Values<P extends Durables> = { -readonly [K in keyof P]: Awaited<P[K]> }
type Settled<P extends Durables> = { -readonly [K in keyof P]: PromiseSettledResult<Awaited<P[K]>> }

/**
 * AWS's signatures (one element type T) come first, so code moved over from it, explicit type arguments included,
 * compiles unchanged; the tuple forms after them type mixed arrays such as `race([step, wait])` as Promise.all does.
 */
export interface PromiseCombinators {
  all<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<T>>
  all<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<T>>
  all<P extends Durables>(name: string | undefined, promises: readonly [...P]): DurablePromise<Values<P>>
  all<P extends Durables>(promises: readonly [...P]): DurablePromise<Values<P>>
  allSettled<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<PromiseSettledResult<T>>>
  allSettled<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<PromiseSettledResult<T>>>
  allSettled<P extends Durables>(name: string | undefined, promises: readonly [...P]): DurablePromise<Settled<P>>
  allSettled<P extends Durables>(promises: readonly [...P]): DurablePromise<Settled<P>>
  any<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  any<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  any<P extends Durables>(name: string | undefined, promises: readonly [...P]): DurablePromise<Awaited<P[number]>>
  any<P extends Durables>(promises: readonly [...P]): DurablePromise<Awaited<P[number]>>
  race<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  race<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  race<P extends Durables>(name: string | undefined, promises: readonly [...P]): DurablePromise<Awaited<P[number]>>
  race<P extends Durables>(promises: readonly [...P]): DurablePromise<Awaited<P[number]>>
}

type Combine = (promises: ReadonlyArray<PromiseLike<unknown>>) => Promise<unknown>

/** The operations a combinator awaits: their callers are its own body, not rivals of its caller (write-releases.ts). */
const ownOperations = (promises: ReadonlyArray<unknown>): ReadonlyArray<string> | undefined => {
  let ids: Array<string> | undefined
  for (const promise of promises) {
    const id = operationIdOf(promise)
    if (id !== undefined) (ids ??= []).push(id)
  }
  return ids
}

/** The context the combinators belong to: the public API plus its core (DurableContextImpl is both). */
export type CombinatorHost = DurableContext & { readonly core: ContextCore }

export const makePromiseCombinators = (context: CombinatorHost): PromiseCombinators => {
  const combinator = (combine: Combine, serdes?: Serdes<any>) => (...args: Array<any>): DurablePromise<any> => {
    const [name, promises] = typeof args[0] === "string" || args[0] === undefined
      ? [args[0] as string | undefined, args[1]]
      : [undefined, args[0]]
    if (!Array.isArray(promises)) {
      return new DurablePromise(Promise.reject(new TypeError("ctx.promise combinators take an array of durable promises")))
    }
    const core = context.core
    // AWS's layout: the running steps the combinator waits on are recorded as started before its CONTEXT operation.
    writeOpenStarts(core.session)
    let begun
    try {
      begun = core.begin("CONTEXT", "RunInChildContext", name)
    } catch (error) {
      return new DurablePromise(Promise.reject(error))
    }
    if (begun === undefined) return new DurablePromise(never())
    return new DurablePromise(afterTurn(begun, runChildContext(core, begun, {
      serdes,
      owns: ownOperations(promises),
      body: () => combine(promises),
      toError: (error, thrown) =>
        new PromiseCombinatorError(error.errorMessage, thrown ?? new RecordedError(error), error.errorData)
    })))
  }
  return {
    all: combinator((p) => Promise.all(p)),
    allSettled: combinator((p) => Promise.allSettled(p), settledSerdes),
    any: combinator((p) => Promise.any(p)),
    race: combinator((p) => Promise.race(p))
  } as PromiseCombinators
}

/**
 * Rejection reasons are stored as error objects with their causes (no stack traces) and come back as the error
 * classes they were, caused by what caused them (a StepError by the step's own error).
 */
type StoredSettled = { status: "fulfilled"; value: unknown } | { status: "rejected"; reason: ErrorObject }

const reasonRecord = (reason: unknown): ErrorObject => {
  const { stackTrace: _, causes, ...record } = toErrorRecord(reason)
  return causes === undefined ? record : { ...record, causes: causes.map(({ stackTrace: _s, ...cause }) => cause) }
}

const settledSerdes: Serdes<Array<PromiseSettledResult<unknown>>> = {
  serialize: async (results) =>
    results === undefined ? undefined : JSON.stringify(results.map((r): StoredSettled =>
      r.status === "fulfilled" ? { status: "fulfilled", value: r.value } : { status: "rejected", reason: reasonRecord(r.reason) }
    )),
  deserialize: async (data) =>
    data === undefined ? undefined : (JSON.parse(data) as Array<StoredSettled>).map((r): PromiseSettledResult<unknown> =>
      r.status === "fulfilled" ? r : { status: "rejected", reason: reviveError(r.reason) }
    )
}

/** The SDK's own error types come back as their classes; anything else as a RecordedError named by its type. */
export const reviveError = (error: ErrorObject, cause: unknown = recordedCause(error)): Error => {
  const ErrorClass = durableErrorClass(error.errorType)
  return ErrorClass === undefined ? new RecordedError(error) : new ErrorClass(error.errorMessage, cause, error.errorData)
}
