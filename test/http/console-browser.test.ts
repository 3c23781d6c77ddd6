/**
 * The console in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), against a real
 * reprise/node server with the order-fulfilment example: log in, open the list, open the order waiting on its
 * warehouse callback, complete the callback from the page and watch the execution succeed; stop another order
 * (after declining the confirmation once), and delete an ended execution likewise; start an execution from the
 * functions page (bad JSON refused, nothing started) and rerun it with edited input; and check that a payload carrying HTML and script renders as text.
 * Screenshots go to test-artifacts/. The browser is found by find-browser.ts; without one the suite is skipped
 * with a line saying how to run it (an error where REPRISE_BROWSER_REQUIRED=1, as in .ci/run).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { fakeOrderServices, makeOrderFulfilment } from "../../examples/order-fulfilment.ts"
import { durable, schedule } from "../../src/index.ts"
import { launchPage } from "./browser-page.ts"
import { browserRequired, findBrowser, HOW_TO_RUN } from "./find-browser.ts"

const browser = findBrowser()
if (browser.path === undefined && !browserRequired()) {
  console.warn(`console-browser.test.ts skipped: ${browser.missing}; to run it, ${HOW_TO_RUN}`)
}
/** The flags docs/toolchain.md gives for these machines (the closed network refuses Chromium's own connections). */
const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts")
const KEY = "console-test-key"
const WAIT_MS = 15_000

const order = { orderId: "o-42", email: "ada@example.com", amountCents: 4200, lines: [{ sku: "kettle", quantity: 1 }] }
const echo = durable("echo", async (input: unknown, ctx) => ({ echoed: await ctx.step("echo", async () => input) }))

const waitUntil = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + WAIT_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}


describe.skipIf(browser.path === undefined && !browserRequired())("the console in headless Chromium", () => {
  let dir: string
  let server: Server
  let services: ReturnType<typeof fakeOrderServices>
  let context: BrowserContext
  let page: Page
  const dialogs: Array<string> = []
  /** What Chromium logs on the console (a Content-Security-Policy violation is reported there). */
  const consoleMessages: Array<string> = []
  const requests: Array<string> = []
  let answerDialog = true

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return res.json() as Promise<Record<string, any>>
  }
  const statusShown = (status: string) =>
    page.locator("#status", { hasText: status }).waitFor({ timeout: WAIT_MS })
  /** Clicks `button` and declines the confirmation it asks for, whose text must include `asks`; then accepts again. */
  const declineOnce = async (button: string, asks: string) => {
    answerDialog = false
    const before = dialogs.length
    await page.click(button)
    await waitUntil(() => dialogs.length > before, "the confirmation")
    await new Promise((resolve) => setTimeout(resolve, 300)) // a declined form would have been sent by now
    assert.include(dialogs.at(-1) ?? "", asks)
    answerDialog = true
  }

  beforeAll(async () => {
    if (browser.path === undefined) throw new Error(`REPRISE_BROWSER_REQUIRED=1 but ${browser.missing}: ${HOW_TO_RUN}`)
    mkdirSync(ARTIFACTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), "reprise-console-"))
    services = fakeOrderServices({ paymentOutages: 1 }) // one retry, so the timeline has something to show
    const hourly = schedule("hourly-echo", { function: echo, cron: "0 * * * *", input: { tick: true } })
    server = await serve({ functions: [makeOrderFulfilment(services), echo], schedules: [hourly], dbPath: join(dir, "reprise.db"), port: 0, apiKey: KEY, handleSignals: false })
    ;({ context, page } = await launchPage(browser.path, dir, WAIT_MS))
    page.on("console", (message) => void consoleMessages.push(message.text()))
    page.on("request", (request) => void requests.push(request.url()))
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message())
      void (answerDialog ? dialog.accept() : dialog.dismiss())
    })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await server?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("logs in, lists executions, and completes the order's warehouse callback from the page", async () => {
    const started = await api("POST", "/v1/functions/order-fulfilment/executions", { input: order })
    const id = started.executionId as string

    await page.goto(`${server.url}/console`)
    assert.strictEqual(await page.locator("#login").count(), 1, "a login form first")
    await page.fill('input[name="key"]', KEY)
    await page.click('#login button[type="submit"]')
    const row = page.locator(`tr[data-execution-id="${id}"]`)
    await row.waitFor()
    assert.include(await row.innerText(), "order-fulfilment")
    await page.screenshot({ path: join(ARTIFACTS, "console-list.png"), fullPage: true })

    await row.locator("a").click()
    await page.waitForURL(`**/console/executions/${id}`)
    // The charge is retried once (about 2 s): live refresh brings the callback in when the order reaches it.
    const callback = page.locator('[data-callback="warehouse-packing"]')
    await callback.waitFor({ timeout: WAIT_MS })
    const shownId = await callback.locator(".callback-id").innerText()
    assert.strictEqual(shownId, services.warehouseInbox[0]?.callbackId, "the id the warehouse was given")
    assert.include(await page.locator("#timeline").innerText(), "charge-payment")
    await page.screenshot({ path: join(ARTIFACTS, "console-execution-waiting.png"), fullPage: true })

    await callback.locator('textarea[name="result"]').fill("not json")
    await callback.locator("button.succeed").click()
    await callback.locator(".msg").waitFor()
    assert.include(await callback.locator(".msg").innerText(), "not valid JSON")

    await callback.locator('textarea[name="result"]').fill(JSON.stringify({ parcelId: "p-9", weightKg: 1.5 }))
    await callback.locator("button.succeed").click()
    await statusShown("SUCCEEDED")
    assert.include(dialogs.at(-1) ?? "", 'Complete callback "warehouse-packing"')
    assert.include(await page.locator("#result").innerText(), "TRK-o-42-p-9")
    assert.strictEqual(await page.locator('[data-callback="warehouse-packing"]').count(), 0, "no longer pending")
    await page.screenshot({ path: join(ARTIFACTS, "console-execution.png"), fullPage: true })

    const view = await api("GET", `/v1/executions/${id}`)
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.strictEqual(services.calls.ship, 1)

    // Live refresh asked for changes only, never for the page again, and broke no Content-Security-Policy rule.
    const pageUrl = `${server.url}/console/executions/${id}`
    assert.strictEqual(requests.filter((url) => url === pageUrl).length, 1, "the page was loaded once")
    assert.isAbove(requests.filter((url) => url.startsWith(`${pageUrl}/live?since=`)).length, 0, "it was refreshed")
    assert.deepStrictEqual(consoleMessages.filter((text) => /Content Security Policy|Refused to/i.test(text)), [])
  }, 60_000)

  it("stops an execution only after the confirmation is accepted", async () => {
    const started = await api("POST", "/v1/functions/order-fulfilment/executions", { input: { ...order, orderId: "o-43" } })
    const id = started.executionId as string
    await page.goto(`${server.url}/console/executions/${id}`)
    await page.fill('#stop input[name="reason"]', "customer cancelled")

    await declineOnce("#stop button", "Stop this execution?")
    assert.strictEqual((await api("GET", `/v1/executions/${id}`)).status, "RUNNING", "declined: nothing sent")

    await page.click("#stop button")
    await statusShown("STOPPED")
    const view = await api("GET", `/v1/executions/${id}`)
    assert.strictEqual(view.status, "STOPPED")
    assert.strictEqual(view.error?.errorMessage, "customer cancelled")
  }, 60_000)

  it("deletes an ended execution only after the confirmation is accepted, then shows the list without it", async () => {
    const ended = await api("POST", "/v1/functions/echo/executions?wait=10", { input: { email: "ada@example.com" }, executionName: "erase-me" })
    assert.strictEqual(ended.status, "SUCCEEDED")
    await page.goto(`${server.url}/console/executions/erase-me`)
    await declineOnce("#delete button", "Delete this execution now?")
    assert.strictEqual((await api("GET", "/v1/executions/erase-me")).status, "SUCCEEDED", "declined: nothing sent")

    await page.click("#delete button")
    await page.waitForURL(`${server.url}/console`, { timeout: WAIT_MS })
    assert.strictEqual((await api("GET", "/v1/executions/erase-me")).status, 404)
    assert.strictEqual(await page.locator('tr[data-execution-id="erase-me"]').count(), 0)
  }, 60_000)

  it("starts an execution from the functions page, refusing bad JSON, and reruns it with edited input", async () => {
    const echoes = async () => ((await api("GET", "/v1/executions?function=echo&limit=100")).executions as Array<{ executionId: string }>).map((e) => e.executionId)
    const before = await echoes()
    await page.goto(`${server.url}/console`)
    await page.click('header a[href="/console/functions"]')
    await page.waitForURL("**/console/functions")
    const card = page.locator('section[data-function="echo"]')
    assert.include(await page.locator('section[data-function="order-fulfilment"]').innerText(), "order-fulfilment")
    await page.screenshot({ path: join(ARTIFACTS, "console-functions.png"), fullPage: true })

    await card.locator('textarea[name="input"]').fill('{"hello": "world",}')
    await card.locator("button.start-button").click()
    await card.locator(".msg").waitFor()
    assert.include(await card.locator(".msg").innerText(), "not valid JSON")
    await new Promise((resolve) => setTimeout(resolve, 300)) // a start that got through would be listed by now
    assert.deepStrictEqual(await echoes(), before, "bad JSON: nothing started")

    await card.locator('textarea[name="input"]').fill('{"hello": "world"}')
    await card.locator("button.start-button").click()
    await page.waitForURL(/\/console\/executions\/[^/]+$/)
    const firstId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!)
    assert.notInclude(before, firstId)
    await statusShown("SUCCEEDED")
    assert.include(await page.locator("#input").innerText(), '"hello": "world"')

    // Rerun: the same function, the input as the page shows it, edited; declined once, then confirmed.
    await page.click("#rerun summary")
    const editor = page.locator('#rerun-form textarea[name="input"]')
    assert.deepStrictEqual(JSON.parse(await editor.inputValue()), { hello: "world" }, "the same input, ready to edit")
    await editor.fill('{"hello": "again"}')
    await declineOnce("#rerun-form button", "Start a new execution of echo")
    assert.strictEqual((await echoes()).length, before.length + 1, "declined: nothing started")
    await page.click("#rerun-form button")
    await page.waitForURL((url) => url.pathname.startsWith("/console/executions/") && !url.pathname.endsWith(encodeURIComponent(firstId)))
    await statusShown("SUCCEEDED")
    assert.include(await page.locator("#input").innerText(), '"hello": "again"')
    assert.strictEqual((await echoes()).length, before.length + 2)

    // The list shows how long ago each started, beside the absolute time.
    await page.goto(`${server.url}/console?function=echo`)
    assert.match(await page.locator("#executions tbody tr").first().locator(".rel").first().innerText(), /^(just now|\d+ s ago)$/)
    assert.deepStrictEqual(consoleMessages.filter((text) => /Content Security Policy|Refused to/i.test(text)), [])
  }, 60_000)

  it("shows what an order waits on, copies its callback's curl line, and fits a 420 px wide screen", async () => {
    const started = await api("POST", "/v1/functions/order-fulfilment/executions", { input: { ...order, orderId: "o-44" } })
    const id = started.executionId as string
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url })
    await page.goto(`${server.url}/console/executions/${id}`)
    const callback = page.locator('[data-callback="warehouse-packing"]')
    await callback.waitFor({ timeout: WAIT_MS })
    assert.include(await page.locator("#waiting-on").innerText(), "waiting on callback warehouse-packing")

    const line = await callback.locator(".curl-line").innerText()
    assert.match(line, /^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/v1\/callbacks\/[^']+\/succeed' -H 'content-type: application\/json' -d '\{"result": /)
    await callback.locator("button.copy").click()
    await callback.locator("button.copy", { hasText: "Copied" }).waitFor()
    assert.strictEqual(await page.evaluate("navigator.clipboard.readText()"), line, "the clipboard holds the line")

    // A phone-sized screen: the page scrolls down, never sideways.
    await page.setViewportSize({ width: 420, height: 900 })
    await page.reload()
    await callback.waitFor()
    const widths = await page.evaluate("({ body: document.body.scrollWidth, page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth })") as
      Record<string, number>
    const wide = await page.evaluate(`[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).slice(0, 12).map((e) => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`)
    assert.isAtMost(widths.body!, widths.view!, `the body fits: ${JSON.stringify(widths)} ${JSON.stringify(wide)}`)
    assert.isAtMost(widths.page!, widths.view!, `the page fits: ${JSON.stringify(widths)}`)
    await page.screenshot({ path: join(ARTIFACTS, "console-execution-420.png"), fullPage: true })
    await page.setViewportSize({ width: 1280, height: 900 })
    assert.deepStrictEqual(consoleMessages.filter((text) => /Content Security Policy|Refused to/i.test(text)), [])
  }, 60_000)

  it("pauses, triggers and resumes a schedule from the schedules page, the row following each", async () => {
    await page.goto(`${server.url}/console`)
    await page.click('header a[href="/console/schedules"]')
    const row = page.locator('tr[data-schedule="hourly-echo"]')
    await row.waitFor({ timeout: WAIT_MS })
    await row.locator("button", { hasText: "Pause" }).click()
    await row.locator("td.next", { hasText: "paused" }).waitFor({ timeout: WAIT_MS })
    assert.include(dialogs.at(-1) ?? "", "Pause schedule hourly-echo?")
    assert.strictEqual((await api("GET", "/v1/schedules/hourly-echo")).paused, true)
    await row.locator("button", { hasText: "Trigger now" }).click()
    await row.locator('a[href^="/console/executions/hourly-echo"]').waitFor({ timeout: WAIT_MS })
    await row.locator("button", { hasText: "Resume" }).click()
    await row.locator("button", { hasText: "Pause" }).waitFor({ timeout: WAIT_MS })
    const view = await api("GET", "/v1/schedules/hourly-echo")
    assert.strictEqual(view.paused, false)
    assert.strictEqual(view.started, 1)
    await page.screenshot({ path: join(ARTIFACTS, "console-schedules.png"), fullPage: true })
  }, 60_000)

  it("renders a payload with HTML and script as text, running none of it", async () => {
    const evil = `</pre><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>`
    const res = await api("POST", "/v1/functions/echo/executions?wait=5", { input: { evil }, executionName: "xss-browser" })
    assert.strictEqual(res.status, "SUCCEEDED")
    await page.goto(`${server.url}/console/executions/xss-browser`)
    await page.locator("#input").waitFor()
    assert.include(await page.locator("#input").innerText(), `<script>window.__pwned = 1</script>`)
    assert.include(await page.locator("#result").innerText(), `<img src=x onerror=`)
    assert.strictEqual(await page.evaluate("typeof window.__pwned === 'undefined' ? undefined : window.__pwned"), undefined)
    assert.strictEqual(await page.locator("main img, main b, main script").count(), 0, "no element came from a payload")
    await page.screenshot({ path: join(ARTIFACTS, "console-escaping.png"), fullPage: true })
  }, 60_000)
})
