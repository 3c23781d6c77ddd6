/** Conformance: a page of the log read by seq (the store's readPage, or the fallback through load) (./conformance.ts). */
import { Effect } from "effect"
import { checkEqual } from "./conformance-checks.ts"
import { executionSucceeded, freshId, startedLog, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import { readLogPage } from "./log-page.ts"

export const logPages = {
  name: "a page of the log by seq (seq > after, at most limit) is that slice of the log; an unknown id has none",
  run: Effect.fnUntraced(function*(store: ExecutionStoreShape) {
    const id = freshId("pages")
    const log = [...startedLog(id, { functionName: "pages", at: t(1), length: 249 }), executionSucceeded(250, t(300))]
    yield* store.append(id, log.slice(0, 120), 0)
    yield* store.append(id, log.slice(120), 120)
    const pages: Array<ReadonlyArray<unknown>> = []
    for (let after = 0; after < 250; after += 100) pages.push((yield* readLogPage(store, id, after, 100)) ?? [])
    yield* checkEqual(pages, [log.slice(0, 100), log.slice(100, 200), log.slice(200)], "pages of 100 through a 250-event log")
    yield* checkEqual(yield* readLogPage(store, id, 37, 5), log.slice(37, 42), "5 events after seq 37")
    yield* checkEqual(yield* readLogPage(store, id, 249, 10), log.slice(249), "the page holding only the last event")
    yield* checkEqual(yield* readLogPage(store, id, 250, 10), [], "the page after the end")
    // Far past the end, beyond a 32-bit seq (a cursor from a client): an empty page, not a store failure.
    yield* checkEqual(yield* readLogPage(store, id, 2 ** 31, 10), [], "a page after seq 2^31")
    yield* checkEqual(yield* readLogPage(store, id, 999_999_999_999_999, 10), [], "a page after the largest cursor the API takes")
    yield* checkEqual(yield* readLogPage(store, id, 0, 0), [], "a page of 0 events")
    yield* checkEqual(yield* readLogPage(store, freshId("no-pages"), 0, 10), undefined, "a page of an unknown execution")
  })
}
