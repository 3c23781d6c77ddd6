/**
 * How long a client may take to send a request: its headers, and the whole request with its body. The callback
 * routes need no key (the callback id is the credential), so anyone who reaches the port could otherwise hold
 * connections open by sending slowly (Node's own limits are 60 s and 300 s). Neither bounds the answer: a start's
 * `?wait` holds its response, not its request, for up to 60 s.
 */
import type { EnvReader } from "./host-secrets.ts"

/** The time to send a request's headers, unless `headersTimeoutMs` or $REPRISE_HEADERS_TIMEOUT_MS says otherwise. */
export const HEADERS_TIMEOUT_MS = 10_000

/** The time to send a whole request, body included, unless `requestTimeoutMs` or $REPRISE_REQUEST_TIMEOUT_MS says otherwise. */
export const REQUEST_TIMEOUT_MS = 30_000

/** The longest either may be: an hour (a proxy in front that bounds them itself can take the bound this high). */
const MAX_TIMEOUT_MS = 3_600_000

export interface RequestTimeouts {
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
}

/** The option, else the variable, else the default; anything but a whole number of ms from 1 to an hour is refused. */
const resolveOne = (option: number | undefined, optionName: string, envName: string, env: EnvReader, fallback: number): number => {
  const fromEnv = env(envName)?.trim()
  const value = option ?? (fromEnv === undefined || fromEnv === "" ? fallback : /^\d+$/.test(fromEnv) ? Number(fromEnv) : Number.NaN)
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    const named = option !== undefined ? optionName : envName
    throw new TypeError(`${named} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, not ${JSON.stringify(option ?? fromEnv)}`)
  }
  return value
}

/** The request timeout alone, for a server that cannot bound the headers (Deno.serve has no such setting). */
export const resolveRequestTimeout = (option: number | undefined, env: EnvReader): number =>
  resolveOne(option, "requestTimeoutMs", "REPRISE_REQUEST_TIMEOUT_MS", env, REQUEST_TIMEOUT_MS)

/**
 * The two timeouts, refused at start when bad. The headers' default is at most the request's (the headers are part
 * of the request: Node refuses a headers timeout above the request timeout, and so does this, naming both).
 */
export const resolveRequestTimeouts = (options: Partial<RequestTimeouts>, env: EnvReader): RequestTimeouts => {
  const requestTimeoutMs = resolveRequestTimeout(options.requestTimeoutMs, env)
  const headersTimeoutMs = resolveOne(options.headersTimeoutMs, "headersTimeoutMs", "REPRISE_HEADERS_TIMEOUT_MS", env, Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs))
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new TypeError(`the headers timeout (${headersTimeoutMs} ms) must not be longer than the request timeout (${requestTimeoutMs} ms): the headers are part of the request`)
  }
  return { headersTimeoutMs, requestTimeoutMs }
}
