/**
 * The console's HTML forms (log in, log out) post `application/x-www-form-urlencoded`, which the API's media-type
 * rule (require-json.ts) would refuse, so they carry a token instead (the double-submit pattern): a random value in
 * a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/console`) and the same value in a hidden field of every form. A
 * page on another site can neither read the cookie nor make the browser send it, so it cannot post a matching pair.
 * The cross-site check (cross-site.ts) refuses such a post first in every browser that sends `Sec-Fetch-Site` or
 * `Origin`; the token covers the rest.
 */
import { Base64Url } from "effect/encoding"
import type { Context } from "hono"
import { getCookie } from "hono/cookie"
import { serialize } from "hono/utils/cookie"
import { timingSafeEqual } from "hono/utils/buffer"

export const FORM_COOKIE = "reprise_form"
export const FORM_FIELD = "form_token"
/** The routes that take the console's HTML forms (and so are exempt from the JSON rule). */
export const CONSOLE_FORM_PATHS: ReadonlySet<string> = new Set(["/console/login", "/console/logout"])

const TOKEN = /^[A-Za-z0-9_-]{22,64}$/

const isHttps = (c: Context): boolean =>
  new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https"

export interface FormToken {
  readonly token: string
  /** A Set-Cookie value to send with the page when the token is new. */
  readonly setCookie?: string
}

/** One token per request, however many forms its page holds. */
const issued = new WeakMap<Request, FormToken>()

/** The request's form token, or a new one (with the cookie that carries it). */
export const formToken = (c: Context): FormToken => {
  const cached = issued.get(c.req.raw)
  if (cached !== undefined) return cached
  const known = getCookie(c, FORM_COOKIE)
  const token = known !== undefined && TOKEN.test(known) ? known : Base64Url.encode(crypto.getRandomValues(new Uint8Array(18)))
  const result: FormToken = token === known ? { token } : {
    token,
    setCookie: serialize(FORM_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/console", secure: isHttps(c) })
  }
  issued.set(c.req.raw, result)
  return result
}

/**
 * The posted form's fields, or undefined when the body cannot be read as a form (a multipart body without its
 * boundary, or cut short: never what the console's page sends), which is the client's fault, not the server's.
 */
export const postedForm = async (c: Context): Promise<Record<string, unknown> | undefined> => {
  try {
    return await c.req.parseBody()
  } catch (error) {
    if (error instanceof TypeError) return undefined // undici's "Failed to parse body as FormData."
    throw error // a body over the limit or past its deadline: answered by the middleware that raised it
  }
}

/** Whether the posted form's token is the one in the cookie (compared in constant time). */
export const formTokenValid = async (c: Context, posted: unknown): Promise<boolean> => {
  const known = getCookie(c, FORM_COOKIE)
  return known !== undefined && TOKEN.test(known) && typeof posted === "string" && (await timingSafeEqual(known, posted))
}
