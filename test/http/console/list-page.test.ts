/** The console's list filtered by end time ("Ended from … to …"), as the API's endedAfter and endedBefore. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type Harness, makeHarness } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const page = async (harness: Harness, path: string) => {
  const res = await harness.app.request(path)
  return { status: res.status, text: await res.text() }
}

describe("the console's list by end time", () => {
  it("lists the executions that ended in the range, never one still running, and keeps the fields filled in", async () => {
    const harness = h = makeHarness()
    const { executionId: waiting } = await harness.startApproval(1)
    assert.strictEqual((await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1, executionName: "done" } })).status, 201)
    const since = await page(harness, "/console?endedFrom=2020-01-01T00:00")
    assert.strictEqual(since.status, 200)
    assert.include(since.text, `data-execution-id="done"`)
    assert.notInclude(since.text, `data-execution-id="${waiting}"`, "still running")
    assert.include(since.text, `name="endedFrom" value="2020-01-01T00:00"`)
    const before = await page(harness, "/console?endedTo=2020-01-01T00:00")
    assert.notInclude(before.text, `data-execution-id="done"`)
    assert.include(before.text, "No executions match.")
    // An id shown under an end-time range it is outside of is said to be excluded, not listed.
    const byId = await page(harness, `/console?id=${waiting}&endedFrom=2020-01-01T00:00`)
    assert.include(byId.text, "ended from 2020-01-01T00:00")
    assert.notInclude(byId.text, `data-execution-id="${waiting}"`)
  })

  it("answers 400 for an end time that is none or a range that holds no instant, in the form's words", async () => {
    const harness = h = makeHarness()
    for (const query of ["endedFrom=an-hour-ago", "endedTo=2026-02-30T10:00"]) {
      const answer = await page(harness, `/console?${query}`)
      assert.strictEqual(answer.status, 400, query)
      assert.include(answer.text, "Not a filter the list takes", query)
    }
    const swapped = await page(harness, "/console?endedFrom=2026-05-02T00:00&endedTo=2026-05-01T00:00")
    assert.strictEqual(swapped.status, 400)
    assert.include(swapped.text, "ended from 2026-05-02T00:00 later than to 2026-05-01T00:00 (nothing ends in between).")
    assert.strictEqual((await page(harness, "/console?endedFrom=2026-05-01T00:00&endedTo=2026-05-01T00:00")).status, 200, "to takes in its own minute")
  })
})
