/**
 * A HEAD request is served by its GET route, and Hono answers it with that response's status and headers, dropping
 * its body without cancelling it. An event stream's body (event-stream-routes.ts, lifecycle-stream-routes.ts) then
 * ran on unread, watching its execution until its `maxSeconds` (600 s by default): each HEAD held a watcher that
 * long. Cancelling the body here ends the stream at once, as a client that disconnects does.
 */
import type { MiddlewareHandler } from "hono"

export const cancelHeadBodies = (): MiddlewareHandler => async (c, next) => {
  await next()
  if (c.req.raw.method === "HEAD") await c.res.body?.cancel().catch(() => undefined)
}
