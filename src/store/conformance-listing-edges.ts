/**
 * Conformance: listing edges a store author gets wrong without noticing (found by writing a store against the kit,
 * which passed stores that lost them): ties ordered by code unit whatever the ids' case (a collation such as
 * `localeCompare`, or SQL's ORDER BY under a locale, skips rows across pages), starts of many executions at once
 * all listed (an index kept as one value, rewritten without a lock, lost them), and PAUSED shown as such.
 */
import { Effect } from "effect"
import { check, checkEqual, create, ids, inListingOrder, listAll, summaryFields } from "./conformance-checks.ts"
import { executionStarted, freshId, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"

export const mixedCaseTies = {
  name: "listing ties are ordered by code unit (mixed-case ids), and pages of one cover every row",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const functionName = freshId("fn-case")
    const base = freshId("case")
    const made: Array<{ id: string; at: number }> = []
    for (const suffix of ["a", "B", "c", "D", "_e", "Z9"]) {
      const id = `${base}-${suffix}`
      yield* store.append(id, [executionStarted(id, { functionName, at: t(40) })], 0)
      made.push({ id, at: t(40) })
    }
    const expected = inListingOrder(made)
    yield* checkEqual(ids((yield* store.list({ functionName, limit: 100 })).items), expected, "one page of mixed-case ties")
    yield* checkEqual(ids(yield* listAll(store, { functionName, limit: 1 })), expected, "pages of one over mixed-case ties")
  })
}

export const concurrentStarts = {
  name: "starts of many executions at once are all listed and summarised",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const functionName = freshId("fn-many")
    const made = Array.from({ length: 20 }, (_, i) => ({ id: freshId("many"), at: t(50 + i) }))
    yield* Effect.all(
      made.map(({ id, at }) => store.append(id, [executionStarted(id, { functionName, at })], 0)),
      { concurrency: "unbounded" }
    )
    yield* checkEqual(ids(yield* listAll(store, { functionName, limit: 7 })), inListingOrder(made), "the executions started at once")
    for (const { id } of made) yield* check((yield* store.summary(id)) !== undefined, `no summary for ${id}, started with the others`)
  })
}

export const pausedStatus = {
  name: "a paused execution is PAUSED in summary() and the listing, and RUNNING again once resumed",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const functionName = freshId("fn-pause")
    const { id } = yield* create(store, "pause", { functionName, at: t(60) })
    yield* store.append(id, [{ _tag: "ExecutionPaused", seq: 2, at: t(61) }], 1)
    yield* checkEqual(summaryFields(yield* store.summary(id))?.status, "PAUSED", "summary after ExecutionPaused")
    yield* checkEqual(ids((yield* store.list({ functionName, status: "PAUSED" })).items), [id], "PAUSED rows")
    yield* checkEqual(ids((yield* store.list({ functionName, status: "RUNNING" })).items), [], "RUNNING rows while paused")
    yield* store.append(id, [{ _tag: "ExecutionResumed", seq: 3, at: t(62) }], 2)
    yield* checkEqual(summaryFields(yield* store.summary(id))?.status, "RUNNING", "summary after ExecutionResumed")
    yield* checkEqual(ids((yield* store.list({ functionName, status: "RUNNING" })).items), [id], "RUNNING rows once resumed")
  })
}
