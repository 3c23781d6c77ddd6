/** A stop's error is stored (and becomes the execution's error): it is a payload, under the same limit as a result. */
import { Effect } from "effect"
import type { ErrorObject } from "../log/events.ts"
import { tooLarge } from "./actor-messages.ts"
import { InvalidRequest } from "./engine-errors.ts"

export const checkedStopError = (error: ErrorObject | undefined, maxPayloadBytes: number): Effect.Effect<void, InvalidRequest> =>
  error !== undefined && tooLarge(JSON.stringify(error), maxPayloadBytes)
    ? Effect.fail(new InvalidRequest({ reason: `The stop's error is over the ${maxPayloadBytes}-byte payload limit`, payloadTooLarge: true }))
    : Effect.void
