/**
 * The CLI's HTTP client for the Reprise API, and the errors it turns failures into: one line each, with an exit
 * code per kind, so scripts can tell "cannot connect" from "no such execution".
 */

/** Exit codes of the `reprise` command. */
export const EXIT = {
  ok: 0,
  /** The API refused the request (400, 409 …), the server failed, or `start --wait` ended not SUCCEEDED. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** The server cannot be reached (refused, unknown host, timed out). */
  unreachable: 3,
  /** 401: no key, or the wrong one. */
  unauthorized: 4,
  /** 404: no such execution, function or callback. */
  notFound: 5,
  /** `start --wait --timeout`: the execution was still running when the timeout passed. */
  stillRunning: 6
} as const

export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode: number) {
    super(message.replace(/\s*\n\s*/g, " "))
    this.exitCode = exitCode
  }
}

/** How every command ends on an error: one line on stderr and the exit code (a CliError's own, else `failed`). */
export const reportError = (error: unknown, io: { err(line: string): void }): number => {
  if (error instanceof CliError) {
    io.err(`reprise: ${error.message}`)
    return error.exitCode
  }
  io.err(`reprise: unexpected error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`)
  return EXIT.failed
}

export interface ClientOptions {
  readonly url: string
  /** Where `url` came from, as messages about it name it (default "--url"): "REPRISE_URL", "--from". */
  readonly urlFrom?: string | undefined
  readonly apiKey?: string | undefined
  /** Per request (default 30 s, plus the server-side wait of a request that asks for one). */
  readonly timeoutMs?: number
}

/** A successful answer: its JSON body, status and headers. */
export interface Answer<A> {
  readonly body: A
  readonly status: number
  readonly headers: Headers
}

export interface Client {
  readonly url: string
  request<A>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<A>
  /** As `request`, with the answer's HTTP status and headers (a start answers 201 when it created the execution). */
  exchange<A>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Answer<A>>
  /** A GET whose body is read as it comes (Server-Sent Events); failures as `request`'s, 204 answered as it is. */
  open(path: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>
}

/** The server a command talks to, named by where it came from: --url, else $REPRISE_URL, else the local default. */
export const serverOption = (url: string | undefined, env: Readonly<Record<string, string | undefined>>): Pick<ClientOptions, "url" | "urlFrom"> =>
  url !== undefined
    ? { url, urlFrom: "--url" }
    : env.REPRISE_URL !== undefined
    ? { url: env.REPRISE_URL, urlFrom: "REPRISE_URL" }
    : { url: "http://127.0.0.1:8787" }

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "host name lookup failed",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "the connection closed"
}

const networkReason = (error: unknown): string => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  const code = typeof cause?.code === "string" ? cause.code : undefined
  if (code !== undefined) return NETWORK_CODES[code] ?? code
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "no answer in time"
  return typeof cause?.message === "string" ? cause.message : String(error)
}

/**
 * The server's URL, checked: http(s), with no user name or password (the API key goes in --api-key; the URL is
 * echoed in messages, a password in it would be too) and no query or fragment (paths are appended to it).
 */
const serverUrl = (text: string, from: string): URL => {
  // Never echoed when it may hold credentials.
  const shown = text.includes("@") ? "" : ` ${JSON.stringify(text)}`
  let base: URL
  try {
    base = new URL(text)
  } catch {
    throw new CliError(`${from}${shown} is not an http(s) URL`, EXIT.usage)
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new CliError(`${from}${shown} is not an http(s) URL`, EXIT.usage)
  if (base.username !== "" || base.password !== "") {
    throw new CliError(`${from} must not hold a user name or password: give the API key with --api-key or REPRISE_API_KEY`, EXIT.usage)
  }
  if (base.search !== "" || base.hash !== "" || /[?#]/.test(base.href)) {
    throw new CliError(`${from}${shown} must not have a query or a fragment: give the server's address (http://host:port, or a path prefix)`, EXIT.usage)
  }
  return base
}

export const makeClient = (options: ClientOptions): Client => {
  const base = serverUrl(options.url, options.urlFrom ?? "--url")
  const root = base.href.replace(/\/+$/, "")
  const timeoutMs = options.timeoutMs ?? 30_000

  const send = async (method: "GET" | "POST" | "DELETE", path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal) => {
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`
    if (body !== undefined) headers["content-type"] = "application/json"
    try {
      return await fetch(root + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal })
    } catch (error) {
      throw new CliError(`cannot reach Reprise at ${root}: ${networkReason(error)}`, EXIT.unreachable)
    }
  }

  const exchange = async <A>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Answer<A>> => {
    const response = await send(method, path, { accept: "application/json" }, body, AbortSignal.timeout(timeoutMs))
    return { body: await answer<A>(response), status: response.status, headers: response.headers }
  }
  const request = async <A>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<A> => (await exchange<A>(method, path, body)).body

  const open = async (path: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> => {
    const response = await send("GET", path, { accept: "text/event-stream", ...headers }, undefined, signal ?? new AbortController().signal)
    if (response.ok) return response
    // A proxy before a server that restarts, or the server shutting down: not reached, so a follower tries again.
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      await response.body?.cancel()
      throw new CliError(`${root} answered HTTP ${response.status}: not serving now (restarting?)`, EXIT.unreachable)
    }
    return answer(response) // throws the problem as a CliError
  }

  const answer = async <A>(response: Response): Promise<A> => {
    const text = await response.text()
    let json: unknown
    try {
      json = text === "" ? undefined : JSON.parse(text)
    } catch {
      // A --url copied from the browser (…/console) reaches the console's pages, which are no API.
      const page = base.pathname.replace(/\/+$/, "") === "" ? "" : ` (--url is the server's address, or the path prefix it is served under, not one of its pages: ${base.origin}?)`
      throw new CliError(`${root} answered HTTP ${response.status} with something other than JSON: is it a Reprise server?${page}`, EXIT.failed)
    }
    if (response.ok) return json as A
    const problem = (json ?? {}) as { title?: unknown; detail?: unknown }
    const detail = typeof problem.detail === "string" ? problem.detail : typeof problem.title === "string" ? problem.title : `HTTP ${response.status}`
    if (response.status === 401) {
      throw new CliError(
        options.apiKey === undefined
          ? `unauthorized: ${root} needs an API key (--api-key or REPRISE_API_KEY)`
          : `unauthorized: ${root} did not accept the API key (--api-key or REPRISE_API_KEY)`,
        EXIT.unauthorized
      )
    }
    if (response.status === 404) throw new CliError(`not found: ${detail}`, EXIT.notFound)
    throw new CliError(`${typeof problem.title === "string" ? problem.title : `HTTP ${response.status}`}: ${detail}`, EXIT.failed)
  }
  return { url: root, request, exchange, open }
}
