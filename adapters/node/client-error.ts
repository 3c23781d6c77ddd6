/**
 * What Node's HTTP server answers itself, before any route sees the request: headers over its limit (16 KiB by
 * default), requests it cannot parse, an `Expect` other than 100-continue and a CONNECT. Node's own answer is a bare
 * `431`, `400` or `417` with no body, or for CONNECT none (the connection is cut); the API answers every error as
 * problem+json (src/http/problem.ts), so these are written here.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http"
import type { Duplex } from "node:stream"
import { problemKinds, problemType, type ProblemKind } from "reprise/http"

/** The request line's target, when the bytes Node read have one (`instance`), else "/". */
const targetOf = (raw: Buffer | undefined): string => {
  const line = raw?.subarray(0, 2_048).toString("latin1").split("\r\n", 1)[0] ?? ""
  const target = /^[A-Z]+ (\/\S*) HTTP\/1\.[01]$/.exec(line)?.[1]
  return target === undefined ? "/" : target.slice(0, 512)
}

const problemBody = (kind: ProblemKind, detail: string, instance: string) => {
  const { status, title } = problemKinds[kind]
  return { status, title, body: JSON.stringify({ type: problemType(kind), title, status, detail, instance }) }
}

/** A request's path as `instance` (bounded: it is the client's text). */
const pathOf = (request: IncomingMessage): string => (request.url?.startsWith("/") === true ? request.url.slice(0, 512) : "/")

/** The answer on a response Node made (the connection closes after it: the body, if any, is not read). */
const respond = (response: ServerResponse, kind: ProblemKind, detail: string, instance: string) => {
  const { body, status } = problemBody(kind, detail, instance)
  response.writeHead(status, { "content-type": "application/problem+json", "cache-control": "no-store", "content-length": Buffer.byteLength(body), connection: "close" })
  response.end(body)
}

const answer = (socket: Duplex, kind: ProblemKind, detail: string, instance: string) => {
  const { body, status, title } = problemBody(kind, detail, instance)
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncache-control: no-store\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
}

/** Answers the server's client errors as problem+json where a client can still read them; drops the rest. */
export const answerClientErrors = (server: Server): void => {
  server.on("clientError", (error: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    // A reset or a socket already half gone: nobody to answer. A request whose answer has begun cannot be answered
    // again; one cut off while its body arrived (the request timeout) has none begun yet, so it is told 408, as
    // Node's own handler tells it. Its answer's headers, not the socket's bytes: a kept-alive connection's earlier
    // answers wrote those.
    const { _httpMessage: answering } = socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null }
    const untouched = error.code === "ERR_HTTP_REQUEST_TIMEOUT" && answering?.headersSent !== true
    if (error.code === "ECONNRESET" || !socket.writable || (answering != null && !untouched)) return void socket.destroy()
    const instance = targetOf(error.rawPacket)
    if (error.code === "HPE_HEADER_OVERFLOW") {
      return answer(socket, "headers-too-large", "The request's headers are over Node's limit (16 KiB unless --max-http-header-size says otherwise).", instance)
    }
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return answer(socket, "request-timeout", "The request did not arrive in time.", instance)
    return answer(socket, "invalid-request", `The request cannot be read as HTTP/1.1 (${error.code ?? error.message}).`, instance)
  })
  // Node answers any other expectation with a bare 417 (RFC 9110 §10.1.1); 100-continue is Node's own.
  server.on("checkExpectation", (request: IncomingMessage, response: ServerResponse) =>
    respond(response, "expectation-failed", `Expect: ${JSON.stringify(request.headers.expect?.slice(0, 100))} is not supported; only 100-continue is`, pathOf(request)))
  // Without a listener Node cuts a CONNECT's connection without a word: say that this is no proxy.
  server.on("connect", (_request: IncomingMessage, socket: Duplex) => {
    if (socket.writable) answer(socket, "invalid-request", "CONNECT is not served: this server is not a proxy.", "/")
    else socket.destroy()
  })
}

/**
 * The request the adaptor's listener is running for, only while it runs synchronously: the adaptor refuses a request
 * it cannot make a Request of in that same run, so requestErrorAnswer can name its path (`instance`).
 */
let reading: IncomingMessage | undefined

/**
 * The adaptor's listener, refusing a request with more than one Host header (RFC 9112 §3.2: a 400), which Node would
 * pass on with the first one: the Host check (src/http/allowed-hosts.ts) and a proxy in front could read different
 * names.
 */
export const guardedListener = (listener: RequestListener): RequestListener => (request, response) => {
  const raw = request.rawHeaders
  let hosts = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === "host") hosts++
  if (hosts > 1) return respond(response, "invalid-request", "The request has more than one Host header.", pathOf(request))
  reading = request
  try {
    return listener(request, response)
  } finally {
    reading = undefined
  }
}

/**
 * What @hono/node-server refuses before it makes a Request (no Host, a bad Host, a backslash in the path, a target
 * that is not a path): its own answer is a bare 400 (found by the HTTP probe). Given to the adaptor as its
 * `errorHandler`, which also gets what the app itself throws (it never should): a 500 problem then.
 */
export const requestErrorAnswer = (error: unknown): Response => {
  const refused = error instanceof Error && error.name === "RequestError"
  const kind: ProblemKind = refused ? "invalid-request" : "internal-error"
  const detail = refused ? `The request cannot be served: ${error.message}.` : "The server failed to answer this request."
  const { body, status } = problemBody(kind, detail, reading === undefined ? "/" : pathOf(reading))
  return new Response(body, {
    status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" }
  })
}
