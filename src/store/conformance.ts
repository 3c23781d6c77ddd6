/**
 * The store conformance kit (docs/design.md §5): checks that every ExecutionStore must pass, whatever runs it.
 * Runtime-neutral (only effect and src/), so each adapter runs it under its own test runner, one test per check:
 *
 *   for (const c of storeConformance) it.effect(c.name, () => c.run(store))
 *
 * Every check makes its own fresh execution ids and function names, so all checks can share one store.
 */
import { Effect } from "effect"
import {
  appendChecked,
  check,
  checkConflict,
  checkEqual,
  checkFailsWith,
  checkLog,
  create,
  ids,
  inListingOrder,
  listAll,
  race,
  summaryFields
} from "./conformance-checks.ts"
import {
  executionFailed,
  executionStarted,
  executionSucceeded,
  freshId,
  startedLog,
  stepSucceeded,
  steps,
  t,
  variedEvents
} from "./conformance-events.ts"
import type { LogEvent } from "../log/events.ts"
import { appendCarriesAlarm } from "./conformance-append-alarm.ts"
import { logPages } from "./conformance-log-page.ts"
import { endErrors } from "./conformance-end-errors.ts"
import { rewindAfterEnd, rewindVersion } from "./conformance-rewind.ts"
import { queuedLogs } from "./conformance-queued.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import { compareSummaries, type ListQuery } from "./execution-summary.ts"

import { scopedKeyIds } from "./conformance-scoped-ids.ts"
import { concurrentStarts, mixedCaseTies, pausedStatus } from "./conformance-listing-edges.ts"
export { check, CheckFailed, checkEqual, checkFailsWith } from "./conformance-checks.ts"

export interface ConformanceCheck {
  readonly name: string
  readonly run: (store: ExecutionStoreShape) => Effect.Effect<void, unknown>
}

const roundTrip: ConformanceCheck = {
  name: "append then load returns the same events and seq; an unknown id loads as undefined",
  run: Effect.fnUntraced(function*(store) {
    const unknown = freshId("unknown")
    yield* checkLog(store, unknown, undefined, "an unknown execution")
    yield* checkEqual(yield* store.summary(unknown), undefined, "summary of an unknown execution")
    yield* checkEqual(yield* store.getAlarm(unknown), undefined, "alarm of an unknown execution")

    const id = freshId("round-trip")
    const first = [executionStarted(id, { functionName: "round-trip", at: t(1), input: "{\"orderId\":\"o-1\"}" }), ...steps(2, 2, t(2))]
    yield* store.append(id, first, 0)
    yield* checkLog(store, id, first, "after the first append")
    const all = [...first, ...variedEvents(4, t(10))]
    yield* store.append(id, all.slice(3), 3)
    yield* checkLog(store, id, all, "after a second append of every event kind")
    all.push(executionSucceeded(all.length + 1, t(20)))
    yield* store.append(id, all.slice(-1), all.length - 1)
    yield* checkLog(store, id, all, "after a single-event append")
  })
}

const appendReturns: ConformanceCheck = {
  name: "append returns the events as written, and leaves the events it was given unchanged",
  run: Effect.fnUntraced(function*(store) {
    const id = freshId("returns")
    const all = [executionStarted(id, { functionName: "returns", at: t(1), input: "{\"n\":1}" }), ...variedEvents(2, t(2))]
    all.push(executionFailed(all.length + 1, t(30)))
    yield* appendChecked(store, id, all.slice(0, 1), 0, "creating the log")
    yield* appendChecked(store, id, all.slice(1, 6), 1, "a batch of five")
    yield* appendChecked(store, id, all.slice(6, 7), 6, "a single event")
    yield* appendChecked(store, id, all.slice(7), 7, "the rest, ending the execution")
    yield* checkLog(store, id, all, "after every append")
  })
}

const appendRules: ConformanceCheck = {
  name: "a misnumbered batch, a second ExecutionStarted, or any event after a terminal one fails with LogCorrupted and writes nothing",
  run: Effect.fnUntraced(function*(store) {
    const { events, id } = yield* create(store, "rules", { length: 2 })
    const refused = (batch: ReadonlyArray<LogEvent>, expectedSeq: number, what: string) =>
      checkFailsWith(store.append(id, batch, expectedSeq), "LogCorrupted", what)
    yield* refused([stepSucceeded(4, t(3))], 2, "a batch that skips seq 3")
    yield* refused([stepSucceeded(3, t(3)), stepSucceeded(3, t(3))], 2, "a batch that repeats seq 3")
    yield* refused([stepSucceeded(2, t(3))], 2, "a batch numbered from the log's last seq")
    yield* refused([{ ...executionStarted(id, { functionName: "again", at: t(3) }), seq: 3 }], 2, "a second ExecutionStarted")
    yield* refused([executionSucceeded(3, t(3)), stepSucceeded(4, t(4))], 2, "an event after ExecutionSucceeded in one batch")
    yield* checkLog(store, id, events, "after the refused batches")
    const before = summaryFields(yield* store.summary(id))
    yield* checkEqual(before?.status, "RUNNING", "status after the refused batches")

    const ended = [...events, executionFailed(3, t(5))]
    yield* store.append(id, ended.slice(2), 2)
    yield* refused([stepSucceeded(4, t(6))], 3, "a step after ExecutionFailed")
    yield* refused([executionSucceeded(4, t(6))], 3, "a second terminal event")
    yield* checkLog(store, id, ended, "after the appends refused past the end")
    yield* checkEqual(summaryFields(yield* store.summary(id))?.status, "FAILED", "status after the appends refused past the end")
  })
}

const wrongSeq: ConformanceCheck = {
  name: "an append with the wrong expectedSeq fails with SeqConflict and writes nothing",
  run: Effect.fnUntraced(function*(store) {
    const { events, id } = yield* create(store, "wrong-seq", { length: 3 })
    const before = summaryFields(yield* store.summary(id))
    yield* checkConflict(store, id, steps(5, 2, t(5)), 4, 3) // ahead of the log
    yield* checkConflict(store, id, steps(3, 2, t(5)), 2, 3) // behind it
    yield* checkConflict(store, id, [stepSucceeded(2, t(5)), executionSucceeded(3, t(6))], 1, 3)
    yield* checkLog(store, id, events, "after the refused appends")
    yield* checkEqual(summaryFields(yield* store.summary(id)), before, "summary after the refused appends")
  })
}

const zeroOnExisting: ConformanceCheck = {
  name: "expectedSeq 0 on an existing execution conflicts; expectedSeq > 0 on a missing one creates nothing",
  run: Effect.fnUntraced(function*(store) {
    const { events, id } = yield* create(store, "exists", { length: 2 })
    const before = summaryFields(yield* store.summary(id))
    yield* checkConflict(store, id, startedLog(id, { functionName: "impostor", at: t(9), length: 2 }), 0, 2)
    yield* checkLog(store, id, events, "after a second create")
    yield* checkEqual(summaryFields(yield* store.summary(id)), before, "summary after a second create")

    const missing = freshId("missing")
    yield* checkConflict(store, missing, steps(2, 1, t(1)), 1, 0)
    yield* checkLog(store, missing, undefined, "after appending to a missing execution")
    yield* checkEqual(yield* store.summary(missing), undefined, "summary after appending to a missing execution")
  })
}

const invalidBatch: ConformanceCheck = {
  name: "a batch holding an invalid event, or a new log without ExecutionStarted, fails with LogCorrupted and writes nothing",
  run: Effect.fnUntraced(function*(store) {
    const { events, id } = yield* create(store, "invalid", { length: 1 })
    const bad = { ...stepSucceeded(3, t(3)), at: Number.NaN }
    yield* checkFailsWith(store.append(id, [stepSucceeded(2, t(2)), bad], 1), "LogCorrupted", "appending an event at NaN")
    yield* checkLog(store, id, events, "after the refused batch")

    const headless = freshId("headless")
    yield* checkFailsWith(store.append(headless, steps(1, 2, t(1)), 0), "LogCorrupted", "creating a log without ExecutionStarted")
    yield* checkLog(store, headless, undefined, "after the refused create")
    yield* checkEqual(yield* store.summary(headless), undefined, "summary after the refused create")
  })
}

const alarms: ConformanceCheck = {
  name: "alarms: set, get, overwrite, delete, independent per execution, untouched by appends",
  run: Effect.fnUntraced(function*(store) {
    const a = yield* create(store, "alarm-a")
    const b = yield* create(store, "alarm-b")
    yield* checkEqual(yield* store.getAlarm(a.id), undefined, "alarm before any is set")
    yield* store.setAlarm(a.id, t(100))
    yield* checkEqual(yield* store.getAlarm(a.id), t(100), "alarm after setAlarm")
    yield* store.setAlarm(a.id, t(50))
    yield* checkEqual(yield* store.getAlarm(a.id), t(50), "alarm after an earlier overwrite")
    yield* store.setAlarm(a.id, t(70))
    yield* checkEqual(yield* store.getAlarm(a.id), t(70), "alarm after a later overwrite")
    yield* checkEqual(yield* store.getAlarm(b.id), undefined, "another execution's alarm")
    yield* store.setAlarm(b.id, t(200))
    yield* store.append(b.id, steps(2, 1, t(2)), 1)
    yield* checkEqual(yield* store.getAlarm(b.id), t(200), "alarm after an append")
    yield* checkLog(store, b.id, [...b.events, ...steps(2, 1, t(2))], "log after setting an alarm")
    yield* store.deleteAlarm(a.id)
    yield* checkEqual(yield* store.getAlarm(a.id), undefined, "alarm after deleteAlarm")
    yield* checkEqual(yield* store.getAlarm(b.id), t(200), "another execution's alarm after deleteAlarm")
    yield* store.deleteAlarm(a.id) // deleting no alarm is not an error
    yield* checkLog(store, a.id, a.events, "log after deleting its alarm")
  })
}

const listingOrder: ConformanceCheck = {
  name: "listing is newest first (ties by id) and every row appears once",
  run: Effect.fnUntraced(function*(store) {
    const functionName = freshId("fn-order")
    const made: Array<{ id: string; at: number }> = []
    for (const at of [t(30), t(10), t(50), t(30), t(20), t(30)]) {
      made.push({ id: (yield* create(store, "order", { functionName, at })).id, at })
    }
    const rows = (yield* store.list({ functionName, limit: 1000 })).items
    yield* checkEqual(ids(rows), inListingOrder(made), "ids listed for one function")
    const everything = yield* listAll(store, { limit: 7 })
    for (let i = 1; i < everything.length; i++) {
      yield* check(compareSummaries(everything[i - 1]!, everything[i]!) < 0, `unfiltered listing out of order at row ${i}`)
    }
    yield* check(new Set(ids(everything)).size === everything.length, "an id appears twice in the unfiltered listing")
    const listed = new Set(ids(everything))
    yield* check(made.every((m) => listed.has(m.id)), "an execution is missing from the unfiltered listing")
  })
}

const listingFilters: ConformanceCheck = {
  name: "listing filters by function name and by status",
  run: Effect.fnUntraced(function*(store) {
    const functionName = freshId("fn-filter")
    const running = yield* create(store, "running", { functionName, at: t(1) })
    const done1 = yield* create(store, "done", { functionName, at: t(2) })
    const failed = yield* create(store, "failed", { functionName, at: t(3) })
    const done2 = yield* create(store, "done", { functionName, at: t(4) })
    const other = yield* create(store, "other", { functionName: freshId("fn-other"), at: t(5) })
    yield* store.append(done1.id, [executionSucceeded(2, t(6))], 1)
    yield* store.append(failed.id, [executionFailed(2, t(7))], 1)
    yield* store.append(done2.id, [executionSucceeded(2, t(8))], 1)
    yield* store.append(other.id, [executionSucceeded(2, t(9))], 1)
    const query = (q: ListQuery) => Effect.map(listAll(store, q), ids)
    yield* checkEqual(yield* query({ functionName }), [done2.id, failed.id, done1.id, running.id], "by function")
    yield* checkEqual(yield* query({ functionName, status: "SUCCEEDED" }), [done2.id, done1.id], "by function, SUCCEEDED")
    yield* checkEqual(yield* query({ functionName, status: "SUCCEEDED", limit: 1 }), [done2.id, done1.id], "SUCCEEDED, one a page")
    yield* checkEqual(yield* query({ functionName, status: "FAILED" }), [failed.id], "by function, FAILED")
    yield* checkEqual(yield* query({ functionName, status: "RUNNING" }), [running.id], "by function, RUNNING")
    yield* checkEqual(yield* query({ functionName, status: "STOPPED" }), [], "by function, STOPPED")
    // A name no execution can have (PostgreSQL's text refuses NUL): no rows, not a store failure.
    yield* checkEqual(yield* query({ functionName: `${functionName}\u0000x` }), [], "a function name with a NUL")
    yield* checkEqual(yield* query({ functionName, version: "v\u0000" }), [], "a version with a NUL")
    const succeeded = yield* listAll(store, { status: "SUCCEEDED", limit: 50 })
    yield* check(succeeded.every((r) => r.status === "SUCCEEDED"), "status filter let another status through")
    const found = new Set(ids(succeeded))
    yield* check([done1, done2, other].every((e) => found.has(e.id)), "status filter (no function) missed a row")
    yield* check(!found.has(running.id) && !found.has(failed.id), "status filter (no function) kept a wrong row")
  })
}

const listingByVersion: ConformanceCheck = {
  name: "listing shows the version label of ExecutionStarted and filters by it, alone and with function and status",
  run: Effect.fnUntraced(function*(store) {
    const functionName = freshId("fn-version")
    const version = freshId("v")
    const start = (label: string, at: number, withVersion: string | undefined) => {
      const id = freshId(label)
      const first = executionStarted(id, { functionName, at })
      return Effect.as(store.append(id, [withVersion === undefined ? first : { ...first, version: withVersion } as LogEvent], 0), id)
    }
    const a = yield* start("a", t(1), version)
    const b = yield* start("b", t(2), `${version}-next`)
    const c = yield* start("c", t(3), version)
    const d = yield* start("d", t(4), undefined)
    yield* store.append(c, [executionSucceeded(2, t(5))], 1)
    const query = (q: ListQuery) => Effect.map(listAll(store, q), ids)
    yield* checkEqual(yield* query({ version }), [c, a], "by version")
    yield* checkEqual(yield* query({ version, limit: 1 }), [c, a], "by version, one a page")
    yield* checkEqual(yield* query({ version, functionName, status: "RUNNING" }), [a], "by version, function and status")
    yield* checkEqual(yield* query({ version: `${version}-next` }), [b], "by the other version")
    yield* checkEqual(yield* query({ functionName }), [d, c, b, a], "by function: with and without a version")
    const rows = yield* listAll(store, { functionName })
    yield* checkEqual(rows.map((r) => r.version), [undefined, version, `${version}-next`, version], "the listed versions")
    yield* checkEqual((yield* store.summary(c))?.version, version, "summary().version")
  })
}

const pagination: ConformanceCheck = {
  name: "pagination with cursor and limit covers every row exactly once",
  run: Effect.fnUntraced(function*(store) {
    const functionName = freshId("fn-page")
    const made: Array<{ id: string; at: number }> = []
    for (const at of [t(5), t(1), t(3), t(3), t(3), t(7), t(2), t(3), t(6), t(4)]) {
      made.push({ id: (yield* create(store, "page", { functionName, at })).id, at })
    }
    const expected = inListingOrder(made)
    for (const limit of [1, 2, 3, 4, 9, 10, 11, 1000]) {
      yield* checkEqual(ids(yield* listAll(store, { functionName, limit })), expected, `pages of ${limit}`)
    }
    const first = yield* store.list({ functionName, limit: 4 })
    yield* checkEqual(ids(first.items), expected.slice(0, 4), "the first page of 4")
    yield* check(first.cursor !== undefined, "a page followed by more rows has no cursor")
  })
}

const statusFollowsLog: ConformanceCheck = {
  name: "summary() and the listing follow the log: RUNNING until a terminal event, then its status and end time",
  run: Effect.fnUntraced(function*(store) {
    const functionName = freshId("fn-status")
    const { id } = yield* create(store, "status", { functionName, at: t(11) })
    const running = { executionId: id, functionName, status: "RUNNING", startedAt: t(11) }
    yield* checkEqual(summaryFields(yield* store.summary(id)), running, "summary after the start")
    yield* store.append(id, steps(2, 3, t(12)), 1)
    yield* checkEqual(summaryFields(yield* store.summary(id)), running, "summary after steps")
    yield* checkEqual((yield* store.list({ functionName, status: "RUNNING" })).items.map(summaryFields), [running], "RUNNING rows")
    yield* store.append(id, [executionSucceeded(5, t(20))], 4)
    const done = { ...running, status: "SUCCEEDED", endedAt: t(20) }
    yield* checkEqual(summaryFields(yield* store.summary(id)), done, "summary after ExecutionSucceeded")
    yield* checkEqual((yield* store.list({ functionName, status: "RUNNING" })).items, [], "RUNNING rows after the end")
    yield* checkEqual((yield* store.list({ functionName, status: "SUCCEEDED" })).items.map(summaryFields), [done], "SUCCEEDED rows")

    const failed = yield* create(store, "status-failed", { functionName, at: t(12), length: 2 })
    yield* store.append(failed.id, [executionFailed(3, t(30))], 2)
    const failedRow = { executionId: failed.id, functionName, status: "FAILED", startedAt: t(12), endedAt: t(30) }
    yield* checkEqual(summaryFields(yield* store.summary(failed.id)), failedRow, "summary after ExecutionFailed")
    yield* checkEqual((yield* store.list({ functionName })).items.map(summaryFields), [failedRow, done], "rows of the function")
  })
}

const deletion: ConformanceCheck = {
  name: "delete removes the log, the alarm and the index entry, and nothing of other executions",
  run: Effect.fnUntraced(function*(store) {
    const functionName = freshId("fn-delete")
    const gone = yield* create(store, "delete", { functionName, at: t(1), length: 3 })
    const kept = yield* create(store, "keep", { functionName, at: t(2), length: 2 })
    yield* store.setAlarm(gone.id, t(100))
    yield* store.setAlarm(kept.id, t(200))
    const keptSummary = summaryFields(yield* store.summary(kept.id))
    yield* store.delete(gone.id)
    yield* checkLog(store, gone.id, undefined, "after delete")
    yield* checkEqual(yield* store.getAlarm(gone.id), undefined, "alarm after delete")
    yield* checkEqual(yield* store.summary(gone.id), undefined, "summary after delete")
    yield* checkEqual(ids((yield* store.list({ functionName })).items), [kept.id], "listing after delete")
    yield* checkLog(store, kept.id, kept.events, "the other execution after delete")
    yield* checkEqual(yield* store.getAlarm(kept.id), t(200), "the other execution's alarm after delete")
    yield* checkEqual(summaryFields(yield* store.summary(kept.id)), keptSummary, "the other execution's summary after delete")
    yield* store.delete(gone.id) // deleting twice, or an unknown id, is not an error
    yield* store.delete(freshId("never-existed"))
    // The id is free again, and nothing of the old log shows through.
    const reborn = startedLog(gone.id, { functionName, at: t(3), length: 1 })
    yield* store.append(gone.id, reborn, 0)
    yield* checkLog(store, gone.id, reborn, "re-created after delete")
    yield* checkEqual(ids((yield* store.list({ functionName })).items), [gone.id, kept.id], "listing after re-creating")
  })
}

const largeLog: ConformanceCheck = {
  name: "a log of 10,000 events appended in batches of 100 loads back intact and in order",
  run: Effect.fnUntraced(function*(store) {
    const id = freshId("large")
    const all = startedLog(id, { functionName: "large", at: t(0), length: 10_000 })
    for (let seq = 0; seq < all.length; seq += 100) yield* store.append(id, all.slice(seq, seq + 100), seq)
    const log = yield* store.load(id)
    yield* checkEqual(log?.seq, 10_000, "seq of the large log")
    yield* checkEqual(log?.events.length, 10_000, "length of the large log")
    yield* check(log?.events.every((e, i) => e.seq === i + 1) ?? false, "the large log is out of order")
    yield* checkEqual(log?.events, all, "events of the large log")
  })
}

const concurrentAppends: ConformanceCheck = {
  name: "concurrent appends at the same expectedSeq: exactly one wins, the others get SeqConflict",
  run: Effect.fnUntraced(function*(store) {
    const id = freshId("race")
    const creators = [0, 1].map((i) => startedLog(id, { functionName: `racer-${i}`, at: t(i), length: 2 + i }))
    const created = yield* race(store, id, [], creators)
    const head = created[0]
    const winnerName = head?._tag === "ExecutionStarted" ? head.functionName : undefined
    yield* checkEqual(summaryFields(yield* store.summary(id))?.functionName, winnerName, "function of the winning create")
    const extenders = Array.from({ length: 8 }, (_, i) => steps(created.length + 1, 1 + i, t(100 * (i + 1))))
    const extended = yield* race(store, id, created, extenders)
    const finishers = [0, 1, 2].map((i) => [
      ...steps(extended.length + 1, i, t(1000)),
      executionSucceeded(extended.length + 1 + i, t(2000 + i))
    ])
    const finished = yield* race(store, id, extended, finishers)
    yield* checkEqual(summaryFields(yield* store.summary(id))?.endedAt, finished[finished.length - 1]!.at, "end time of the winner")
  })
}

const atomicBatch: ConformanceCheck = {
  name: "a batch of several events is atomic: readers see all of it or none of it",
  run: Effect.fnUntraced(function*(store) {
    const { events, id } = yield* create(store, "atomic", { length: 1 })
    const batch = [...steps(2, 8, t(2)), executionSucceeded(10, t(10))]
    const full = [...events, ...batch]
    // Readers on both sides of the writer, so that on a store whose reads suspend some of them straddle the write.
    const read = Effect.all([store.load(id), store.summary(id)])
    const readers = Array.from({ length: 10 }, () => read)
    const results = yield* Effect.all([...readers, Effect.as(store.append(id, batch, 1), undefined), ...readers], {
      concurrency: "unbounded"
    })
    for (const seen of results) {
      if (seen === undefined) continue
      const [log, summary] = seen
      yield* check(log?.seq === 1 || log?.seq === 10, `a reader saw seq ${log?.seq}, expected 1 or 10`)
      yield* checkEqual(log?.events, full.slice(0, log?.seq ?? 0), "events a reader saw")
      yield* check(summary?.status === "RUNNING" || summary?.status === "SUCCEEDED", `a reader saw status ${summary?.status}`)
    }
    yield* checkLog(store, id, full, "after the batch")
    yield* checkEqual(summaryFields(yield* store.summary(id))?.status, "SUCCEEDED", "status after the batch")
  })
}

export const storeConformance: ReadonlyArray<ConformanceCheck> = [
  roundTrip,
  appendReturns,
  appendRules,
  wrongSeq,
  zeroOnExisting,
  invalidBatch,
  alarms,
  appendCarriesAlarm,
  listingOrder,
  listingFilters,
  listingByVersion,
  pagination,
  statusFollowsLog,
  queuedLogs,
  deletion,
  largeLog,
  logPages,
  rewindAfterEnd,
  rewindVersion,
  endErrors,
  concurrentAppends,
  atomicBatch,
  scopedKeyIds,
  mixedCaseTies,
  concurrentStarts,
  pausedStatus
]
