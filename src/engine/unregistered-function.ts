/**
 * What stands in for a durable function that is no longer registered (removed by a deploy), so that an operator can
 * still stop or pause its executions: the actor loaded for that message handles it, runs no user code, and leaves
 * memory (HandlerStart). Anything else is refused with FunctionNotFound, and an execution still running (a saga's
 * stop request) waits, as before, for a deploy that brings the function back (or a second stop).
 */
import type { DurableFunction } from "./registry.ts"

const standIns = new WeakSet<DurableFunction>()

export const unregisteredFunction = (name: string): DurableFunction => {
  const fn: DurableFunction = {
    name,
    options: {},
    handler: () => Promise.reject(new Error(`No durable function is registered as ${JSON.stringify(name)}`))
  }
  standIns.add(fn)
  return fn
}

/** True for the stand-in of a function that is not registered: its handler must not run. */
export const isUnregistered = (fn: DurableFunction): boolean => standIns.has(fn)
