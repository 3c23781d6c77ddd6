/** The console's functions page, starting and rerunning executions through it, and its relative times. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { ago } from "../../../src/http/console/format.ts"
import { type Harness, makeHarness, until } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const get = async (harness: Harness, path: string) => {
  const res = await harness.app.request(path)
  return { status: res.status, text: await res.text() }
}

const CONSOLE = { "x-reprise-console": "1" }

const post = (harness: Harness, path: string, body: string, headers: Record<string, string>) =>
  harness.app.request(path, { method: "POST", headers, body })

/** The HTML of the `<section data-function="name">` card. */
const card = (text: string, name: string) => {
  const start = text.indexOf(`<section class="card fn" data-function="${name}">`)
  assert.isAbove(start, -1, `a card for ${name}`)
  return text.slice(start, text.indexOf("</section>", start))
}

const unescape = (text: string) =>
  text.replace(/&quot;/g, "\"").replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")

describe("the functions page", () => {
  it("lists each function with its description, its recent executions and a start form", async () => {
    const harness = h = makeHarness()
    for (let i = 0; i < 7; i++) {
      assert.strictEqual((await harness.request("POST", "/v1/functions/echo/executions", { json: { input: i, executionName: `echo-${i}` } })).status, 201)
    }
    const { status, text } = await get(harness, "/console/functions")
    assert.strictEqual(status, 200)
    assert.include(text, 'href="/console/functions"', "the header links to it")

    const approval = card(text, "approval")
    assert.include(approval, "Waits for a manager&#39;s approval")
    assert.include(approval, "None yet.")
    assert.include(approval, 'data-api="/console/api/v1/functions/approval/executions" data-kind="start"')

    const echo = card(text, "echo")
    assert.include(echo, "No description.")
    const shown = [...echo.matchAll(/data-execution-id="([^"]+)"/g)].map((m) => m[1])
    assert.deepStrictEqual(shown.sort(), ["echo-2", "echo-3", "echo-4", "echo-5", "echo-6"], "the five newest")
    assert.match(echo, /<span class="muted rel" data-at="\d+">(just now|\d+ s ago)<\/span>/)
    assert.include(echo, 'href="/console?function=echo"')
    assert.include(echo, 'textarea name="input"')
  })

  it("starts an execution through the console's proxy of the API's start route", async () => {
    const harness = h = makeHarness()
    const path = "/console/api/v1/functions/echo/executions"
    const json = { "content-type": "application/json" }
    assert.strictEqual((await post(harness, path, JSON.stringify({ input: 1 }), json)).status, 400, "no console header")
    assert.strictEqual((await post(harness, path, "input=1", { ...CONSOLE, "content-type": "application/x-www-form-urlencoded" })).status, 415, "JSON only")
    const bad = await post(harness, path, "{not json", { ...CONSOLE, ...json })
    assert.strictEqual(bad.status, 400, "the API refuses a body that is not JSON")
    assert.strictEqual((await harness.engine((e) => e.list({ functionName: "echo", limit: 10 }))).items.length, 0, "nothing started")

    const res = await post(harness, path, JSON.stringify({ input: { n: 7 } }), { ...CONSOLE, ...json })
    assert.strictEqual(res.status, 201)
    const { executionId } = await res.json() as { executionId: string }
    const view = await until(async () => {
      const v = await harness.engine((e) => e.describe(executionId))
      return v.status === "RUNNING" ? undefined : v
    })
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.strictEqual(view.functionName, "echo")
    const unknown = await post(harness, "/console/api/v1/functions/nope/executions", "{}", { ...CONSOLE, ...json })
    assert.strictEqual(unknown.status, 404, "the API's own answer")
  })

  it("guards the start proxy with the session when there is an API key", async () => {
    const harness = h = makeHarness({ apiKey: "k" })
    const res = await post(harness, "/console/api/v1/functions/echo/executions", "{}", { ...CONSOLE, "content-type": "application/json" })
    assert.strictEqual(res.status, 401)
    assert.strictEqual((await get(harness, "/console/functions")).status, 401)
  })
})

describe("rerun", () => {
  it("offers the execution's own input, escaped, in a start form for the same function, with a confirmation", async () => {
    const harness = h = makeHarness()
    const input = { note: "</textarea><script>alert(1)</script>", n: [1, 2] }
    assert.strictEqual((await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input, executionName: "first" } })).status, 201)
    const { text } = await get(harness, "/console/executions/first")
    const form = /<form class="start" data-api="([^"]+)" data-kind="start" data-function="echo" id="rerun-form" data-confirm="([^"]+)">[\s\S]*?<textarea[^>]*>([\s\S]*?)<\/textarea>/.exec(text)
    assert.isNotNull(form, "a rerun form")
    assert.strictEqual(form![1], "/console/api/v1/functions/echo/executions")
    assert.include(form![2], "Start a new execution of echo")
    assert.deepStrictEqual(JSON.parse(unescape(form![3]!)), input, "the same input, as JSON")
    assert.notInclude(text, "<script>alert(1)")
    const rerunAt = text.indexOf('id="rerun"')
    assert.isAbove(rerunAt, -1)
    assert.isBelow(rerunAt, text.indexOf("<div data-live"), "outside the live region: a refresh never resets an edit")

    const none = await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { executionName: "no-input" } })
    assert.strictEqual(none.status, 201)
    assert.match((await get(harness, "/console/executions/no-input")).text, /id="rerun-form"[^>]*>[\s\S]*?<textarea[^>]*><\/textarea>/, "no input: empty editor")
  })
})

describe("relative times", () => {
  it("reads as people say it, in the past and ahead", () => {
    const now = Date.parse("2026-12-02T12:00:00Z")
    assert.strictEqual(ago(now - 2_000, now), "just now")
    assert.strictEqual(ago(now - 42_000, now), "42 s ago")
    assert.strictEqual(ago(now - 3 * 60_000 - 20_000, now), "3 min ago")
    assert.strictEqual(ago("2026-12-02T07:00:00Z", now), "5 h ago")
    assert.strictEqual(ago(now - 2 * 86_400_000 - 1, now), "2 d ago")
    assert.strictEqual(ago(now + 3 * 60_000, now), "in 3 min")
    assert.strictEqual(ago(undefined, now), "")
    assert.strictEqual(ago("not a time", now), "")
  })

  it("stands beside the absolute times in the executions list", async () => {
    const harness = h = makeHarness()
    assert.strictEqual((await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1, executionName: "r-1" } })).status, 201)
    const { text } = await get(harness, "/console")
    const row = /<tr data-execution-id="r-1">([\s\S]*?)<\/tr>/.exec(text)?.[1] ?? ""
    const cells = [...row.matchAll(/(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z) <span class="muted rel" data-at="(\d+)">(just now|\d+ s ago)<\/span>/g)]
    assert.strictEqual(cells.length, 2, "started and ended")
    for (const [, absolute, at] of cells) assert.strictEqual(Date.parse(absolute!.replace(" ", "T")), Number(at), "the same instant")
  })
})
