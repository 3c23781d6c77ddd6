/**
 * `ExecutionClient.watch` for clients with no engine in their process (the Cloudflare Worker, the Lambda HTTP API):
 * read the history again every `intervalMs` and pass on what is past the cursor, until the terminal event.
 * Each event still comes once and in order (the cursor is the last seq passed on); the cost is one history read
 * per interval for each open stream: the whole log the first time (to see an execution that has already ended),
 * then the page after the cursor.
 */
import { Effect, Queue, Stream } from "effect"
import type { LogEvent } from "../log/events.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import type { HistoryPage, ReadFailure } from "./execution-client.ts"

export const DEFAULT_POLL_MS = 500

export const watchByPolling = (
  history: (executionId: string, page?: HistoryPage) => Effect.Effect<ReadonlyArray<LogEvent>, ReadFailure>,
  intervalMs: number = DEFAULT_POLL_MS,
  /** The event after which nothing more is written (default: the log's terminal events). */
  isEnd: (event: LogEvent) => boolean = isTerminalEvent
) =>
(executionId: string, afterSeq: number): Stream.Stream<LogEvent, ReadFailure> =>
  Stream.callback<LogEvent, ReadFailure>((queue) =>
    Effect.gen(function*() {
      let last = afterSeq
      for (let read = 0;; read++) {
        const events = yield* (read === 0 ? history(executionId) : history(executionId, { after: last }))
        for (const event of events) {
          if (event.seq <= last) continue
          last = event.seq
          Queue.offerUnsafe(queue, event)
        }
        const end = events.at(-1)
        if (end !== undefined && isEnd(end)) return yield* Queue.end(queue)
        yield* Effect.sleep(intervalMs)
      }
    })
  )
