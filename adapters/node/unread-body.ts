/**
 * Keeps a keep-alive connection usable after an answer that did not read the request's body (a 413 by
 * Content-Length, a 401, 403 or 415 before the body). @hono/node-server then tries to drain the body itself, but
 * once the app has looked at `request.body` (Hono's body limit does, to see whether there is one) the socket is
 * held by that unread stream and the drain gives up after half a second and drops the connection it had announced
 * as keep-alive: the client's next request on it fails (issue 19, finding 3). Here the rest of a body up to
 * DRAIN_LIMIT_BYTES is read and discarded through that same stream before the answer goes out, so the connection
 * stays open; a longer (or endless, or half-read) body gets `Connection: close`, so that the client opens a new
 * connection rather than reuse this one.
 */
import { IncomingMessage } from "node:http"

/** The most unread body read and discarded to keep a connection (four times the API's default body limit). */
export const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024
/** How long to wait for it. */
export const DRAIN_TIMEOUT_MS = 5_000

type Fetch<E> = (request: Request, env: E) => Response | Promise<Response>

const hasBody = (incoming: IncomingMessage): boolean =>
  incoming.headers["transfer-encoding"] !== undefined || (incoming.headers["content-length"] ?? "0") !== "0"

/** Reads the rest of the body into nowhere; true when it ended within the byte and time limits. */
const drain = async (body: ReadableStream<Uint8Array>): Promise<boolean> => {
  const reader = body.getReader()
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), DRAIN_TIMEOUT_MS)
  try {
    let bytes = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return bytes <= DRAIN_LIMIT_BYTES
      bytes += value.byteLength
      if (bytes > DRAIN_LIMIT_BYTES) return false
    }
  } catch {
    return false
  } finally {
    clearTimeout(timer)
    reader.releaseLock()
  }
}

const withConnectionClose = (response: Response): Response => {
  const headers = new Headers(response.headers)
  headers.set("connection", "close")
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

export const drainUnreadBody = <E extends { readonly incoming: unknown }>(fetch: Fetch<E>): Fetch<E> => async (request, env) => {
  const response = await fetch(request, env)
  const incoming = env.incoming
  if (!(incoming instanceof IncomingMessage)) return response // HTTP/2 streams end on their own
  if (!hasBody(incoming) || incoming.readableEnded || incoming.destroyed) return response
  const declared = Number(incoming.headers["content-length"] ?? Number.NaN)
  const body = request.bodyUsed ? null : request.body
  if (Number.isFinite(declared) && declared <= DRAIN_LIMIT_BYTES && body !== null && !body.locked && (await drain(body))) return response
  return withConnectionClose(response)
}
