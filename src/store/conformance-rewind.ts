/**
 * Conformance: the one append after the end of an execution, ExecutionRewound (design.md §3). It is accepted only
 * right after a FAILED, TIMED_OUT or STOPPED end, it puts the listing back to RUNNING (no end time), and it may
 * carry the alarm like any append. Any other event after an end is still refused.
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { checkEqual, checkFailsWith, checkLog, create, listAll } from "./conformance-checks.ts"
import { executionFailed, executionSucceeded, steps, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"

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
