/**
 * Conformance: the one append after the end of an execution, ExecutionRewound (design.md §3). It is accepted only
 * right after a FAILED, TIMED_OUT or STOPPED end, it puts the listing back to RUNNING (no end time), it replaces the
 * listed version label with its own, and it may carry the alarm like any append. Any other event after an end is
 * still refused.
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { checkEqual, checkFailsWith, checkLog, create, listAll } from "./conformance-checks.ts"
import { executionFailed, executionStarted, executionSucceeded, freshId, steps, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import type { ListQuery } from "./execution-summary.ts"

const rewound = (seq: number, at: number): LogEvent => ({ _tag: "ExecutionRewound", seq, at, fromOperation: "2", timeoutAt: at + 60_000 })

export const rewindAfterEnd = {
  name: "ExecutionRewound follows a failed end (listing RUNNING again, alarm set with it); nothing else follows an end",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const { id, events } = yield* create(store, "rewind", { length: 3 })
    const log = [...events]
    // Not while the execution runs.
    yield* checkFailsWith(store.append(id, [rewound(4, t(10))], 3), "LogCorrupted", "a rewind of a running execution")
    log.push(executionFailed(4, t(11)))
    yield* store.append(id, log.slice(3), 3)
    yield* checkFailsWith(store.append(id, steps(5, 1, t(12)), 4), "LogCorrupted", "a step after the end")
    yield* checkFailsWith(store.append(id, [rewound(5, t(12)), ...steps(6, 1, t(12))], 5), "SeqConflict", "a rewind at the wrong seq")

    log.push(rewound(5, t(13)), ...steps(6, 2, t(14)))
    yield* store.append(id, log.slice(4), 4, { alarmAt: t(30_013) })
    yield* checkLog(store, id, log, "after the rewind and two more steps")
    yield* checkEqual(yield* store.getAlarm(id), t(30_013), "alarm written with the rewind")
    const summary = yield* store.summary(id)
    yield* checkEqual(summary?.status, "RUNNING", "status after the rewind")
    yield* checkEqual(summary?.endedAt, undefined, "end time after the rewind")
    const running = yield* listAll(store, { status: "RUNNING", functionName: summary!.functionName })
    yield* checkEqual(running.map((s) => s.executionId), [id], "listed as RUNNING after the rewind")
    const failed = yield* listAll(store, { status: "FAILED", functionName: summary!.functionName })
    yield* checkEqual(failed.length, 0, "listed as FAILED after the rewind")

    // A succeeded execution is not rewound.
    log.push(executionSucceeded(8, t(20)))
    yield* store.append(id, log.slice(7), 7)
    yield* checkEqual((yield* store.summary(id))?.status, "SUCCEEDED", "status after the second end")
    yield* checkFailsWith(store.append(id, [rewound(9, t(21))], 8), "LogCorrupted", "a rewind of a succeeded execution")
    yield* checkLog(store, id, log, "after the refused rewind")
  })
}

export const rewindVersion = {
  name: "ExecutionRewound's version label replaces the start's in summary and listing; a rewind without one clears it",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const functionName = freshId("fn-rewind-version")
    const label = freshId("v")
    const [v1, v2, v3] = [`${label}-1`, `${label}-2`, `${label}-3`]
    const id = freshId("rewind-version")
    const other = freshId("rewind-version-other")
    const versioned = (executionId: string, at: number, version: string): LogEvent =>
      ({ ...executionStarted(executionId, { functionName, at }), version } as LogEvent)
    // Another execution still on v1, so that the listing by v1 is not empty by accident.
    yield* store.append(other, [versioned(other, t(1), v1)], 0)
    yield* store.append(id, [versioned(id, t(2), v1), ...steps(2, 2, t(3)), executionFailed(4, t(5))], 0)
    const query = (q: ListQuery) => Effect.map(listAll(store, q), (rows) => rows.map((r) => r.executionId))
    yield* checkEqual(yield* query({ version: v1 }), [id, other], "listed by v1 before the rewind")

    yield* store.append(id, [{ ...rewound(5, t(6)), version: v2 } as LogEvent, ...steps(6, 1, t(7))], 4)
    yield* checkEqual((yield* store.summary(id))?.version, v2, "summary().version after a rewind under v2")
    yield* checkEqual(yield* query({ version: v2 }), [id], "listed by v2 after the rewind")
    yield* checkEqual(yield* query({ version: v2, functionName, status: "RUNNING" }), [id], "by v2, function and status")
    yield* checkEqual(yield* query({ version: v1 }), [other], "listed by v1 after the rewind")
    const rows = yield* listAll(store, { functionName })
    yield* checkEqual(rows.map((r) => [r.executionId, r.version]), [[id, v2], [other, v1]], "the listed versions after the rewind")

    // An end and a rewind in one batch: the rewind's version still lands with the status.
    yield* store.append(id, [executionFailed(7, t(8)), { ...rewound(8, t(9)), version: v3 } as LogEvent], 6)
    yield* checkEqual((yield* store.summary(id))?.version, v3, "summary().version after an end and a rewind in one batch")
    yield* checkEqual(yield* query({ version: v3, status: "RUNNING" }), [id], "listed by v3 and RUNNING")
    yield* checkEqual(yield* query({ version: v2 }), [], "listed by v2 after the rewind under v3")

    // A rewind by a registration without a version: the label is gone.
    yield* store.append(id, [executionFailed(9, t(10)), rewound(10, t(11))], 8)
    const summary = yield* store.summary(id)
    yield* checkEqual(summary?.version, undefined, "summary().version after a rewind without a version")
    yield* checkEqual(summary?.status, "RUNNING", "status after a rewind without a version")
    yield* checkEqual(yield* query({ version: v3 }), [], "listed by v3 after a rewind without a version")
    const listed = (yield* listAll(store, { functionName, status: "RUNNING" })).map((r) => [r.executionId, r.version])
    yield* checkEqual(listed, [[id, undefined], [other, v1]], "the listed versions after a rewind without one")
  })
}
