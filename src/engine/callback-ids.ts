/**
 * Callback ids name an execution and an operation, plus a random token recorded with the callback, so that an
 * id cannot be guessed from the other two. The HTTP layer may wrap them with a signature (a codec of its own).
 */
import { Effect, Option, Result, Schema } from "effect"
import { Base64Url } from "effect/encoding"

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

const utf8 = new TextDecoder("utf-8", { fatal: true })
/** Throws on anything but base64url of UTF-8 (Base64Url.decodeString would let bad UTF-8 through as U+FFFD). */
const fromBase64Url = (encoded: string) => utf8.decode(Result.getOrThrow(Base64Url.decode(encoded)))

const decodeParts = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Tuple([Schema.String, Schema.String, Schema.String])))

export const plainCallbackIds: CallbackIdCodec = {
  encode: (ref) => Effect.sync(() => Base64Url.encode(JSON.stringify([ref.executionId, ref.operationId, ref.token]))),
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
