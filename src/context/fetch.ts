/**
 * `ctx.fetch(name?, url, config?)` (AWS's newer SDK): an HTTP request made durably. Reprise makes it as a step of
 * subtype Fetch: the exchange is recorded, so a replay returns it without sending the request again. Any HTTP
 * status is a response; only a transport failure or the timeout rejects (FetchError), and neither is retried.
 * The request is recorded beside the response (for the history), without its credentials.
 */
import { type Begun, type ContextCore } from "./context-core.ts"
import type { Duration } from "./duration.ts"
import { ConfigurationError, FetchError, revived } from "./errors.ts"
import type { DurableContextLogger } from "./logger.ts"
import { runStep } from "./step.ts"
import { stepTimeoutMillis } from "./step-timeout.ts"

export interface FetchConfig {
  /** GET by default. */
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  /** The longest the exchange may take, response body included (up to 24 days); then FetchError. */
  readonly timeout?: Duration
}

export interface FetchResponse {
  readonly status: number
  /** Status 200 to 299. */
  readonly ok: boolean
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  /** The body as UTF-8 text. */
  readonly body: string
}

/** How requests go out: the runtime's `fetch` by default; the test runner and the host take another. */
export type FetchTransport = (url: string, init: RequestInit) => Promise<Response>

/** Headers whose values never reach the log. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization"])
const REDACTED = "[redacted]"

/** What the log keeps of the request. */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
}

/** The request as recorded: credential headers replaced (a URL with credentials is refused by checkFetch). */
export const recordedRequest = (method: string, url: URL, headers: Readonly<Record<string, string>>): RecordedRequest => {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) kept[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value
  return { method, url: url.href, headers: kept }
}

/** The values of the credential headers, to keep out of a recorded error too. */
const secretsOf = (headers: Readonly<Record<string, string>>): ReadonlyArray<string> =>
  Object.entries(headers).filter(([name, value]) => SECRET_HEADERS.has(name.toLowerCase()) && value !== "").map(([, value]) => value)

/**
 * The transport's error, as it will be recorded: when a credential shows in its message, stack or causes (a
 * transport may quote the request), a copy with it replaced, keeping names and messages.
 */
const scrubbed = (error: unknown, secrets: ReadonlyArray<string>, depth = 0): unknown => {
  if (secrets.length === 0 || !(error instanceof Error) || depth > 8) return error
  const scrub = (text: string) => secrets.reduce((acc, secret) => acc.split(secret).join(REDACTED), text)
  const leaks = (e: unknown, d: number): boolean =>
    e instanceof Error && d <= 8 && (secrets.some((s) => e.message.includes(s) || (e.stack ?? "").includes(s)) || leaks(e.cause, d + 1))
  if (!leaks(error, depth)) return error
  const copy = new Error(scrub(error.message), error.cause === undefined ? undefined : { cause: scrubbed(error.cause, secrets, depth + 1) })
  copy.name = error.name
  copy.stack = scrub(error.stack ?? "")
  return copy
}

/** The argument checks, before anything is recorded: a clear error for a URL or config that cannot work. */
export const checkFetch = (url: unknown, config: FetchConfig | undefined): { readonly url: URL; readonly timeoutMs: number | undefined } => {
  if (typeof url !== "string") throw new ConfigurationError(`fetch needs a URL string, got ${typeof url}`)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigurationError(`fetch needs an absolute URL, got ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigurationError(`fetch supports http and https URLs, got ${JSON.stringify(parsed.protocol)}`)
  }
  // Not echoed: the URL holds a password. Credentials go in the authorization header, which is never recorded.
  if (parsed.username !== "" || parsed.password !== "") {
    throw new ConfigurationError("fetch's URL must not carry credentials: send them in the authorization header")
  }
  if (config?.body !== undefined && typeof config.body !== "string") {
    throw new ConfigurationError(`fetch's body must be a string, got ${typeof config.body}`)
  }
  for (const [name, value] of Object.entries(config?.headers ?? {})) {
    if (typeof value !== "string") throw new ConfigurationError(`fetch's header ${JSON.stringify(name)} must be a string, got ${typeof value}`)
  }
  return { url: parsed, timeoutMs: stepTimeoutMillis(config?.timeout) }
}

interface Exchange {
  readonly request: RecordedRequest
  readonly response: FetchResponse
}

export const runFetch = async (
  core: ContextCore,
  begun: Begun,
  checked: ReturnType<typeof checkFetch>,
  config: FetchConfig | undefined,
  transport: FetchTransport,
  logger: (attempt: number) => DurableContextLogger
): Promise<FetchResponse> => {
  const method = (config?.method ?? "GET").toUpperCase()
  const headers = config?.headers ?? {}
  const exchange = await runStep<Exchange>(core, begun, {
    name: begun.ref.name,
    timeoutMs: checked.timeoutMs,
    // A failed exchange is not sent again: the request may have had effects (AWS's service does not retry it either).
    retryStrategy: () => ({ shouldRetry: false }),
    logger,
    finalError: (error) => revived(FetchError, error),
    fn: async ({ signal }) => {
      let response: Response
      let body: string
      try {
        response = await transport(checked.url.href, {
          method,
          headers,
          ...(config?.body === undefined ? {} : { body: config.body }),
          signal,
          redirect: "follow"
        })
        body = await response.text()
      } catch (error) {
        throw scrubbed(error, secretsOf(headers))
      }
      const responseHeaders: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value
      })
      return {
        request: recordedRequest(method, checked.url, headers),
        response: { status: response.status, ok: response.status >= 200 && response.status < 300, headers: responseHeaders, body }
      }
    }
  })
  return exchange.response
}
