/**
 * What every Server-Sent Events route shares: `Last-Event-ID` read as a seq, the frames of an execution's watch
 * (each with its seq as `id`, so a reconnect goes on where it stopped), a failure sent as a last `error` frame, a
 * time bound, keep-alive comments, and the response headers.
 */
import { Clock, Duration, Effect, Schedule, Stream } from "effect"
import { type ExecutionClient, isLiveStatus } from "../engine/index.ts"
import type { LogEvent } from "../log/events.ts"
import { abortedBy } from "./aborted-by.ts"
import { mapCause } from "./error-mapping.ts"
import { HttpProblem, problemType } from "./problem.ts"

/** The longest a stream stays open (a reconnect with Last-Event-ID goes on from there). */
export const MAX_EVENT_STREAM_SECONDS = 600
/**
 * Where responses are buffered (AppOptions.bufferedResponses: Lambda's HTTP API) a stream is a long poll: it ends
 * once it has sent something and nothing more came for QUIET_MS, or after BUFFERED_MAX_SECONDS (under API
 * Gateway's 29 s), and the client reconnects with Last-Event-ID as after any close.
 */
export const BUFFERED_MAX_SECONDS = 20
const QUIET_MS = 300

export interface StreamOptions {
  /** How long the stream may stay open (the client's `maxSeconds`, capped). */
  readonly seconds: number
  /** The platform sends the response only once it is complete: answer as a long poll. */
  readonly buffered?: boolean | undefined
  /** Aborted when the server shuts down: the stream ends then (its client reconnects with Last-Event-ID). */
  readonly closing?: AbortSignal | undefined
}

/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE = Duration.seconds(15)

/**
 * `Last-Event-ID` as a seq (the ids this server sends); undefined when absent or empty (EventSource's reset). Any
 * other value is refused: ignored, it replayed the whole stream to a client that had some of it (the HTTP probe),
 * where `?cursor=` with the same value is a 400.
 */
export const lastEventId = (header: string | undefined): Effect.Effect<number | undefined, HttpProblem> => {
  const value = header?.trim() ?? ""
  if (value === "") return Effect.succeed(undefined)
  if (/^\d{1,15}$/.test(value)) return Effect.succeed(Number(value))
  return Effect.fail(new HttpProblem({ kind: "invalid-request", detail: `Invalid Last-Event-ID: expected the seq of the last event received (1-15 digits), got ${JSON.stringify(value.slice(0, 64))}` }))
}

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
  options: StreamOptions,
  toFrame: (event: LogEvent) => string | undefined
) {
  // Unknown executions are a 404 before anything streams.
  const view = yield* client.describe(executionId)
  // Only an ended execution may answer 204: a paused or queued one writes again later, and EventSource stops for good.
  if (!isLiveStatus(view.status)) {
    const events = yield* client.history(executionId)
    if (!events.some((event) => event.seq > after && toFrame(event) !== undefined)) return new Response(null, { status: 204 })
  }
  const frames = client.watch(executionId, after).pipe(
    Stream.map(toFrame),
    Stream.filter((frame): frame is string => frame !== undefined)
  )
  return sseResponse(frames, options)
})

/** Ends `stream` once it has sent something and then nothing for `quietMs`: a long poll's answer. */
const endWhenQuiet = <A, E>(stream: Stream.Stream<A, E>, quietMs: number): Stream.Stream<A, E> =>
  Stream.suspend(() => {
    let last: number | undefined
    const quiet = Effect.gen(function*() {
      for (;;) {
        yield* Effect.sleep(Duration.millis(50))
        if (last !== undefined && (yield* Clock.currentTimeMillis) - last >= quietMs) return
      }
    })
    return stream.pipe(
      Stream.tap(() => Effect.map(Clock.currentTimeMillis, (now) => void (last = now))),
      Stream.interruptWhen(quiet)
    )
  })

/** A stream of frames as an SSE response: a failure is its last frame, bounded in time, kept alive. */
export const sseResponse = <E>(frames: Stream.Stream<string, E>, options: StreamOptions): Response => {
  const seconds = options.buffered === true ? Math.min(options.seconds, BUFFERED_MAX_SECONDS) : options.seconds
  const events = (options.buffered === true ? endWhenQuiet(frames, QUIET_MS) : frames).pipe(
    // A failure after the stream began is its last event: the problem's type and detail.
    Stream.catchCause((cause) => {
      const problem = mapCause(cause)
      return Stream.succeed(sseFrame(undefined, "error", { type: problemType(problem.kind), detail: problem.detail }))
    }),
    Stream.interruptWhen(
      options.closing === undefined ? Effect.sleep(Duration.seconds(seconds)) : Effect.raceFirst(Effect.sleep(Duration.seconds(seconds)), abortedBy(options.closing))
    )
  )
  // Buffered: nobody sees a keep-alive before the end, so none is sent.
  const keepAlive = Stream.fromSchedule(Schedule.spaced(KEEP_ALIVE)).pipe(Stream.map(() => ": keep-alive\n\n"))
  const body = (options.buffered === true ? events : Stream.merge(events, keepAlive, { haltStrategy: "left" })).pipe(Stream.encodeText)
  return new Response(Stream.toReadableStream(body), {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" }
  })
}
