/** A map of 1000 items on the execution page: a count by status and a page of items, paged and filtered by links. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { GROUP_PAGE } from "../../../src/http/console/op-groups.ts"
import { type Harness, makeHarness, until } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const ITEMS = 1000
/**
 * Every 100th item fails (ten in all), which the batch tolerates: every item runs to its end (a batch ended by the first
 * failure would record nothing more of the items still running then, src/context/finished-batches.ts).
 */
const items = durable("items", async (_input: unknown, ctx) => {
  const done = await ctx.map("each", Array.from({ length: ITEMS }, (_, i) => i), async (child, n) =>
    child.step("square", async () => {
      if (n % 100 === 99) throw new Error(`item ${n} is odd`)
      return n * n
    }, { retryStrategy: () => ({ shouldRetry: false }) }), { completionConfig: { toleratedFailureCount: 10 } })
  return done.successCount
})

const page = async (harness: Harness, path: string) => {
  const res = await harness.app.request(path.replace(/&amp;/g, "&"))
  assert.strictEqual(res.status, 200)
  return await res.text()
}
/** The map items drawn in the operation tree. */
const itemsShown = (text: string) => [...text.matchAll(/<details class="op" data-op="(1-\d+)"/g)].map((m) => m[1]!)
const nextLink = (text: string) => /<a class="next" href="([^"]+)"/.exec(text)?.[1]

describe("the execution page: a map of 1000 items", () => {
  it("shows the count by status and one page of items; Next, a status filter and the live region keep the choice", async () => {
    const harness = h = makeHarness({ functions: [items] })
    await harness.request("POST", "/v1/functions/items/executions", { json: { executionName: "big" } })
    await until(async () => ((await harness.engine((e) => e.describe("big"))).status !== "RUNNING" ? true : undefined), 60_000)

    const first = await page(harness, "/console/executions/big")
    assert.match(first, /<strong>1000 children<\/strong>/)
    assert.match(first, /SUCCEEDED<\/span> 990/)
    assert.match(first, /FAILED<\/span> 10/)
    assert.match(first, new RegExp(`1–${GROUP_PAGE} of 1000`))
    assert.strictEqual(itemsShown(first).length, GROUP_PAGE)
    assert.isBelow(first.length, 200_000)

    const next = nextLink(first)
    assert.isString(next)
    const second = await page(harness, next!)
    assert.match(second, new RegExp(`${GROUP_PAGE + 1}–${2 * GROUP_PAGE} of 1000`))
    assert.notDeepEqual(itemsShown(second), itemsShown(first))
    assert.match(second, /class="prev"/)
    // The live region refreshes the same page of items.
    assert.match(second, /data-live="\/console\/executions\/big\/live\?items\.1=1"/)

    const failedLink = /<a class="filter" href="([^"]+)"><span class="badge s-failed">FAILED/.exec(first)?.[1]
    assert.isString(failedLink)
    const failed = await page(harness, failedLink!)
    assert.match(failed, /1–10 of 10 FAILED shown/)
    assert.strictEqual(itemsShown(failed).length, 10)
    assert.notMatch(failed, /class="next"/)
    // A page past the end shows the last one; a malformed choice is ignored.
    assert.match(await page(harness, "/console/executions/big?items.1=999"), /976–1000 of 1000/)
    assert.match(await page(harness, "/console/executions/big?items.1=abc&status.1=%3Cb%3E"), /1–25 of 1000/)
  }, 90_000)
})
