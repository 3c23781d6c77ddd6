/**
 * Callback ids name an execution and an operation, plus a random token recorded with the callback, so that an
 * id cannot be guessed from the other two. The HTTP layer may wrap them with a signature (a codec of its own).
 */
import { Effect, Option, Schema } from "effect"

export interface CallbackRef {
  readonly executionId: string
  readonly operationId: string
  readonly token: string
}

export interface CallbackIdCodec {
  encode(ref: CallbackRef): Effect.Effect<string>
  /** Undefined for anything that is not a well-formed id. */
  decode(callbackId: string): Effect.Effect<CallbackRef | undefined>
}

const toBase64Url = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
const fromBase64Url = (encoded: string) => {
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"))
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
}

const decodeParts = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Tuple([Schema.String, Schema.String, Schema.String])))

export const plainCallbackIds: CallbackIdCodec = {
  encode: (ref) => Effect.sync(() => toBase64Url(JSON.stringify([ref.executionId, ref.operationId, ref.token]))),
  decode: (callbackId) =>
    Effect.sync(() => {
      if (callbackId.length === 0 || callbackId.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(callbackId)) return undefined
      let json: string
      try {
        json = fromBase64Url(callbackId)
      } catch {
        return undefined
      }
      return Option.match(decodeParts(json), {
        onNone: () => undefined,
        onSome: ([executionId, operationId, token]) => ({ executionId, operationId, token })
      })
    })
}
