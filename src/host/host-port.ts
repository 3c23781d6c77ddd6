/**
 * The port a server listens on: the option, else $PORT, else 8787 (0 picks a free port). An empty $PORT counts as
 * unset, as an empty $REPRISE_API_KEY does; one that is not a port number is refused at start, naming $PORT (it was
 * passed on as NaN, and the runtime's error named only `options.port`; an empty one listened on a random port).
 */
import type { EnvReader } from "./host-secrets.ts"

export const DEFAULT_PORT = 8787

export const resolvePort = (option: number | undefined, env: EnvReader): number => {
  if (option !== undefined) return option
  const value = env("PORT")?.trim()
  if (value === undefined || value === "") return DEFAULT_PORT
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    throw new TypeError(`PORT must be a port number (0 to 65535), not ${JSON.stringify(value)}`)
  }
  return Number(value)
}

/** The server's URL: an IPv6 hostname in brackets (`http://::1:8787` is no URL; `fetch` refused it). */
export const serverUrl = (hostname: string, port: number): string =>
  `http://${hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname}:${port}`

/**
 * How long a server's open requests and running step bodies get at shutdown before it closes them and the host
 * (Node's and Deno's adapters), unless `shutdownGraceMs` or $REPRISE_SHUTDOWN_GRACE_MS says otherwise.
 */
export const SHUTDOWN_GRACE_MS = 5_000

/** The longest shutdown grace taken: an hour (a platform kills a process long before). */
const MAX_SHUTDOWN_GRACE_MS = 3_600_000

/**
 * The shutdown grace: the option, else $REPRISE_SHUTDOWN_GRACE_MS, else 5 s. Set it below the platform's own
 * (Kubernetes' terminationGracePeriodSeconds, 30 s by default) and above the longest step body that should finish
 * rather than run again at the next start. Anything but a whole number of ms up to an hour is refused at start.
 */
export const resolveShutdownGrace = (option: number | undefined, env: EnvReader): number => {
  const fromEnv = env("REPRISE_SHUTDOWN_GRACE_MS")?.trim()
  const value = option ?? (fromEnv === undefined || fromEnv === "" ? SHUTDOWN_GRACE_MS : /^\d+$/.test(fromEnv) ? Number(fromEnv) : Number.NaN)
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SHUTDOWN_GRACE_MS) {
    const named = option !== undefined ? "shutdownGraceMs" : "REPRISE_SHUTDOWN_GRACE_MS"
    throw new TypeError(`${named} must be a whole number of milliseconds from 0 to ${MAX_SHUTDOWN_GRACE_MS}, not ${JSON.stringify(option ?? fromEnv)}`)
  }
  return value
}
