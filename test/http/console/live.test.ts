/** The console's live refresh (only what changed, never the page), its caps, the login header and the empty state. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { type Harness, makeHarness, until } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const get = async (harness: Harness, path: string, headers: Record<string, string> = {}) => {
  const res = await harness.app.request(path, { headers })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

const liveOf = (text: string) => {
  const match = /<div data-live="([^"]+)" data-version="([^"]+)"/.exec(text)
  assert.isNotNull(match, "a live region")
  return { src: match![1]!.replace(/&amp;/g, "&"), version: match![2]! }
}

const assertRegionOnly = (text: string) => {
  assert.match(text, /^<div data-live=/)
  for (const part of ["<html", "<style", "<script", "<header", "nonce="]) assert.notInclude(text, part)
}

const items = durable("items", async (_input: unknown, ctx) => {
  const done = await ctx.map("each", Array.from({ length: 1000 }, (_, i) => i), async (child, n) => child.step("square", async () => n * n))
  return done.successCount
})

describe("the console's live refresh", () => {
  it("an execution's region: 204 while its log has not grown, then the region alone (no page, no style, no script)", async () => {
    const harness = h = makeHarness()
    const { executionId, callbackId } = await harness.startApproval(5)
    const first = liveOf((await get(harness, `/console/executions/${executionId}`)).text)
    assert.strictEqual(first.src, `/console/executions/${executionId}/live`)

    const same = await get(harness, `${first.src}?since=${first.version}`)
    assert.strictEqual(same.status, 204)
    assert.strictEqual(same.text, "")

    assert.strictEqual((await harness.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "ok" } })).status, 204)
    await until(async () => ((await harness.engine((e) => e.describe(executionId))).status === "SUCCEEDED" ? true : undefined))
    const changed = await get(harness, `${first.src}?since=${first.version}`)
    assert.strictEqual(changed.status, 200)
    assertRegionOnly(changed.text)
    assert.match(changed.headers.get("content-security-policy") ?? "", /script-src 'none'/)
    const next = liveOf(changed.text)
    assert.isAbove(Number(next.version), Number(first.version))
    assert.include(changed.text, "data-ended")
    assert.include(changed.text, "SUCCEEDED")
  })

  it("the list's region: 204 while the list is the same, the region when an execution starts", async () => {
    const harness = h = makeHarness()
    await harness.startApproval(1)
    const first = liveOf((await get(harness, "/console")).text)
    assert.strictEqual((await get(harness, `${first.src}?since=${first.version}`)).status, 204)
    await harness.request("POST", "/v1/functions/echo/executions", { json: { input: 1, executionName: "new-one" } })
    const changed = await get(harness, `${first.src}?since=${first.version}`)
    assert.strictEqual(changed.status, 200)
    assertRegionOnly(changed.text)
    assert.include(changed.text, `data-execution-id="new-one"`)
  })

  it("a map of 1000 items: the page stays small (items grouped and paged, history capped with a note)", async () => {
    const harness = h = makeHarness({ functions: [items] })
    await harness.request("POST", "/v1/functions/items/executions", { json: { executionName: "big-map" } })
    await until(async () => ((await harness.engine((e) => e.describe("big-map"))).status === "SUCCEEDED" ? true : undefined), 30_000)
    const shown = await get(harness, "/console/executions/big-map")
    assert.strictEqual(shown.status, 200)
    assert.isBelow(shown.text.length, 600_000, `the page is ${shown.text.length} characters`)
    assert.match(shown.text, /1000 children/)
    assert.isBelow(shown.text.length, 200_000, `the page is ${shown.text.length} characters`)
    assert.match(shown.text, /reprise history or the JSON API has every one/)
  }, 60_000)
})

describe("the console's pages", () => {
  it("the login page does not say 'auth off' while asking for the key", async () => {
    const harness = h = makeHarness({ apiKey: "k" })
    for (const path of ["/console/login", "/console"]) {
      const shown = await get(harness, path)
      assert.include(shown.text, 'id="login"')
      assert.notInclude(shown.text, "auth off", path)
      assert.notInclude(shown.text, "Log out", path)
    }
  })

  it("the empty state says how to start an execution", async () => {
    const harness = h = makeHarness()
    const shown = await get(harness, "/console")
    assert.include(shown.text, "No executions yet")
    assert.include(shown.text, "reprise start approval --input")
    assert.include(shown.text, "/v1/functions/approval/executions")
  })
})
