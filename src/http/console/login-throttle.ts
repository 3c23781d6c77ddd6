/**
 * Throttles console logins per client address, against guessing the API key through the login form: after
 * MAX_FAILURES wrong keys within WINDOW_MS, that address gets 429 (with `Retry-After`) until the window ends, and
 * the key is not even compared. A right key clears the address's count. In memory, per process: a restart forgets
 * it, which costs a guesser a restart per few tries. At most MAX_ADDRESSES are tracked (the oldest dropped first).
 * The API's Bearer check (bearer-auth.ts) is not throttled, so this only keeps the form from being the easier way
 * in: what protects the key is its length (README: 32 random bytes).
 *
 * Where the address comes from depends on the runtime (AppOptions.clientAddress); without one, every client shares
 * one count, which still bounds the guessing rate (an attack then also locks the operator out for a minute).
 */
export const MAX_FAILURES = 5
export const WINDOW_MS = 60_000
export const MAX_ADDRESSES = 10_000

export interface LoginThrottle {
  /** Milliseconds until this address may try again, or 0 if it may now. */
  retryAfterMs(address: string): number
  failed(address: string): void
  succeeded(address: string): void
}

interface Entry {
  readonly since: number
  failures: number
}

export const makeLoginThrottle = (now: () => number = Date.now): LoginThrottle => {
  const entries = new Map<string, Entry>()
  const current = (address: string): Entry | undefined => {
    const entry = entries.get(address)
    if (entry !== undefined && now() - entry.since >= WINDOW_MS) {
      entries.delete(address)
      return undefined
    }
    return entry
  }
  return {
    retryAfterMs: (address) => {
      const entry = current(address)
      return entry === undefined || entry.failures < MAX_FAILURES ? 0 : entry.since + WINDOW_MS - now()
    },
    failed: (address) => {
      const entry = current(address)
      if (entry !== undefined) {
        entry.failures++
        return
      }
      if (entries.size >= MAX_ADDRESSES) entries.delete(entries.keys().next().value!)
      entries.set(address, { since: now(), failures: 1 })
    },
    succeeded: (address) => void entries.delete(address)
  }
}
