/**
 * Every unsafe request with a body (anything but GET, HEAD, OPTIONS and DELETE) must say `Content-Type: application/json`, even with an
 * empty body: an HTML form or a `no-cors` fetch can only send `text/plain`, `application/x-www-form-urlencoded` and
 * `multipart/form-data`, so a page on another site cannot make a browser send one of these routes a request it
 * accepts without a CORS preflight, which this app never grants. Anything else is 415 problem+json, before a byte of
 * the body is read, as is a body with a content coding (gzip …), which is never decoded here. The console's own HTML forms are exempt (`exempt`): they carry its form token instead.
 */
import type { MiddlewareHandler } from "hono"
import { matchedRoutes } from "hono/route"
import { isJsonContentType, unsupported } from "./read-body.ts"
import { problemResponse } from "./problem.ts"

/**
 * Besides the safe methods, DELETE: its one route takes no body, and a browser sends a DELETE to another site only
 * after a CORS preflight, which this app never grants (cross-site.ts refuses it besides), so `curl -X DELETE` needs
 * no Content-Type.
 */
const UNCHECKED_METHODS = new Set(["GET", "HEAD", "OPTIONS", "DELETE"])

export interface RequireJsonOptions {
  /** Routes this returns true for are not checked (the console's forms). */
  readonly exempt?: (path: string) => boolean
}

/** Whether a route (not only middleware) takes this method and path: if none does, the answer is a 404 or 405. */
const routed = (c: Parameters<MiddlewareHandler>[0]) => matchedRoutes(c).some((route) => route.method !== "ALL")

export const requireJson = (options: RequireJsonOptions = {}): MiddlewareHandler => async (c, next) => {
  if (UNCHECKED_METHODS.has(c.req.method) || options.exempt?.(c.req.path) === true || !routed(c)) return next()
  const contentType = c.req.header("content-type") ?? null
  // A compressed body (gzip …) is not read as JSON text: 415 naming the one coding taken (RFC 9110 §15.5.16).
  const encoding = c.req.header("content-encoding")?.trim().toLowerCase()
  if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
    return problemResponse("unsupported-media-type", `The body must not be encoded (Content-Encoding ${JSON.stringify(encoding)}); send it as plain JSON`, c.req.path, {
      "accept-encoding": "identity"
    })
  }
  if (contentType !== null && isJsonContentType(contentType)) return next()
  const problem = unsupported(contentType)
  return problemResponse(problem.kind, problem.detail, c.req.path, problem.headers)
}
