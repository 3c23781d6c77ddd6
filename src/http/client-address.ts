/**
 * The client's network address, for per-client limits (the console's login throttle). Only what the runtime saw is
 * trusted, never a forwarding header a client could write: on Node (@hono/node-server) the socket's remote address
 * (`c.env.incoming`); elsewhere the adapter says (`AppOptions.clientAddress`; the Worker uses Cloudflare's
 * `CF-Connecting-IP`), else undefined.
 */
import type { Context } from "hono"

export type ClientAddress = (c: Context) => string | undefined

export const socketAddress: ClientAddress = (c) => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined
  const address = env?.incoming?.socket?.remoteAddress
  return typeof address === "string" && address !== "" ? address : undefined
}
