/**
 * What crosses an RPC boundary between the Worker and the objects: an Exit flattened to plain data. Typed errors
 * travel as their tag and fields and are rebuilt as the same classes on the other side, so the HTTP layer maps
 * them exactly as it would in one process; defects travel as a message only.
 */
import { Cause, Effect, Exit } from "effect"
import {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotFound,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest
} from "../../src/engine/index.ts"
import { LogCorrupted } from "../../src/log/log-corrupted.ts"
import { SeqConflict, StoreFailure } from "../../src/store/store-errors.ts"

export type Wire<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly tag: string; readonly fields: Record<string, unknown> }

/** The typed errors that may cross; anything else is a defect. */
const classes: Record<string, new(fields: any) => unknown> = {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  ExecutionAlreadyExists,
  ExecutionNotFound,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest,
  LogCorrupted,
  SeqConflict,
  StoreFailure
}

const DEFECT = "Defect"

export const toWire = <A>(exit: Exit.Exit<A, unknown>): Wire<A> => {
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
  const failure = Cause.findErrorOption(exit.cause)
  const error = failure._tag === "Some" ? failure.value : Cause.squash(exit.cause)
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : undefined
  if (tag !== undefined && Object.hasOwn(classes, tag)) {
    const { _tag: _, ...fields } = error as Record<string, unknown>
    return { ok: false, tag, fields }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { ok: false, tag: DEFECT, fields: { message } }
}

/** Runs an effect and flattens its exit (what an object's RPC method returns). */
export const runWire = <A, E, R>(run: (effect: Effect.Effect<A, E, R>) => Promise<Exit.Exit<A, E>>, effect: Effect.Effect<A, E, R>) =>
  run(effect).then(toWire, (error: unknown) => toWire<A>(Exit.die(error)))

/** Back from the wire: the value, the rebuilt typed error, or a defect. */
export const fromWire = <A>(wire: Wire<A>): Effect.Effect<A, any> => {
  if (wire.ok) return Effect.succeed(wire.value)
  const make = classes[wire.tag]
  if (make === undefined) return Effect.die(new Error(String(wire.fields.message ?? "The remote call failed")))
  return Effect.fail(new make(wire.fields))
}

/** An RPC call as an Effect: a rejected promise (the object could not be reached) is a StoreFailure. */
export const call = <A>(operation: string, rpc: () => Promise<Wire<A>>): Effect.Effect<A, any> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: rpc,
      catch: (error) => new StoreFailure({ operation, reason: error instanceof Error ? error.message : String(error) })
    }),
    fromWire
  )
