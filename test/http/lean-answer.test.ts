/**
 * The execution answer is lean by default: `GET /v1/executions/:id` and the `?wait` answer carry the status, the
 * result or error and the operations' counts; the operations come with `?operations=true`.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { assertProblem, type Harness, makeHarness } from "./http-fixture.ts"

const STEPS = 1000
const many = durable("many", async (n: number, ctx) => {
  let total = 0
  for (let i = 0; i < n; i++) total += await ctx.step(`s${i}`, async () => 1)
  return total
})

let h: Harness | undefined
afterEach(() => h?.dispose())

describe("the lean execution answer", () => {
  it("a 1,000-step execution: counts by default, small; every operation with ?operations=true", async () => {
    h = makeHarness({ functions: [many] })
    const done = await h.request("POST", "/v1/functions/many/executions?wait=30", { json: { input: STEPS, executionName: "many-1" } })
    const waited = await done.text()
    assert.strictEqual(done.status, 201, waited)
    const counts = { total: STEPS, byStatus: { SUCCEEDED: STEPS }, byType: { STEP: STEPS } }
    const answer = JSON.parse(waited)
    assert.deepStrictEqual([answer.status, answer.result, answer.operations, answer.operationCounts], ["SUCCEEDED", STEPS, undefined, counts])

    const lean = await h.request("GET", "/v1/executions/many-1")
    const leanText = await lean.text()
    assert.deepStrictEqual(JSON.parse(leanText).operationCounts, counts)
    assert.notProperty(JSON.parse(leanText), "operations")
    assert.isBelow(leanText.length, 512, "the default answer does not grow with the operations")

    const full = await h.request("GET", "/v1/executions/many-1?operations=true")
    const fullText = await full.text()
    const withOps = JSON.parse(fullText)
    assert.strictEqual(withOps.operations.length, STEPS)
    assert.deepStrictEqual(withOps.operations[0].name, "s0")
    assert.deepStrictEqual(withOps.operationCounts, counts)
    assert.isAbove(fullText.length, 100 * leanText.length)

    // Or in pages: every operation once, in the same order.
    const paged: Array<Record<string, unknown>> = []
    let cursor: string | undefined
    for (let page = 0; page < 20; page++) {
      const res = await h.request("GET", `/v1/executions/many-1/operations?limit=300${cursor === undefined ? "" : `&cursor=${cursor}`}`)
      const body = await res.json() as { operations: Array<Record<string, unknown>>; nextCursor?: string }
      assert.isAtMost(body.operations.length, 300)
      paged.push(...body.operations)
      cursor = body.nextCursor
      if (cursor === undefined) break
    }
    assert.deepStrictEqual(paged, withOps.operations)
    await assertProblem(await h.request("GET", "/v1/executions/many-1/operations?limit=0"), 400, "invalid-request")
    await assertProblem(await h.request("GET", "/v1/executions/missing/operations"), 404, "execution-not-found")

    // ?operations=false is the default said out loud; anything else is refused.
    assert.deepStrictEqual(await (await h.request("GET", "/v1/executions/many-1?operations=false")).text(), leanText)
    await assertProblem(await h.request("GET", "/v1/executions/many-1?operations=yes"), 400, "invalid-request")
    await assertProblem(await h.request("POST", "/v1/functions/many/executions?operations=1", { json: { input: 1 } }), 400, "invalid-request")
  })

  it("counts an ended execution's open operations as CANCELLED, as the operations show them", async () => {
    h = makeHarness()
    const started = await (await h.request("POST", "/v1/functions/approval/executions", { json: { input: { amount: 1 }, executionName: "ap-1" } })).json() as any
    await h.engine((e) => e.settle(started.executionId))
    const stopped = await (await h.request("POST", "/v1/executions/ap-1/stop", { json: {} })).json() as any
    assert.strictEqual(stopped.status, "STOPPED")
    const full = await (await h.request("GET", "/v1/executions/ap-1?operations=true")).json() as any
    const byStatus: Record<string, number> = {}
    for (const op of full.operations) byStatus[op.status] = (byStatus[op.status] ?? 0) + 1
    assert.deepStrictEqual(full.operationCounts.byStatus, byStatus)
    assert.strictEqual(full.operationCounts.byStatus.STARTED, undefined)
    assert.deepStrictEqual(stopped.operationCounts, full.operationCounts)
  })
})
