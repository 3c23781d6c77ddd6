/**
 * Console sessions, when the app has an API key. The operator types the key once into a login form; the answer is
 * a cookie holding an expiry and an HMAC-SHA256 of it keyed with the API key (never the key itself):
 *
 * - `HttpOnly` (page scripts cannot read it), `SameSite=Strict` (not sent on cross-site requests), `Path=/console`
 *   (never sent to /v1), `Secure` when the request came over HTTPS; valid for 12 hours; changing the API key
 *   invalidates every session.
 * - The console's action routes also require an `X-Reprise-Console` header, which a cross-site form cannot send
 *   and a cross-site script cannot send without a CORS preflight that this app never grants: no CSRF.
 *
 * Everything runs on Web Crypto, so it works on every runtime the app runs on.
 */
import type { Context } from "hono"
import { deleteCookie, getCookie, setCookie } from "hono/cookie"

export const SESSION_COOKIE = "reprise_console"
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000
export const CONSOLE_HEADER = "x-reprise-console"

const encoder = new TextEncoder()

const toBase64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

const fromBase64Url = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined // a SHA-256 MAC is 32 bytes: 43 characters
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=")
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

const sha256 = async (text: string): Promise<Uint8Array> => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)))

/** Constant-time comparison of two SHA-256 digests. */
const sameDigest = (a: Uint8Array, b: Uint8Array): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length && i < b.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

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

export const makeSessions = (apiKey: string): Sessions => {
  const expected = sha256(apiKey)
  const hmacKey = crypto.subtle.importKey("raw", encoder.encode(apiKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"])
  const message = (expires: number) => encoder.encode(`reprise-console.v1.${expires}`)

  return {
    keyMatches: async (candidate) => sameDigest(await sha256(candidate), await expected),
    open: async (c) => {
      const expires = Date.now() + SESSION_TTL_MS
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey, message(expires)))
      setCookie(c, SESSION_COOKIE, `${expires}.${toBase64Url(mac)}`, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/console",
        secure: isHttps(c),
        maxAge: SESSION_TTL_MS / 1000
      })
    },
    close: (c) => void deleteCookie(c, SESSION_COOKIE, { path: "/console", secure: isHttps(c) }),
    valid: async (c) => {
      const match = /^(\d{13,15})\.([A-Za-z0-9_-]+)$/.exec(getCookie(c, SESSION_COOKIE) ?? "")
      if (match === null) return false
      const expires = Number(match[1])
      const now = Date.now()
      if (expires <= now || expires > now + SESSION_TTL_MS) return false
      const mac = fromBase64Url(match[2]!)
      if (mac === undefined) return false
      return crypto.subtle.verify("HMAC", await hmacKey, mac as Uint8Array<ArrayBuffer>, message(expires))
    }
  }
}

/** Where to go after logging in: a console path only (no open redirect). */
export const safeNext = (next: unknown): string =>
  typeof next === "string" && /^\/console(?:[/?]|$)/.test(next) && !next.startsWith("//") && !/[\\\r\n]/.test(next) ? next : "/console"
