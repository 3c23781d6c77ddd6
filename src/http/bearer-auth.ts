/**
 * Bearer-token auth for the management routes (RFC 6750), on Hono's `bearerAuth`: it compares the presented
 * token with the key through SHA-256 digests in constant time (`hono/utils/buffer`'s `timingSafeEqual`).
 * Failures are 401 problem+json with a `WWW-Authenticate` challenge; a malformed header is answered like a
 * wrong key (401 `invalid_token`), not 400, so that a client learns nothing from how its header was wrong.
 */
import type { Context, MiddlewareHandler } from "hono"
import { bearerAuth as honoBearerAuth } from "hono/bearer-auth"
import { problemResponse } from "./problem.ts"

const REALM = "reprise"
const INVALID_TOKEN = `Bearer realm="${REALM}", error="invalid_token"`

/** RFC 6750's b64token, the only tokens Hono's bearerAuth accepts; a key must be one to be presentable. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/

export interface BearerAuthOptions {
  readonly apiKey: string
  /** Requests this returns true for pass without a key (the callback capabilities). */
  readonly exempt?: (path: string) => boolean
}

/** Why `apiKey` cannot be the API key (empty, or no b64token a client could send), or undefined when it can. */
export const apiKeyRefusal = (apiKey: string): string | undefined =>
  apiKey.length === 0
    ? "must not be empty (leave it unset to run without auth)"
    : B64TOKEN.test(apiKey)
    ? undefined
    : "must be an RFC 6750 token: letters, digits and - . _ ~ + /, optionally ending in ="

const invalid = (c: Context) => problemResponse("unauthorized", "The API key is not valid", c.req.path)

export const bearerAuth = (options: BearerAuthOptions): MiddlewareHandler => {
  const refusal = apiKeyRefusal(options.apiKey)
  if (refusal !== undefined) throw new TypeError(`apiKey ${refusal}`)
  // Hono throws an HTTPException carrying these responses; the app's onError answers with them (see app.ts).
  const check = honoBearerAuth({
    token: options.apiKey,
    realm: REALM,
    noAuthenticationHeader: {
      message: (c) => problemResponse("unauthorized", "This route needs an Authorization: Bearer <API key> header", c.req.path)
    },
    invalidAuthenticationHeader: { message: invalid, wwwAuthenticateHeader: INVALID_TOKEN },
    invalidToken: { message: invalid, wwwAuthenticateHeader: INVALID_TOKEN }
  })
  return (c, next) => (options.exempt?.(c.req.path) === true ? next() : check(c, next))
}
