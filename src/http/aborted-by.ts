/**
 * The server's shutdown as an Effect, for what waits on a client's behalf (an event stream, a start's `?wait`):
 * each ends when the host starts to close, and answers what it has rather than being cut off.
 */
import { Effect } from "effect"

/** Completes once `signal` is aborted (at once if it already is). */
export const abortedBy = (signal: AbortSignal): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (signal.aborted) return resume(Effect.void)
    const onAbort = () => resume(Effect.void)
    signal.addEventListener("abort", onAbort, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", onAbort))
  })
