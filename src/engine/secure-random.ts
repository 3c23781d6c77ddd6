/**
 * Unpredictable bytes, for what must not be guessed: the token in every callback id (a capability, see
 * src/http/callback-routes.ts) and the execution ids the server picks. Effect's `Random` is a seedable PRNG,
 * documented as not cryptographically secure, so these come from Web Crypto (`crypto.getRandomValues`), on every
 * runtime (execution ids carry their start time in front: `uuidV7Of`). The execution's own `ctx.random()` and `ctx.uuid()` stay on `Random`: they are recorded, not secrets.
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

const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"))

/** Lower-case hex of the bytes (by table: a formatted byte at a time cost each start ~13 us, 1.1% of W2's server). */
export const hex = (bytes: Uint8Array): string => {
  let text = ""
  for (let i = 0; i < bytes.length; i++) text += HEX_PAIRS[bytes[i]!]
  return text
}

/**
 * A version-7 UUID (RFC 9562): the Unix time in ms (48 bits), then 74 of the random bytes. The ids the server picks
 * sort by start time, so the executions of one moment sit side by side in a store's key order: a SQLite group commit
 * of 200 executions' steps writes a few B-tree pages instead of one page each (3x less CPU per append, issue 13's
 * W2; docs/engine.md). 74 random bits keep them unguessable; the time they show is when the start arrived, about the
 * `startedAt` the API shows anyway. Within one millisecond they are in random order.
 */
export const uuidV7Of = (millis: number, bytes: Uint8Array): string => {
  const b = Uint8Array.from(bytes)
  const time = Math.max(0, Math.floor(millis))
  const high = Math.floor(time / 2 ** 32) // 16 bits, until the year 10889
  b[0] = (high >>> 8) & 0xff
  b[1] = high & 0xff
  b[2] = (time >>> 24) & 0xff
  b[3] = (time >>> 16) & 0xff
  b[4] = (time >>> 8) & 0xff
  b[5] = time & 0xff
  b[6] = (b[6]! & 0x0f) | 0x70
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = hex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}
