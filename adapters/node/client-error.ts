/**
 * What Node's HTTP server answers itself, before any route sees the request: headers over its limit (16 KiB by
 * default) and requests it cannot parse. Node's own answer is a bare `431` or `400` with no body; the API answers
 * every error as problem+json (src/http/problem.ts), so these are written here, on the socket.
 */
import type { Server } from "node:http"
import type { Duplex } from "node:stream"
import { problemKinds, problemType, type ProblemKind } from "reprise/http"

/** The request line's target, when the bytes Node read have one (`instance`), else "/". */
const targetOf = (raw: Buffer | undefined): string => {
  const line = raw?.subarray(0, 2_048).toString("latin1").split("\r\n", 1)[0] ?? ""
  const target = /^[A-Z]+ (\/\S*) HTTP\/1\.[01]$/.exec(line)?.[1]
  return target === undefined ? "/" : target.slice(0, 512)
}

const answer = (socket: Duplex, kind: ProblemKind, detail: string, instance: string) => {
  const { status, title } = problemKinds[kind]
  const body = JSON.stringify({ type: problemType(kind), title, status, detail, instance })
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncache-control: no-store\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}

/** Answers the server's client errors as problem+json where a client can still read them; drops the rest. */
export const answerClientErrors = (server: Server): void => {
  server.on("clientError", (error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    // A reset or a socket already half gone: nobody to answer.
    if (error.code === "ECONNRESET" || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) return void socket.destroy()
    const instance = targetOf(error.rawPacket)
    if (error.code === "HPE_HEADER_OVERFLOW") {
      return answer(socket, "headers-too-large", "The request's headers are over Node's limit (16 KiB unless --max-http-header-size says otherwise).", instance)
    }
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return answer(socket, "request-timeout", "The request did not arrive in time.", instance)
    return answer(socket, "invalid-request", `The request cannot be read as HTTP/1.1 (${error.code ?? error.message}).`, instance)
  })
}

/**
 * What @hono/node-server refuses before it makes a Request (no Host, a bad Host, a backslash in the path, a target
 * that is not a path): its own answer is a bare 400 (found by the HTTP probe). Given to the adaptor as its
 * `errorHandler`, which also gets what the app itself throws (it never should): a 500 problem then.
 */
export const requestErrorAnswer = (error: unknown): Response => {
  const refused = error instanceof Error && error.name === "RequestError"
  const kind: ProblemKind = refused ? "invalid-request" : "internal-error"
  const { status, title } = problemKinds[kind]
  const detail = refused ? `The request cannot be served: ${error.message}.` : "The server failed to answer this request."
  return new Response(JSON.stringify({ type: problemType(kind), title, status, detail }), {
    status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" }
  })
}
