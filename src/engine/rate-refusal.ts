/**
 * A refusing rate limit (`whenLimited: "refuse"`, docs/flow-control.md): a new start is refused while the starts in
 * its key's window plus the key's queued executions (each takes a place in a window when it leaves the queue) reach
 * the limit. Shared by the engine's flow control and Cloudflare's FlowObject; PostgreSQL decides the same in SQL.
 */

/**
 * When a new start fits, or undefined when it fits now: once the window (start times within the period, oldest
 * first) holds at most limit - queued - 1 starts; a whole period on when the queued alone reach the limit.
 */
export const rateRefusedUntil = (window: ReadonlyArray<number>, queued: number, limit: number, periodMs: number, now: number): number | undefined => {
  if (window.length + queued < limit) return undefined
  return queued >= limit ? now + periodMs : window[window.length - (limit - queued)]! + periodMs
}
