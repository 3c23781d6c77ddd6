/**
 * What every Server-Sent Events route shares: `Last-Event-ID` read as a seq, the frames of an execution's watch
 * (each with its seq as `id`, so a reconnect goes on where it stopped), a failure sent as a last `error` frame, a
 * time bound, keep-alive comments, and the response headers.
 */
import { Duration, Effect, Schedule, Stream } from "effect"
import type { ExecutionClient } from "../engine/index.ts"
import type { LogEvent } from "../log/events.ts"
import { mapCause } from "./error-mapping.ts"
import { problemType } from "./problem.ts"

/** The statuses in which an execution may still write. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(["RUNNING", "PAUSED", "QUEUED"])

/** The longest a stream stays open (a reconnect with Last-Event-ID goes on from there). */
export const MAX_EVENT_STREAM_SECONDS = 600
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE = Duration.seconds(15)

/** `Last-Event-ID` when it is a seq; anything else is ignored (as the SSE spec lets a server do). */
export const lastEventId = (header: string | undefined): number | undefined =>
  header !== undefined && /^\d{1,15}$/.test(header.trim()) ? Number(header.trim()) : undefined

export const sseFrame = (id: number | string | undefined, event: string, data: unknown): string =>
  `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

export const streamSeconds = (asked: number | undefined): number => Math.min(asked ?? MAX_EVENT_STREAM_SECONDS, MAX_EVENT_STREAM_SECONDS)

/**
 * An execution's events after `after` as frames (`toFrame` may drop an event by answering undefined); 204 when the
 * execution has ended and nothing it would send is left, which tells EventSource to stop reconnecting.
 */
export const watchResponse = Effect.fn("watchResponse")(function*(
  client: ExecutionClient["Service"],
  executionId: string,
  after: number,
  seconds: number,
  toFrame: (event: LogEvent) => string | undefined
) {
  // Unknown executions are a 404 before anything streams.
  const view = yield* client.describe(executionId)
  // Only an ended execution may answer 204: a paused or queued one writes again later, and EventSource stops for good.
  if (!LIVE_STATUSES.has(view.status)) {
    const events = yield* client.history(executionId)
    if (!events.some((event) => event.seq > after && toFrame(event) !== undefined)) return new Response(null, { status: 204 })
  }
  const frames = client.watch(executionId, after).pipe(
    Stream.map(toFrame),
    Stream.filter((frame): frame is string => frame !== undefined)
  )
  return sseResponse(frames, seconds)
})

/** A stream of frames as an SSE response: a failure is its last frame, bounded in time, kept alive. */
export const sseResponse = <E>(frames: Stream.Stream<string, E>, seconds: number): Response => {
  const events = frames.pipe(
    // A failure after the stream began is its last event: the problem's type and detail.
    Stream.catchCause((cause) => {
      const problem = mapCause(cause)
      return Stream.succeed(sseFrame(undefined, "error", { type: problemType(problem.kind), detail: problem.detail }))
    }),
    Stream.interruptWhen(Effect.sleep(Duration.seconds(seconds)))
  )
  const keepAlive = Stream.fromSchedule(Schedule.spaced(KEEP_ALIVE)).pipe(Stream.map(() => ": keep-alive\n\n"))
  const body = Stream.merge(events, keepAlive, { haltStrategy: "left" }).pipe(Stream.encodeText)
  return new Response(Stream.toReadableStream(body), {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
}
