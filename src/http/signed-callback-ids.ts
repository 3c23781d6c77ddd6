/**
 * Signed callback ids: `<inner id>.<HMAC-SHA256 of the inner id, base64url>`, keyed by a secret the server keeps
 * (docs/design.md §10: a callback id is a capability). An id that was not signed with the secret, or was altered
 * in any character, decodes to undefined, which the engine answers as CallbackNotFound (404), before it loads
 * anything. Uses only WebCrypto (`crypto.subtle`), available in Node, workerd and Deno.
 *
 * Give the engine `callbackIds: signedCallbackIds(secret)`; the signed id is the one recorded in the log and
 * handed to the function. Changing the secret invalidates the ids of callbacks already handed out.
 */
import { Effect, Result } from "effect"
import { Base64Url } from "effect/encoding"
import { type CallbackIdCodec, plainCallbackIds } from "../engine/index.ts"

const encoder = new TextEncoder()

/**
 * 32 bytes of HMAC-SHA256 in unpadded base64url, canonical: the last character's two spare bits are zero, since
 * decoding ignores them and an id altered there would otherwise still verify.
 */
const SIGNATURE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/** Only for text that SIGNATURE matched, which always decodes. */
const fromBase64Url = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(Result.getOrThrow(Base64Url.decode(text)))

export const signedCallbackIds = (secret: string, inner: CallbackIdCodec = plainCallbackIds): CallbackIdCodec => {
  if (typeof secret !== "string" || secret.length === 0) throw new TypeError("signedCallbackIds needs a non-empty secret")
  let key: ReturnType<typeof crypto.subtle.importKey> | undefined
  const hmacKey = () =>
    key ??= crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])

  const sign = (id: string) =>
    Effect.promise(async () => new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(), encoder.encode(id))))

  /** crypto.subtle.verify compares in constant time. */
  const verify = (id: string, signature: string) =>
    Effect.promise(async () => crypto.subtle.verify("HMAC", await hmacKey(), fromBase64Url(signature), encoder.encode(id)))

  return {
    encode: (ref) =>
      Effect.flatMap(inner.encode(ref), (id) => {
        if (id.includes(".")) return Effect.die(new Error("The inner callback id codec must not produce '.'"))
        return Effect.map(sign(id), (signature) => `${id}.${Base64Url.encode(signature)}`)
      }),
    decode: (callbackId) => {
      const dot = callbackId.lastIndexOf(".")
      const id = callbackId.slice(0, dot)
      const signature = callbackId.slice(dot + 1)
      if (dot <= 0 || !SIGNATURE.test(signature)) return Effect.succeed(undefined)
      return Effect.flatMap(verify(id, signature), (valid) => (valid ? inner.decode(id) : Effect.succeed(undefined)))
    }
  }
}
