/**
 * searchListing over the package's listing: the input search's bounded scan, the range meeting a cursor, several
 * statuses merged, a debounced execution found by the input it runs with, and the end-time range.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeMemoryIndex } from "../../src/store/execution-index.ts"
import type { LogEvent } from "../../src/log/events.ts"
import { executionStarted } from "../../src/store/conformance-events.ts"
import { MAX_SCANNED, searchListing, searchStore } from "../../src/store/list-search.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const N = MAX_SCANNED + 500
const index = makeMemoryIndex()
const inputs = new Map<string, string>()
for (let i = 0; i < N; i++) {
  const executionId = `e-${String(i).padStart(5, "0")}`
  Effect.runSync(index.upsert({ executionId, functionName: "f", status: "SUCCEEDED", startedAt: 1_000 + i }))
  // Only the oldest execution matches.
  inputs.set(executionId, i === 0 ? "{\"needle\":true}" : "{}")
}
let reads = 0
const search = searchListing(index.list, (executionId) => Effect.sync(() => (reads++, inputs.get(executionId))))

describe("searchListing", () => {
  it("reads at most MAX_SCANNED inputs per call, then answers with a cursor to go on from", () => {
    reads = 0
    const first = Effect.runSync(search({ inputContains: "NEEDLE" }))
    assert.deepStrictEqual([first.items.length, reads], [0, MAX_SCANNED])
    assert.isString(first.cursor)
    reads = 0
    const second = Effect.runSync(search({ inputContains: "needle", cursor: first.cursor! }))
    assert.deepStrictEqual([second.items.map((s) => s.executionId), second.cursor, reads], [["e-00000"], undefined, N - MAX_SCANNED])
  })

  it("a cursor older than startedBefore wins over it; one newer is moved to it", () => {
    const fromCursor = Effect.runSync(search({ startedBefore: 1_000 + 10, cursor: `${1_000 + 5}.e-00005`, limit: 3 }))
    assert.deepStrictEqual(fromCursor.items.map((s) => s.startedAt), [1_004, 1_003, 1_002])
    const fromRange = Effect.runSync(search({ startedBefore: 1_000 + 10, cursor: `${1_000 + 50}.e-00050`, limit: 3 }))
    assert.deepStrictEqual(fromRange.items.map((s) => s.startedAt), [1_009, 1_008, 1_007])
    const bounded = Effect.runSync(search({ startedAfter: 1_008, startedBefore: 1_000 + 10, limit: 3 }))
    assert.deepStrictEqual([bounded.items.map((s) => s.startedAt), bounded.cursor], [[1_009, 1_008], undefined])
  })

  it("several statuses: the listings of each, merged in order, paged without a row lost or repeated", () => {
    const mixed = makeMemoryIndex()
    const statuses = ["SUCCEEDED", "FAILED", "RUNNING", "SUCCEEDED", "RUNNING", "STOPPED", "FAILED", "SUCCEEDED"] as const
    statuses.forEach((status, i) => Effect.runSync(mixed.upsert({ executionId: `m-${i}`, functionName: "f", status, startedAt: 1_000 + i })))
    const listed = searchListing(mixed.list, () => Effect.succeed(undefined))
    const pages: Array<Array<string>> = []
    let cursor: string | undefined
    for (let i = 0; i < 10; i++) {
      const page = Effect.runSync(listed({ statuses: ["SUCCEEDED", "RUNNING", "SUCCEEDED"], limit: 2, ...(cursor === undefined ? {} : { cursor }) }))
      pages.push(page.items.map((s) => s.executionId))
      cursor = page.cursor
      if (cursor === undefined) break
    }
    // Five match; the first page takes two of the three SUCCEEDED and RUNNING rows each listing offered.
    assert.deepStrictEqual(pages, [["m-7", "m-4"], ["m-3", "m-2"], ["m-0"]])
    // No listing is full, but together they are: the page still says where to go on.
    const first = Effect.runSync(listed({ statuses: ["FAILED", "STOPPED", "RUNNING"], limit: 3 }))
    assert.deepStrictEqual(first.items.map((s) => s.executionId), ["m-6", "m-5", "m-4"])
    const next = Effect.runSync(listed({ statuses: ["FAILED", "STOPPED", "RUNNING"], limit: 3, cursor: first.cursor! }))
    assert.deepStrictEqual([next.items.map((s) => s.executionId), next.cursor], [["m-2", "m-1"], undefined])
    // With a time range too; and one status alone is the store's own filter.
    const ranged = Effect.runSync(listed({ statuses: ["FAILED", "STOPPED"], startedBefore: 1_006 }))
    assert.deepStrictEqual(ranged.items.map((s) => s.executionId), ["m-5", "m-1"])
    assert.deepStrictEqual(Effect.runSync(listed({ statuses: ["STOPPED"] })).items.map((s) => s.executionId), ["m-5"])
    assert.deepStrictEqual(Effect.runSync(listed({ statuses: [] })).items, [])
  })
})

describe("searchStore", () => {
  it.effect("matches a debounced execution on the input it runs with (its last replacement), not its first", () =>
    Effect.gen(function*() {
      const store = makeMemoryStore()
      const queued = (id: string): LogEvent =>
        ({ ...executionStarted(id, { functionName: "sync", at: 1_000, input: "{\"v\":1}" }), queue: { priority: 0, debounceKey: "", notBefore: 2_000 } }) as LogEvent
      const replaced = (seq: number, v: number): LogEvent => ({ _tag: "ExecutionInputReplaced", seq, at: 1_000 + seq, input: `{"v":${v}}`, notBefore: 2_000 + seq })
      yield* store.append("debounced", [queued("debounced"), replaced(2, 2), replaced(3, 3), { _tag: "ExecutionDequeued", seq: 4, at: 3_000, timeoutAt: 90_000 }], 0)
      // Undebounced, with the same first input: found by it as before.
      yield* store.append("plain", [executionStarted("plain", { functionName: "sync", at: 1_001, input: "{\"v\":1}" })], 0)
      const found = (text: string) => Effect.map(searchStore(store)({ inputContains: text }), (page) => page.items.map((row) => row.executionId))
      assert.deepStrictEqual(yield* found("\"v\":3"), ["debounced"])
      assert.deepStrictEqual(yield* found("\"v\":1"), ["plain"])
    }))
})

describe("searchListing by end time", () => {
  it("an end-time range finds an execution started long ago that ended within it, never one still running", () => {
    const HOUR = 3_600_000
    const now = 100 * HOUR
    const ended = makeMemoryIndex()
    // Started yesterday and failed ten minutes ago; started an hour and a half ago and still running; started and
    // ended two hours ago; started a minute ago and succeeded.
    Effect.runSync(ended.upsert({ executionId: "old-failed", functionName: "f", status: "FAILED", startedAt: now - 24 * HOUR, endedAt: now - 600_000 }))
    Effect.runSync(ended.upsert({ executionId: "running", functionName: "f", status: "RUNNING", startedAt: now - 1.5 * HOUR }))
    Effect.runSync(ended.upsert({ executionId: "ended-earlier", functionName: "f", status: "FAILED", startedAt: now - 2 * HOUR, endedAt: now - 2 * HOUR + 1 }))
    Effect.runSync(ended.upsert({ executionId: "new", functionName: "f", status: "SUCCEEDED", startedAt: now - 60_000, endedAt: now - 1_000 }))
    const listed = searchListing(ended.list, () => Effect.succeed(undefined))
    const ids = (query: Parameters<typeof listed>[0]) => Effect.runSync(listed(query)).items.map((s) => s.executionId)
    assert.deepStrictEqual(ids({ endedAfter: now - HOUR }), ["new", "old-failed"])
    assert.deepStrictEqual(ids({ endedAfter: now - HOUR, statuses: ["FAILED"] }), ["old-failed"])
    // endedAfter inclusive, endedBefore exclusive.
    assert.deepStrictEqual(ids({ endedAfter: now - 600_000, endedBefore: now - 1_000 }), ["old-failed"])
    assert.deepStrictEqual(ids({ endedBefore: now - HOUR }), ["ended-earlier"])
  })

  it("an end-time range reads at most MAX_SCANNED rows per call, then answers with a cursor to go on from", () => {
    const rows = makeMemoryIndex()
    // Only the oldest started row ended in the range, so the first call stops before it.
    for (let i = 0; i < N; i++) {
      Effect.runSync(rows.upsert({ executionId: `r-${String(i).padStart(5, "0")}`, functionName: "f", status: "SUCCEEDED", startedAt: 1_000 + i, endedAt: i === 0 ? 50_000 : 10_000 + i }))
    }
    const listed = searchListing(rows.list, () => Effect.succeed(undefined))
    const first = Effect.runSync(listed({ endedAfter: 50_000 }))
    assert.strictEqual(first.items.length, 0)
    assert.strictEqual(first.cursor, `${1_000 + N - MAX_SCANNED}.r-${String(N - MAX_SCANNED).padStart(5, "0")}`)
    const second = Effect.runSync(listed({ endedAfter: 50_000, cursor: first.cursor! }))
    assert.deepStrictEqual([second.items.map((s) => s.executionId), second.cursor], [["r-00000"], undefined])
  })
})
