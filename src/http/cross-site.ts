/**
 * Refuses cross-site writes: a request with an unsafe method (anything but GET, HEAD and OPTIONS) that a browser
 * sent from another site is a 403 problem+json, whatever its media type. Browsers say where a request comes from:
 * `Sec-Fetch-Site` when they send it (every current browser), which must be `same-origin` (or `none`, a request
 * the user made), else `Origin`, whose host must be the request's own. A request with neither comes from no
 * browser (curl, the CLI, another server) and passes: it could send anything anyway.
 *
 * Hono's `csrf` middleware makes the same two checks, but only for the media types an HTML form can send; this one
 * checks every unsafe request, so that nothing depends on the media-type rule (require-json.ts) being in place.
 */
import type { MiddlewareHandler } from "hono"
import { problemResponse } from "./problem.ts"

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

/** Why the request is cross-site, or undefined when it is not. */
export const crossSiteReason = (request: Request): string | undefined => {
  if (SAFE_METHODS.has(request.method)) return undefined
  const site = request.headers.get("sec-fetch-site")
  if (site !== null) return site === "same-origin" || site === "none" ? undefined : `Sec-Fetch-Site is ${site}`
  const origin = request.headers.get("origin")
  if (origin === null) return undefined
  const host = new URL(request.url).host
  try {
    if (origin !== "null" && new URL(origin).host === host) return undefined
  } catch {
    // An Origin that is no URL is refused below.
  }
  return `Origin ${origin} is not this server (${host})`
}

export const crossSite = (): MiddlewareHandler => async (c, next) => {
  const reason = crossSiteReason(c.req.raw)
  if (reason === undefined) return next()
  return problemResponse("cross-site-request", `${reason}: cross-site writes are refused`, c.req.path)
}
