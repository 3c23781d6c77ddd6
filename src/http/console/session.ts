/**
 * Console sessions, when the app has an API key. The operator types the key once into a login form; the answer is
 * a Hono signed cookie (`hono/cookie`) holding the session's expiry and an HMAC-SHA256 of it keyed with the API key
 * (never the key itself):
 *
 * - `HttpOnly` (page scripts cannot read it), `SameSite=Strict` (not sent on cross-site requests), `Path=/console`
 *   (never sent to /v1), `Secure` when the request came over HTTPS; valid for 12 hours; changing the API key, or
 *   the session secret (`consoleSessionSecret`: the hosts pass $REPRISE_CONSOLE_SECRET and their own random secret),
 *   invalidates every session. Signed with the key alone, a cookie would let whoever saw it test guesses of the key
 *   offline (its value is in clear beside the HMAC), hence the random secret.
 * - The console's action routes also require an `X-Reprise-Console` header, which a cross-site form cannot send
 *   and a cross-site script cannot send without a CORS preflight that this app never grants: no CSRF.
 *
 * Everything runs on Web Crypto, so it works on every runtime the app runs on.
 */
import { Base64 } from "effect/encoding"
import type { Context } from "hono"
import { deleteCookie, getCookie, getSignedCookie, setSignedCookie } from "hono/cookie"
import { timingSafeEqual } from "hono/utils/buffer"

export const SESSION_COOKIE = "reprise_console"
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000
export const CONSOLE_HEADER = "x-reprise-console"

export interface Sessions {
  /** Whether `candidate` is the API key (compared in constant time, through digests). */
  keyMatches(candidate: string): Promise<boolean>
  /** Sets the session cookie on the response. */
  open(c: Context): Promise<void>
  close(c: Context): void
  /** Whether the request carries a valid, unexpired session cookie. */
  valid(c: Context): Promise<boolean>
}

const isHttps = (c: Context): boolean =>
  new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https"

/**
 * Whether the cookie's signature is written the one way its bytes encode. Hono decodes the signature with `atob`,
 * which ignores the two spare bits of its last character, so four spellings of one signature would verify; this
 * check, before Hono's, keeps a cookie altered in any character from opening a session.
 */
const canonicalSignature = (cookie: string | undefined): boolean => {
  const signature = cookie?.slice(cookie.lastIndexOf(".") + 1) ?? ""
  const bytes = Base64.decode(signature)
  return bytes._tag === "Success" && Base64.encode(bytes.success) === signature
}

/**
 * Sessions are signed with the API key and, when given, a session secret: changing either revokes every session
 * (cookies are not stored server-side, so that is the way to log everyone out, e.g. after a key leaked).
 */
export const makeSessions = (apiKey: string, sessionSecret?: string): Sessions => {
  const signingKey = sessionSecret === undefined || sessionSecret === "" ? apiKey : `${apiKey}\u0000${sessionSecret}`
  return {
    keyMatches: (candidate) => timingSafeEqual(apiKey, candidate),
    open: (c) =>
      setSignedCookie(c, SESSION_COOKIE, String(Date.now() + SESSION_TTL_MS), signingKey, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/console",
        secure: isHttps(c),
        maxAge: SESSION_TTL_MS / 1000
      }),
    close: (c) => void deleteCookie(c, SESSION_COOKIE, { path: "/console", secure: isHttps(c) }),
    valid: async (c) => {
      if (!canonicalSignature(getCookie(c, SESSION_COOKIE))) return false
      const value = await getSignedCookie(c, signingKey, SESSION_COOKIE)
      if (typeof value !== "string" || !/^\d{13,15}$/.test(value)) return false
      const expires = Number(value)
      const now = Date.now()
      return expires > now && expires <= now + SESSION_TTL_MS
    }
  }
}

/** Where to go after logging in: a console path only (no open redirect). */
export const safeNext = (next: unknown): string =>
  typeof next === "string" && /^\/console(?:[/?]|$)/.test(next) && !next.startsWith("//") && !/[\\\r\n]/.test(next) ? next : "/console"
