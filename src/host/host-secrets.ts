/**
 * The host's two keys. The callback-signing secret: the option, else $REPRISE_SECRET, else one kept in the store's
 * metadata (created once, so that callback ids stay valid across restarts). The API key of the management routes:
 * the option, else $REPRISE_API_KEY (unset or empty: none, local development without auth).
 */
import { Context, Effect } from "effect"
import { HostMetadata } from "./host-metadata.ts"

/** Reads an environment variable the runtime's own way (process.env, Deno.env); undefined when unset or unreadable. */
export type EnvReader = (name: string) => string | undefined

export const SECRET_METADATA_KEY = "callback-secret"

/** 32 random bytes as base64url. Web Crypto, not Random: a signing secret must be unpredictable. */
const freshSecret = Effect.sync(() => {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
})

/** The secret the host resolved (resolveSecret), for what else it signs: the console's sessions (host.ts). */
export class HostSecret extends Context.Service<HostSecret, string>()("reprise/host/HostSecret") {}

/**
 * What the console's sessions are signed with beside the API key: $REPRISE_CONSOLE_SECRET and the host's secret.
 * Signed with the key alone, a session cookie (its value and HMAC) let whoever saw one test guesses of the key
 * offline, at the speed of HMAC; with the host's random secret in, it tells nothing about the key.
 */
export const consoleSessionSecret = (hostSecret: string, env: EnvReader): string =>
  `${env("REPRISE_CONSOLE_SECRET") ?? ""}\u0000${hostSecret}`

export const resolveSecret = Effect.fn("Host.resolveSecret")(function*(option: string | undefined, env: EnvReader) {
  const given = option ?? env("REPRISE_SECRET")
  if (given !== undefined) return given
  const metadata = yield* HostMetadata
  return yield* metadata.keep(SECRET_METADATA_KEY, yield* freshSecret)
})

export const resolveApiKey = (option: string | undefined, env: EnvReader): string | undefined => {
  if (option !== undefined) return option
  const key = env("REPRISE_API_KEY")
  return key === "" ? undefined : key
}
