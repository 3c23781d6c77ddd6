/**
 * Signed callback ids: `<inner id>.<HMAC-SHA256 of the inner id, base64url>`, keyed by a secret the server keeps
 * (docs/design.md §10: a callback id is a capability). An id that was not signed with the secret, or was altered
 * in any character, decodes to undefined, which the engine answers as CallbackNotFound (404), before it loads
 * anything. The HMAC is @noble/hashes' (plain JavaScript, synchronous, the same on every runtime): WebCrypto's
 * `crypto.subtle` answers a promise that Node resolves from its thread pool, which cost each callback's creation
 * and each completion ~130 us of latency and ~100 us of CPU here (bench/callback-ids.ts).
 *
 * Give the engine `callbackIds: signedCallbackIds(secret)`; the signed id is the one recorded in the log and
 * handed to the function. Changing the secret invalidates the ids of callbacks already handed out.
 */
import { hmac } from "@noble/hashes/hmac.js"
import { sha256 } from "@noble/hashes/sha2.js"
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
const fromBase64Url = (text: string): Uint8Array => new Uint8Array(Result.getOrThrow(Base64Url.decode(text)))

export const signedCallbackIds = (secret: string, inner: CallbackIdCodec = plainCallbackIds): CallbackIdCodec => {
  if (typeof secret !== "string" || secret.length === 0) throw new TypeError("signedCallbackIds needs a non-empty secret")
  // The key's inner and outer states are computed once; each id clones them.
  const keyed = hmac.create(sha256, encoder.encode(secret))
  const sign = (id: string): Uint8Array => keyed.clone().update(encoder.encode(id)).digest()

  /** Compares in constant time: every byte is looked at, whatever the first difference. */
  const verify = (id: string, signature: string): boolean => {
    const expected = sign(id)
    const given = fromBase64Url(signature)
    if (given.length !== expected.length) return false
    let difference = 0
    for (let i = 0; i < expected.length; i++) difference |= expected[i]! ^ given[i]!
    return difference === 0
  }

  return {
    encode: (ref) =>
      Effect.flatMap(inner.encode(ref), (id) => {
        if (id.includes(".")) return Effect.die(new Error("The inner callback id codec must not produce '.'"))
        return Effect.succeed(`${id}.${Base64Url.encode(sign(id))}`)
      }),
    decode: (callbackId) => {
      const dot = callbackId.lastIndexOf(".")
      const id = callbackId.slice(0, dot)
      const signature = callbackId.slice(dot + 1)
      if (dot <= 0 || !SIGNATURE.test(signature)) return Effect.succeed(undefined)
      return verify(id, signature) ? inner.decode(id) : Effect.succeed(undefined)
    }
  }
}
