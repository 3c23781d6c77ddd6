/**
 * An exception nothing caught, thrown by a durable function's code, is a line of the log naming the execution and
 * operation, while a server owns the process: a throw in a timer one step body set ended the Deno server, and each
 * restart resumed the execution that threw it (as on Node: reprise/node's process-faults.ts, whose rules these are).
 * Thrown anywhere else, the server's own state may be broken: the process ends as Deno ends it, unless the
 * application's own `error` listener prevents that.
 *
 * Deno dispatches such an exception as an `error` event on the global scope, but, unlike Node's `uncaughtException`,
 * after leaving the async context of the callback that threw (a `setTimeout`, `setInterval` or `setImmediate`
 * callback; a microtask's keeps it), so `userCodeRunning` there no longer tells whose code it was. So while a server
 * runs, those three globals wrap a callback set by a durable function's code: the callback's throw is noted with its
 * owner and thrown on unchanged, and the event, dispatched at once, finds it. (`node:timers`' own exports are bound
 * before any server starts and are not wrapped.)
 *
 * One listener for the whole process, however many servers run in it; the first server still open reports.
 */
import { type UserCode, userCodeRunning } from "reprise/host"

export type ExceptionReport = (error: unknown, where: UserCode) => void

interface ErrorEvent extends Event {
  readonly error: unknown
}

const TIMERS = ["setTimeout", "setInterval", "setImmediate"] as const
type Timers = Record<(typeof TIMERS)[number], (callback: unknown, ...rest: Array<unknown>) => unknown>
// Deno's global scope (the project's type check has Node's typings).
const scope = globalThis as unknown as EventTarget & Timers

const owners: Array<ExceptionReport> = []
/** The last throw of a wrapped callback, until its event comes. */
let thrown: { readonly error: unknown; readonly where: UserCode } | undefined

const onError = (event: Event) => {
  const error = (event as ErrorEvent).error
  const noted = thrown !== undefined && Object.is(thrown.error, error) ? thrown.where : undefined
  thrown = undefined
  const where = noted ?? userCodeRunning()
  const owner = owners[0]
  if (where === undefined || owner === undefined) return // Deno's own end: the error on stderr, exit code 1
  event.preventDefault()
  owner(error, where)
}

const attributing = (set: Timers[keyof Timers]) =>
  function (this: unknown, callback: unknown, ...rest: Array<unknown>) {
    const where = userCodeRunning()
    if (where === undefined || typeof callback !== "function") return set.call(this, callback, ...rest)
    return set.call(this, function (this: unknown, ...args: Array<unknown>) {
      try {
        return callback.apply(this, args)
      } catch (error) {
        thrown = { error, where }
        throw error
      }
    }, ...rest)
  }

/** Each global replaced while a server runs: the original, and the wrapper put in its place. */
const replaced = new Map<keyof Timers, { readonly original: Timers[keyof Timers]; readonly wrapper: Timers[keyof Timers] }>()

/** Reports the exceptions of durable functions' code through `report` until the returned function is called. */
export const logUncaughtExceptions = (report: ExceptionReport): (() => void) => {
  if (owners.length === 0) {
    for (const name of TIMERS) {
      const original = scope[name]
      if (typeof original !== "function") continue
      const wrapper = attributing(original)
      // Node's own promise form (`util.promisify(setTimeout)`) is found under a symbol: the wrapper keeps it.
      for (const key of Object.getOwnPropertySymbols(original)) {
        Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(original, key)!)
      }
      replaced.set(name, { original, wrapper })
      scope[name] = wrapper
    }
    scope.addEventListener("error", onError)
  }
  owners.push(report)
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    owners.splice(owners.indexOf(report), 1)
    if (owners.length > 0) return
    scope.removeEventListener("error", onError)
    // Put back only what is still ours: code that wrapped a timer since keeps its own.
    for (const [name, { original, wrapper }] of replaced) if (scope[name] === wrapper) scope[name] = original
    replaced.clear()
  }
}
