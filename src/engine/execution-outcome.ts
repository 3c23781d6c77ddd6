/** The event that ends an execution when its handler settles: its JSON result, or why it failed. */
import { toErrorRecord } from "../context/error-story.ts"
import { PayloadTooLargeError, SerdesFailedError } from "../context/errors.ts"
import type { NewEvent } from "../log/events.ts"
import { tooLarge } from "./actor-messages.ts"

export type HandlerExit = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

export const outcomeEvent = (exit: HandlerExit, maxPayloadBytes: number): NewEvent => {
  const failed = (error: unknown): NewEvent => ({ _tag: "ExecutionFailed", error: toErrorRecord(error) })
  if (!exit.ok) return failed(exit.error)
  let result: string | undefined
  try {
    result = exit.value === undefined ? undefined : JSON.stringify(exit.value)
  } catch (error) {
    return failed(new SerdesFailedError(`The execution result could not be serialised as JSON: ${(error as Error).message}`))
  }
  if (result !== undefined && tooLarge(result, maxPayloadBytes)) {
    return failed(new PayloadTooLargeError(`The execution result is over the ${maxPayloadBytes}-byte payload limit`))
  }
  return { _tag: "ExecutionSucceeded", ...(result === undefined ? {} : { result }) }
}
