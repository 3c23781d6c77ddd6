/**
 * What stands in for a durable function that is no longer registered (removed by a deploy), so that an operator can
 * still stop or pause its executions: the actor loaded for that message handles it and runs no user code. Should
 * the execution still need its handler afterwards (a saga's stop request), the actor leaves memory instead, and the
 * execution waits, as before, for a deploy that brings the function back (or a second stop).
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
