/**
 * What a test sends to complete a callback, checked as the test's own mistake: `sendCallbackSuccess` and
 * `sendCallbackFailure`, and a responder's reply in `runner.run(…, { callbacks })`. Unchecked, a reply whose result
 * was no string reached the store, which refused it as a corrupt log.
 */
import type { CallbackOutcome } from "../engine/actor-messages.ts"
import type { ErrorObject } from "../log/events.ts"

type CallbackFailure = { errorMessage?: string; errorType?: string; errorData?: string }

/** What a test sends as a callback's error: the fields it gives, AWS's defaults for those it leaves out. */
export const callbackError = (error: CallbackFailure | Error | undefined, what = "sendCallbackFailure"): ErrorObject => {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message }
  if (error === undefined) return { errorType: "Error", errorMessage: "Callback failed" }
  if (typeof error !== "object" || error === null) throw new TypeError(`${what} takes an Error or { errorMessage?, errorType?, errorData? }: got ${typeof error}`)
  for (const field of ["errorMessage", "errorType", "errorData"] as const) {
    if (error[field] !== undefined && typeof error[field] !== "string") {
      throw new TypeError(`${what}: ${field} must be a string, got ${typeof error[field]}`)
    }
  }
  return {
    errorType: error.errorType ?? "Error",
    errorMessage: error.errorMessage ?? "Callback failed",
    ...(error.errorData === undefined ? {} : { errorData: error.errorData })
  }
}

/** A responder's reply as the completion it asks for, or a TypeError naming the responder and what was wrong. */
export const replyOutcome = (name: string, reply: object): CallbackOutcome => {
  const what = `The callback responder ${JSON.stringify(name)}`
  if (typeof reply !== "object" || reply === null || !("succeed" in reply || "fail" in reply)) {
    throw new TypeError(`${what} must answer { succeed: text }, { fail: { errorMessage?, errorType?, errorData? } } or undefined: got ${shown(reply)}`)
  }
  if ("succeed" in reply) {
    const result = reply.succeed
    if (result !== undefined && typeof result !== "string") {
      throw new TypeError(`${what} answered succeed with ${shown(result)}: the result is the payload's JSON text; pass JSON.stringify(value)`)
    }
    return { ok: true, ...(result === undefined ? {} : { result }) }
  }
  return { ok: false, error: callbackError(reply.fail as CallbackFailure, `${what}'s fail`) }
}

const shown = (value: unknown): string => {
  if (typeof value !== "object" || value === null) return `${typeof value} ${String(value)}`
  try {
    return `${typeof value} ${JSON.stringify(value)}`
  } catch {
    return typeof value
  }
}
