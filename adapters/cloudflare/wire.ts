/**
 * What crosses an RPC boundary between the Worker and the objects: an Exit, encoded with `Schema.Exit` to plain
 * data. Typed errors travel through their own schemas and decode as the same classes on the other side, so the
 * HTTP layer maps them exactly as it would in one process; defects travel as `Schema.Defect` (name and message).
 * Success values are plain data already and cross as they are (RPC's structured clone), hence `Schema.Any`.
 */
import { Cause, Effect, Exit, Schema } from "effect"
import {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotEnded,
  ExecutionNotFound,
  ExecutionNotPaused,
  ExecutionNotRewindable,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest,
  RateLimited
} from "reprise/engine"
import { LogCorrupted, SeqConflict, StoreFailure } from "reprise/store"

/** The typed errors that may cross; any other failure crosses as a defect. */
export const RemoteError = Schema.Union([
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotEnded,
  ExecutionNotFound,
  ExecutionNotPaused,
  ExecutionNotRewindable,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest,
  RateLimited,
  LogCorrupted,
  SeqConflict,
  StoreFailure
])
export type RemoteError = typeof RemoteError.Type
const isRemoteError = Schema.is(RemoteError)

const ExitWire = Schema.toCodecJson(Schema.Exit(Schema.Any, RemoteError, Schema.Defect()))
const encodeExit = Schema.encodeExit(ExitWire)
const encodeSync = Schema.encodeSync(ExitWire)
const decodeExit = Schema.decodeUnknownExit(ExitWire)

/** An Exit as `ExitWire` encodes it, whose success value is an `A` (the codec's own type says only "JSON"). */
export type Wire<A> =
  | { readonly _tag: "Success"; readonly value: A }
  | {
    readonly _tag: "Failure"
    readonly cause: ReadonlyArray<
      | { readonly _tag: "Fail"; readonly error: unknown }
      | { readonly _tag: "Die"; readonly defect: unknown }
      | { readonly _tag: "Interrupt"; readonly fiberId?: number | undefined }
    >
  }

/** Encodes an exit; one that does not encode (a typed error with invalid fields) crosses as a defect saying so. */
export const toWire = <A>(exit: Exit.Exit<A, RemoteError>): Wire<A> => {
  const encoded = encodeExit(exit)
  if (Exit.isSuccess(encoded)) return encoded.value as Wire<A>
  return encodeSync(Exit.die(new Error(`The answer could not be encoded: ${encoded.cause}`))) as Wire<A>
}

/** A defect on the wire, for a call the object refuses before running anything. */
export const dieWire = (message: string): Wire<never> => toWire(Exit.die(new Error(message)))

/**
 * Runs an effect and encodes its exit (what an object's RPC method returns). The engine dies with one of the
 * typed errors where a method's type has no room for it (FunctionNotFound: a resume, or a load, of a function a
 * deploy removed); in one process the HTTP layer maps that defect by its tag, so it crosses as that error: as a
 * defect it would keep only its name and message, and the Worker would answer 500.
 */
export const runWire = <A, E, R>(run: (effect: Effect.Effect<A, RemoteError, R>) => Promise<Exit.Exit<A, RemoteError>>, effect: Effect.Effect<A, E, R>) =>
  run(Effect.catch(effect, (error) => (isRemoteError(error) ? Effect.fail(error) : Effect.die(error))).pipe(
    Effect.catchDefect((defect) => (isRemoteError(defect) ? Effect.fail(defect) : Effect.die(defect)))
  )).then(
    toWire,
    (error: unknown) => toWire<A>(Exit.die(error))
  )

/** Back from the wire: the value, the typed error as its own class, or a defect (also for a malformed answer). */
export const fromWire = <A>(wire: Wire<A>): Exit.Exit<A, RemoteError> => {
  const decoded = decodeExit(wire)
  return Exit.isSuccess(decoded) ? (decoded.value as Exit.Exit<A, RemoteError>) : Exit.die(Cause.squash(decoded.cause))
}

/** The error of a failed answer (undefined for a success), for a log line. */
export const failureOfWire = (wire: Wire<unknown>): unknown => {
  const exit = fromWire(wire)
  return Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
}

/** Narrows a call's typed errors to those `tags` (the ones its method can fail with); any other is a defect. */
export const only = <T extends RemoteError["_tag"]>(...tags: ReadonlyArray<T>) =>
<A, R>(effect: Effect.Effect<A, RemoteError, R>): Effect.Effect<A, Extract<RemoteError, { readonly _tag: T }>, R> =>
  Effect.catch(effect, (error) => (tags.includes(error._tag as T) ? Effect.fail(error as Extract<RemoteError, { readonly _tag: T }>) : Effect.die(error)))

/**
 * An RPC call as an Effect: a rejected promise (the object could not be reached) is a StoreFailure. The errors are
 * the RemoteError classes at run time; the type stays `any` because the RPC interface does not say which of them
 * each method fails with (narrow with `only`), and the Worker's engine passes them on as its own methods' errors.
 */
export const call = <A>(operation: string, rpc: () => Promise<Wire<A>>): Effect.Effect<A, any> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: rpc,
      catch: (error) => new StoreFailure({ operation, reason: error instanceof Error ? error.message : String(error) })
    }),
    fromWire
  )
