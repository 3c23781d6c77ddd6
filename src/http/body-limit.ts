/**
 * The request body limit (413 problem+json). A body announced by Content-Length is judged by that header alone, so
 * the request is not touched: Hono's own `bodyLimit` reads `request.body` first to see whether there is one, and
 * on @hono/node-server that builds the full WHATWG Request (undici, a web stream over the socket) for every POST,
 * which cost ~4% of the server's CPU per start in issue 13's W2 (the route then reads the body straight from the
 * socket). A body without Content-Length (chunked) goes through Hono's middleware, which counts it as it streams;
 * a body that fails meanwhile is a problem here (408 past its deadline, else 400), not an internal error.
 */
import type { MiddlewareHandler } from "hono"
import { bodyLimit as honoBodyLimit } from "hono/body-limit"
import { bodyReadProblem } from "./body-deadline.ts"
import { problemResponse } from "./problem.ts"

export interface BodyLimitOptions {
  readonly maxSize: number
  readonly onError: Parameters<typeof honoBodyLimit>[0]["onError"] & {}
}

export const bodyLimit = (options: BodyLimitOptions): MiddlewareHandler => {
  const streamed = honoBodyLimit({ maxSize: options.maxSize, onError: options.onError })
  return async (c, next) => {
    const method = c.req.method
    if (method === "GET" || method === "HEAD") return next() // no body is read (a WHATWG Request has none)
    const headers = c.req.raw.headers
    const length = headers.get("content-length")
    if (length === null || headers.has("transfer-encoding")) {
      try {
        return await streamed(c, next) // a route's own errors do not come here: Hono answers them inside next()
      } catch (error) {
        // The body failed while it was counted: its deadline (body-deadline.ts), or a client that went away.
        const { kind, detail, headers } = bodyReadProblem(error)
        return problemResponse(kind, detail, c.req.path, headers)
      }
    }
    return Number.parseInt(length, 10) > options.maxSize ? options.onError(c) : next()
  }
}
