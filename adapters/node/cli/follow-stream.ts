/**
 * How the CLI follows an execution live: a Server-Sent Events route of the API (…/events or …/emissions), read as
 * it comes, reconnected with Last-Event-ID whenever the server closes it (its time bound, a restart) until the
 * server answers 204: the execution has ended and nothing is left after the last frame seen. No polling.
 */
import { CliError, type Client, EXIT } from "./client.ts"

export interface SseFrame {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
}

/** The frames of one SSE response, comments (keep-alives) skipped. */
export async function* sseFrames(response: Response): AsyncGenerator<SseFrame> {
  if (response.body === null) return
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ""
  try {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end < 0) {
        const chunk = await reader.read()
        if (chunk.done) return
        buffer += chunk.value
        continue
      }
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const fields = new Map<string, string>()
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue
        const colon = line.indexOf(":")
        const name = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "")
        fields.set(name, name === "data" && fields.has("data") ? `${fields.get("data")}\n${value}` : value)
      }
      if (fields.has("data")) yield { id: fields.get("id"), event: fields.get("event"), data: fields.get("data")! }
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}

/** The wait before reconnecting doubles from this after each failed connection (the server restarting) … */
const FIRST_BACKOFF_MS = 200
/** … up to this, so a server back after a long restart is seen within a few seconds. */
const MAX_BACKOFF_MS = 3_000
/**
 * How long the server may stay unreachable before following gives up, when the deadline is further off (or none:
 * `start --wait` without --timeout): a bound for a loop that would otherwise retry forever.
 */
export const MAX_OUTAGE_MS = 10 * 60_000

/** The wait before the next connection after `failures` failed ones in a row. */
export const backoffMs = (failures: number): number => Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(failures - 1, 16))

/**
 * Follows `path` until the execution has ended ("ended") or the deadline passed ("timeout"), handing each frame to
 * `onFrame` once (the next frame waits for the promise it returns, if any). An `error` frame (the server failed
 * mid-stream) is thrown as a CliError. A server that cannot be reached (restarting) is tried again with a capped
 * backoff until the deadline, or MAX_OUTAGE_MS without an answer.
 */
export const followStream = async (
  client: Client,
  path: string,
  deadline: number,
  onFrame: (frame: SseFrame) => void | Promise<void>
): Promise<"ended" | "timeout"> => {
  let lastId: string | undefined
  let failures = 0
  let unreachableSince: number | undefined
  for (;;) {
    const left = deadline - Date.now()
    if (left <= 0) return "timeout"
    const maxSeconds = Math.max(1, Math.min(600, Math.ceil(left / 1000)))
    const controller = new AbortController()
    // No deadline (start --wait without --timeout): each connection lasts the server's bound, then reconnects.
    const timer = Number.isFinite(left) ? setTimeout(() => controller.abort(), left + 1000) : undefined
    try {
      const response = await client.open(`${path}?maxSeconds=${maxSeconds}`, lastId === undefined ? {} : { "last-event-id": lastId }, controller.signal)
      if (response.status === 204) return "ended"
      failures = 0
      unreachableSince = undefined
      for await (const frame of sseFrames(response)) {
        if (frame.event === "error") {
          const problem = JSON.parse(frame.data) as { detail?: string }
          throw new CliError(`the server failed while streaming: ${problem.detail ?? frame.data}`, EXIT.failed)
        }
        if (frame.id !== undefined) lastId = frame.id
        await onFrame(frame)
      }
    } catch (error) {
      if (error instanceof CliError && error.exitCode !== EXIT.unreachable) throw error
      if (controller.signal.aborted) return "timeout"
      const now = Date.now()
      unreachableSince ??= now
      if (now - unreachableSince >= MAX_OUTAGE_MS) {
        throw error instanceof CliError ? error : new CliError(`the stream broke: ${String(error)}`, EXIT.unreachable)
      }
      // Never past the deadline: the loop's next turn then answers "timeout".
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(backoffMs(++failures), deadline - now))))
    } finally {
      clearTimeout(timer)
    }
  }
}
