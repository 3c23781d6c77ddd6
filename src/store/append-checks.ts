/**
 * The rules of an append, the same for every store (the conformance kit checks them): a store reads the log's head,
 * asks `checkAppend`, and writes the batch and the returned summary in the same atomic operation as the read.
 */
import { Result } from "effect"
import type { LogEvent } from "../log/events.ts"
import { LogCorrupted } from "../log/log-corrupted.ts"
import { isTerminalEvent } from "../log/terminal-event.ts"
import { type ExecutionSummary, summarize } from "./execution-summary.ts"
import { SeqConflict } from "./store-errors.ts"

/** What a store keeps of a log to check an append: its last seq (0: no such execution) and its summary. */
export interface LogHead {
  readonly seq: number
  readonly summary: ExecutionSummary | undefined
}

/** The head of an execution that does not exist. */
export const EMPTY_HEAD: LogHead = { seq: 0, summary: undefined }

/**
 * Checks a batch against the log's head:
 * - the log is at `expectedSeq` (else SeqConflict: another writer got there first, or the execution is missing);
 * - the batch is numbered expectedSeq + 1, expectedSeq + 2 …, a new log starts with ExecutionStarted and no other
 *   event is ExecutionStarted;
 * - nothing follows a terminal event, whether already in the log or earlier in the batch, but an ExecutionRewound,
 *   and that only after the end of a FAILED, TIMED_OUT or STOPPED execution (design.md §3).
 * Every other refusal is LogCorrupted (the batch would make a log that cannot be read back). On success, the summary
 * after the batch: the very `head.summary` object when the batch leaves it unchanged, so the store can skip
 * rewriting its listing index.
 */
export const checkAppend = (
  executionId: string,
  head: LogHead,
  events: ReadonlyArray<LogEvent>,
  expectedSeq: number
): Result.Result<ExecutionSummary, SeqConflict | LogCorrupted> => {
  if (head.seq !== expectedSeq) return Result.fail(new SeqConflict({ executionId, expectedSeq, actualSeq: head.seq }))
  const refuse = (seq: number, reason: string) => Result.fail(new LogCorrupted({ executionId, seq, reason: `refusing to write ${reason}` }))
  const ended = head.summary !== undefined && head.summary.endedAt !== undefined
  if (ended && events[0]?._tag !== "ExecutionRewound") {
    return refuse(expectedSeq + 1, `after the end of the execution (it is ${head.summary!.status})`)
  }
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!
    const seq = expectedSeq + i + 1
    if (event.seq !== seq) return refuse(seq, `event seq ${event.seq} at position ${seq}`)
    if ((event._tag === "ExecutionStarted") !== (seq === 1)) {
      return refuse(seq, seq === 1 ? "a log that does not start with ExecutionStarted" : "a second ExecutionStarted")
    }
    if (i < events.length - 1 && isTerminalEvent(event) && events[i + 1]!._tag !== "ExecutionRewound") {
      return refuse(seq + 1, `an event after ${event._tag}`)
    }
    if (event._tag === "ExecutionRewound") {
      const endedBefore = i === 0 ? ended : isTerminalEvent(events[i - 1]!)
      const status = i === 0 ? head.summary?.status : events[i - 1]!._tag
      if (!endedBefore || status === "SUCCEEDED" || status === "CONTINUED_AS_NEW" || status === "ExecutionSucceeded" || status === "ExecutionContinuedAsNew") {
        return refuse(seq, "an ExecutionRewound that does not follow the end of a FAILED, TIMED_OUT or STOPPED execution")
      }
    }
  }
  const summary = summarize(head.summary, events)
  return summary === undefined ? refuse(1, "a log that does not start with ExecutionStarted") : Result.succeed(summary)
}
