/**
 * Bearer-token auth for the management routes (RFC 6750). The presented token and the configured key are both
 * hashed with SHA-256 and the digests compared in constant time, so neither the key's content nor its length
 * leaks through timing. Failures are 401 problem+json with a `WWW-Authenticate` challenge.
 */
import type { MiddlewareHandler } from "hono"
import { problemResponse } from "./problem.ts"

const REALM = "reprise"
const encoder = new TextEncoder()

const sha256 = async (text: string): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)))

/** Constant-time comparison of two equally long byte arrays. */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length && i < b.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

/**
 * `Bearer <token>`, the scheme case-insensitive. The token may be any visible ASCII (wider than RFC 6750's
 * b64token), so that whatever key the operator chose can be presented.
 */
const BEARER = /^Bearer +([\x21-\x7E]+) *$/i
const VISIBLE_ASCII = /^[\x21-\x7E]+$/

export interface BearerAuthOptions {
  readonly apiKey: string
  /** Requests this returns true for pass without a key (the callback capabilities). */
  readonly exempt?: (path: string) => boolean
}

export const bearerAuth = (options: BearerAuthOptions): MiddlewareHandler => {
  if (options.apiKey.length === 0) throw new TypeError("apiKey must not be empty (leave it unset to run without auth)")
  if (!VISIBLE_ASCII.test(options.apiKey)) throw new TypeError("apiKey must be visible ASCII characters, without spaces")
  const expected = sha256(options.apiKey)
  return async (c, next) => {
    if (options.exempt?.(c.req.path) === true) return next()
    const header = c.req.header("authorization")
    if (header === undefined) {
      return problemResponse("unauthorized", "This route needs an Authorization: Bearer <API key> header", c.req.path, {
        "www-authenticate": `Bearer realm="${REALM}"`
      })
    }
    const token = BEARER.exec(header)?.[1]
    const valid = sameBytes(await sha256(token ?? ""), await expected) && token !== undefined
    if (!valid) {
      return problemResponse("unauthorized", "The API key is not valid", c.req.path, {
        "www-authenticate": `Bearer realm="${REALM}", error="invalid_token"`
      })
    }
    return next()
  }
}
