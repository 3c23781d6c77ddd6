/**
 * Conformance: a FAILED or STOPPED execution's summary and listed row say why it ended (the error's type and the
 * start of its message, execution-summary.ts's summaryError); a rewind takes that away with the end, and the next
 * end brings its own.
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { checkEqual, listAll } from "./conformance-checks.ts"
import { executionStarted, executionSucceeded, freshId, steps, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"

const failed = (seq: number, at: number, errorType: string, errorMessage: string): LogEvent => ({
  _tag: "ExecutionFailed",
  seq,
  at,
  error: { errorType, errorMessage, errorData: JSON.stringify({ sku: "kettle" }), stackTrace: ["at charge (shop.ts:1:1)"] }
})

const rewound = (seq: number, at: number): LogEvent => ({ _tag: "ExecutionRewound", seq, at, fromOperation: "2", timeoutAt: at + 60_000 })

export const endErrors = {
  name: "a failed or stopped execution's summary and listed row carry its error's type and message (cut); a rewind clears them",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const functionName = freshId("fn-end-errors")
    const start = (label: string, at: number) => {
      const id = freshId(label)
      return Effect.as(store.append(id, [executionStarted(id, { functionName, at }), ...steps(2, 1, at + 1)], 0), id)
    }
    const errorOf = (id: string) => Effect.map(store.summary(id), (summary) => summary?.error)
    const listed = Effect.map(listAll(store, { functionName }), (rows) => rows.map((row) => [row.executionId, row.status, row.error]))

    // A message of 201 code points (the last two outside the BMP) is cut to 199 and "…"; the type is kept whole.
    const long = `${"x".repeat(198)}😀😀😀`
    const declined = yield* start("declined", t(1))
    yield* store.append(declined, [failed(3, t(2), "CardDeclined", long)], 2)
    const cut = { errorType: "CardDeclined", errorMessage: `${"x".repeat(198)}😀…` }
    yield* checkEqual(yield* errorOf(declined), cut, "summary().error of a failed execution")

    const stopped = yield* start("stopped", t(3))
    // A NUL is listed as U+FFFD (a PostgreSQL text column refuses it; the event keeps it).
    yield* store.append(stopped, [{ _tag: "ExecutionStopped", seq: 3, at: t(4), error: { errorType: "Cancelled", errorMessage: "by the\u0000customer" } }], 2)
    const bare = yield* start("stopped-bare", t(5))
    yield* store.append(bare, [{ _tag: "ExecutionStopped", seq: 3, at: t(6) }], 2)
    const succeeded = yield* start("succeeded", t(7))
    yield* store.append(succeeded, [executionSucceeded(3, t(8))], 2)
    yield* checkEqual(yield* listed, [
      [succeeded, "SUCCEEDED", undefined],
      [bare, "STOPPED", undefined],
      [stopped, "STOPPED", { errorType: "Cancelled", errorMessage: "by the\uFFFDcustomer" }],
      [declined, "FAILED", cut]
    ], "the listed rows' errors")

    // Rewound: running again, no error; failed again: the new one.
    yield* store.append(declined, [rewound(4, t(9))], 3)
    yield* checkEqual(yield* errorOf(declined), undefined, "summary().error after a rewind")
    const running = yield* listAll(store, { functionName, status: "RUNNING" })
    yield* checkEqual(running.map((row) => [row.executionId, row.error]), [[declined, undefined]], "the listed row after a rewind")
    yield* store.append(declined, [failed(5, t(10), "Timeout", "the bank did not answer")], 4)
    const again = { errorType: "Timeout", errorMessage: "the bank did not answer" }
    yield* checkEqual(yield* errorOf(declined), again, "summary().error after failing again")
    const failedRows = yield* listAll(store, { functionName, status: "FAILED" })
    yield* checkEqual(failedRows.map((row) => [row.executionId, row.error]), [[declined, again]], "the listed row after failing again")

    // An end and a rewind in one batch: running, with no error.
    yield* store.append(stopped, [rewound(4, t(11)), failed(5, t(12), "Other", "again"), rewound(6, t(13))], 3)
    yield* checkEqual(yield* errorOf(stopped), undefined, "summary().error after an end and a rewind in one batch")
  })
}
