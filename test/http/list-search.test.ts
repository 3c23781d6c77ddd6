/** `GET /v1/executions` searched by start time, end time and input text, over the store's own listing (store/list-search.ts). */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { assertProblem, type Harness, makeHarness, until } from "./http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

type Listed = { executions: Array<{ executionId: string; startedAt: string }>; nextCursor?: string }
const list = async (harness: Harness, query: string): Promise<Listed> => {
  const res = await harness.request("GET", `/v1/executions?${query}`)
  assert.strictEqual(res.status, 200, await res.clone().text())
  return await res.json() as Listed
}
const ids = (listed: Listed) => listed.executions.map((e) => e.executionId)

/** Starts echo executions one after another, each in a later millisecond than the one before. */
const startAll = async (harness: Harness, inputs: ReadonlyArray<[string, unknown]>) => {
  const startedAt = new Map<string, string>()
  for (const [name, input] of inputs) {
    const before = Date.now()
    while (Date.now() === before) await new Promise((resolve) => setTimeout(resolve, 1))
    const res = await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input, executionName: name } })
    startedAt.set(name, (await res.json() as { startedAt: string }).startedAt)
  }
  return startedAt
}

describe("searching the executions", () => {
  it("by input text (ignoring case), alone and with the other filters, paged by cursor", async () => {
    h = makeHarness()
    await startAll(h, [["a", { email: "Ada@example.com" }], ["b", { email: "bob@example.com" }], ["c", "ADA lovelace"], ["d", 42]])
    assert.deepStrictEqual(ids(await list(h, "input=ada")), ["c", "a"])
    assert.deepStrictEqual(ids(await list(h, "input=example.com&function=echo")), ["b", "a"])
    assert.deepStrictEqual(ids(await list(h, "input=42")), ["d"])
    assert.deepStrictEqual(ids(await list(h, "input=nobody")), [])
    assert.deepStrictEqual(ids(await list(h, "input=ada&status=FAILED")), [])
    const first = await list(h, "input=a&limit=1")
    assert.deepStrictEqual(ids(first), ["c"])
    assert.isString(first.nextCursor)
    const second = await list(h, `input=a&limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`)
    assert.deepStrictEqual(ids(second), ["b"])
  })

  it("by start time: startedAfter inclusive, startedBefore exclusive, with paging inside the range", async () => {
    h = makeHarness()
    const at = await startAll(h, [["t1", 1], ["t2", 2], ["t3", 3], ["t4", 4]])
    const q = (name: string) => encodeURIComponent(at.get(name)!)
    assert.deepStrictEqual(ids(await list(h, `startedAfter=${q("t2")}`)), ["t4", "t3", "t2"])
    assert.deepStrictEqual(ids(await list(h, `startedBefore=${q("t3")}`)), ["t2", "t1"])
    assert.deepStrictEqual(ids(await list(h, `startedAfter=${q("t2")}&startedBefore=${q("t4")}`)), ["t3", "t2"])
    const page = await list(h, `startedAfter=${q("t1")}&startedBefore=${q("t4")}&limit=2`)
    assert.deepStrictEqual(ids(page), ["t3", "t2"])
    const rest = await list(h, `startedAfter=${q("t1")}&startedBefore=${q("t4")}&limit=2&cursor=${encodeURIComponent(page.nextCursor!)}`)
    assert.deepStrictEqual([ids(rest), rest.nextCursor], [["t1"], undefined])
    // An offset is honoured; the range and the input search go together.
    const t3 = Date.parse(at.get("t3")!)
    const inOffset = new Date(t3 + 2 * 3600_000).toISOString().replace(/\.\d+Z$/, `.${String(t3 % 1000).padStart(3, "0")}+02:00`)
    assert.deepStrictEqual(ids(await list(h, `startedAfter=${encodeURIComponent(inOffset)}&input=3`)), ["t3"])
  })

  it("refuses a malformed time or an empty search, changing nothing", async () => {
    h = makeHarness()
    await assertProblem(await h.request("GET", "/v1/executions?startedAfter=yesterday"), 400, "invalid-request")
    await assertProblem(await h.request("GET", "/v1/executions?startedBefore=2026-02-30T25:00:00Z"), 400, "invalid-request")
    await assertProblem(await h.request("GET", "/v1/executions?startedAfter=2026-01-01"), 400, "invalid-request")
    // A day the month does not have (Date.parse would read 30 February as 2 March).
    const noSuchDay = await assertProblem(await h.request("GET", "/v1/executions?startedAfter=2026-02-30T00:00:00Z"), 400, "invalid-request")
    assert.strictEqual(noSuchDay.detail, `Invalid query: Expected a real date and time at ["startedAfter"]`)
    await assertProblem(await h.request("GET", "/v1/executions?startedBefore=2026-04-31T12:00:00%2B02:00"), 400, "invalid-request")
    assert.strictEqual((await h.request("GET", "/v1/executions?startedAfter=2028-02-29T00:00:00Z")).status, 200, "a leap day is a day")
    // Microseconds, as Python's isoformat() writes them, are read to the millisecond.
    assert.strictEqual((await h.request("GET", "/v1/executions?startedAfter=2026-12-05T08:59:00.123456%2B00:00")).status, 200)
    await assertProblem(await h.request("GET", "/v1/executions?startedAfter=2026-12-05T08:59:00.1234567890Z"), 400, "invalid-request")
    await assertProblem(await h.request("GET", "/v1/executions?input="), 400, "invalid-request")
  })

  it("refuses a time range that holds no instant (swapped or equal bounds) instead of listing nothing", async () => {
    h = makeHarness()
    await startAll(h, [["r1", 1]])
    for (const [after, before] of [["2026-05-02T00:00:00Z", "2026-05-01T00:00:00Z"], ["2026-05-01T00:00:00Z", "2026-05-01T00:00:00Z"]]) {
      const problem = await assertProblem(await h.request("GET", `/v1/executions?startedAfter=${after}&startedBefore=${before}`), 400, "invalid-request")
      assert.include(String(problem.detail), "startedAfter earlier than startedBefore")
    }
    // The same instant given with an offset is still an empty range; a range of one millisecond is not.
    await assertProblem(await h.request("GET", "/v1/executions?startedAfter=2026-05-01T02:00:00%2B02:00&startedBefore=2026-05-01T00:00:00Z"), 400, "invalid-request")
    assert.strictEqual((await h.request("GET", "/v1/executions?startedAfter=2026-05-01T00:00:00Z&startedBefore=2026-05-01T00:00:00.001Z")).status, 200)
  })

  it("by end time: an execution started before another but ended after it is found; one still running is not", async () => {
    h = makeHarness()
    const harness = h
    const early = await (await harness.request("POST", "/v1/functions/approval/executions", { json: { input: { amount: 1 }, executionName: "early" } })).json() as { executionId: string }
    await startAll(harness, [["quick", 1]])
    await harness.request("POST", "/v1/functions/approval/executions", { json: { input: { amount: 2 }, executionName: "waiting" } })
    const endedOf = async (name: string) =>
      (await list(harness, "limit=10")).executions.find((e) => e.executionId === name) as { endedAt?: string } | undefined
    const quickEnded = (await until(async () => (await endedOf("quick"))?.endedAt))!
    while (Date.now() <= Date.parse(quickEnded)) await new Promise((resolve) => setTimeout(resolve, 1))
    assert.strictEqual((await harness.request("POST", `/v1/executions/${early.executionId}/stop`, { json: {} })).status, 200)
    const earlyEnded = await until(async () => (await endedOf(early.executionId))?.endedAt)
    const after = new Date(Date.parse(quickEnded) + 1).toISOString()
    assert.deepStrictEqual(ids(await list(harness, `endedAfter=${after}`)), [early.executionId])
    assert.deepStrictEqual(ids(await list(harness, `endedAfter=${quickEnded}&status=STOPPED,SUCCEEDED`)), ["quick", early.executionId])
    assert.deepStrictEqual(ids(await list(harness, `endedBefore=${earlyEnded}`)), ["quick"])
  })

  it("refuses an end-time range that holds no instant, as it does a start-time one", async () => {
    h = makeHarness()
    for (const [after, before] of [["2026-05-02T00:00:00Z", "2026-05-01T00:00:00Z"], ["2026-05-01T00:00:00Z", "2026-05-01T00:00:00Z"]]) {
      const problem = await assertProblem(await h.request("GET", `/v1/executions?endedAfter=${after}&endedBefore=${before}`), 400, "invalid-request")
      assert.include(String(problem.detail), "endedAfter earlier than endedBefore")
    }
    await assertProblem(await h.request("GET", "/v1/executions?endedAfter=an-hour-ago"), 400, "invalid-request")
    assert.strictEqual((await h.request("GET", "/v1/executions?endedAfter=2026-05-01T00:00:00Z&endedBefore=2026-05-01T00:00:00.001Z")).status, 200)
  })
})
