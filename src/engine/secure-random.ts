/**
 * Unpredictable bytes, for what must not be guessed: the token in every callback id (a capability, see
 * src/http/callback-routes.ts) and the execution ids the server picks. Effect's `Random` is a seedable PRNG,
 * documented as not cryptographically secure, so these come from Web Crypto (`crypto.getRandomValues`), on every
 * runtime. The execution's own `ctx.random()` and `ctx.uuid()` stay on `Random`: they are recorded, not secrets.
 *
 * A service with a default, so that a test that wants fixed ids can provide its own.
 */
import { Context } from "effect"

export interface SecureRandomShape {
  /** `length` bytes, fresh on every call. */
  readonly bytes: (length: number) => Uint8Array
}

/**
 * Bytes from Web Crypto, drawn 4 KiB at a time: one `getRandomValues` per id was ~0.7% of the Node server's CPU
 * per start (issue 13's W2). Each call gets bytes no other call got.
 */
const pooled = (): SecureRandomShape => {
  const pool = new Uint8Array(4096)
  let used = pool.length
  return {
    bytes: (length) => {
      if (length > pool.length) return crypto.getRandomValues(new Uint8Array(length))
      if (used + length > pool.length) {
        crypto.getRandomValues(pool)
        used = 0
      }
      used += length
      return pool.slice(used - length, used)
    }
  }
}

export const SecureRandom = Context.Reference<SecureRandomShape>("reprise/engine/SecureRandom", { defaultValue: pooled })

/** Lower-case hex of the bytes. */
export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/** A version-4 UUID from 16 random bytes. */
export const uuidOf = (bytes: Uint8Array): string => {
  const b = Uint8Array.from(bytes)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = hex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}
