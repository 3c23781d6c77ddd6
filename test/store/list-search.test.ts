/** searchListing over the package's listing: the input search's bounded scan, and the range meeting a cursor. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeMemoryIndex } from "../../src/store/execution-index.ts"
import { MAX_SCANNED, searchListing } from "../../src/store/list-search.ts"

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
})
