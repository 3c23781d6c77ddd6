/**
 * Each console page in a real headless Chromium (Debian's, driven by playwright-core, as console-browser.test.ts),
 * against a reprise/node development server (`devTools`): every page fits a 420 px wide screen (no horizontal
 * overflow), and the keyboard alone searches the list, starts an execution from the functions page, fires a
 * pending wait and pages through a map's items. Assertions only; the browser is found by find-browser.ts.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { durable, schedule } from "../../src/index.ts"
import { launchPage } from "./browser-page.ts"
import { browserRequired, findBrowser, HOW_TO_RUN } from "./find-browser.ts"

const browser = findBrowser()
if (browser.path === undefined && !browserRequired()) {
  console.warn(`console-keyboard.test.ts skipped: ${browser.missing}; to run it, ${HOW_TO_RUN}`)
}
const WAIT_MS = 15_000

const echo = durable("echo", async (input: unknown, ctx) => ({ echoed: await ctx.step("echo", async () => input) }))
const nap = durable("nap", async (_: unknown, ctx) => {
  await ctx.wait("a-day", { days: 1 })
  return "woke early"
}, { description: "Sleeps for a day" })
/** Fails three attempts with a long message: its attempts table is the widest thing on its page. */
const flaky = durable("flaky", async (_: unknown, ctx) =>
  ctx.step("charge", async ({ attempt }) => {
    throw new Error(`attempt ${attempt}: the payment provider answered 503 Service Unavailable, retry later please`)
  }, { retryStrategy: (_error, attempts) => ({ shouldRetry: attempts < 3, delay: { seconds: 1 } }) }))
const items = durable("items", async (_: unknown, ctx) => {
  const done = await ctx.map("each", Array.from({ length: 300 }, (_, i) => i), async (child, n) => child.step("square", async () => n * n))
  return done.successCount
})

describe.skipIf(browser.path === undefined && !browserRequired())("the console by keyboard and on a narrow screen", () => {
  let dir: string
  let server: Server
  /** A second server, with an API key, for the login page (closed after the browser, which holds its connections). */
  let keyed: Server | undefined
  let context: BrowserContext
  let page: Page
  const problems: Array<string> = []

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return res.json() as Promise<Record<string, any>>
  }

  /** Presses Tab until `selector` has the focus (at most 60 times): the element is reachable by keyboard. */
  const tabTo = async (selector: string) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab")
      if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) === true`)) return
    }
    throw new Error(`Tab never reached ${selector}`)
  }

  /** The page scrolls down, never sideways: nothing is wider than the viewport. */
  const assertFits = async (what: string) => {
    const widths = await page.evaluate("({ body: document.body.scrollWidth, page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth })") as
      { body: number; page: number; view: number }
    const wide = await page.evaluate(`[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .slice(0, 8).map((e) => e.tagName + "#" + e.id + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`)
    assert.isAtMost(widths.page, widths.view, `${what}: ${JSON.stringify(widths)} ${JSON.stringify(wide)}`)
    assert.isAtMost(widths.body, widths.view, `${what}: ${JSON.stringify(widths)} ${JSON.stringify(wide)}`)
  }

  beforeAll(async () => {
    if (browser.path === undefined) throw new Error(`REPRISE_BROWSER_REQUIRED=1 but ${browser.missing}: ${HOW_TO_RUN}`)
    dir = mkdtempSync(join(tmpdir(), "reprise-console-keys-"))
    const nightly = schedule("nightly-echo-with-a-long-name", { function: echo, cron: "30 2 * * *", timezone: "America/Argentina/Buenos_Aires", description: "Echoes the night's input back, for the keyboard test" })
    server = await serve({ functions: [echo, nap, items, flaky], schedules: [nightly], dbPath: join(dir, "reprise.db"), port: 0, devTools: true, handleSignals: false })
    ;({ context, page } = await launchPage(browser.path, dir, WAIT_MS))
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text())
    })
    page.on("pageerror", (error) => void problems.push(error.message))
    page.on("dialog", (dialog) => void dialog.accept())
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await keyed?.close()
    await server?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("searches the list by keyboard: input text with Enter, then a time range, then an id", async () => {
    for (const [name, input] of [["kb-ada", { email: "ada@example.com" }], ["kb-bob", { email: "bob@example.com" }]] as const) {
      assert.strictEqual((await api("POST", "/v1/functions/echo/executions?wait=5", { input, executionName: name })).status, "SUCCEEDED")
    }
    await page.goto(`${server.url}/console`)
    await tabTo('#filters input[name="input"]')
    await page.keyboard.type("ADA@")
    await page.keyboard.press("Enter")
    await page.waitForURL(/input=ADA%40/)
    const shown = async () => page.locator("#executions tbody tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-execution-id")))
    assert.deepStrictEqual(await shown(), ["kb-ada"])
    assert.strictEqual(await page.locator('#filters input[name="input"]').inputValue(), "ADA@", "the form keeps the search")

    // A time range that ends before these executions began: none of them.
    await page.fill('#filters input[name="input"]', "")
    await page.fill('#filters input[name="to"]', "2020-01-01T00:00")
    await page.locator('#filters input[name="to"]').press("Enter")
    await page.waitForURL(/to=2020-01-01T00%3A00/)
    assert.strictEqual(await page.locator("#executions tbody tr").count(), 0)
    assert.include(await page.locator("#empty").innerText(), "No executions match")

    await page.goto(`${server.url}/console`)
    await tabTo('#filters input[name="id"]')
    await page.keyboard.type("kb-bob")
    await page.keyboard.press("Enter")
    await page.waitForURL(/id=kb-bob/)
    assert.deepStrictEqual(await shown(), ["kb-bob"])
    assert.deepStrictEqual(problems, [])
  }, 60_000)

  it("starts an execution from the functions page with the keyboard alone (Tab, type, Ctrl+Enter)", async () => {
    await page.goto(`${server.url}/console/functions`)
    await tabTo('section[data-function="echo"] textarea[name="input"]')
    await page.keyboard.type('{"typed": true}')
    await page.keyboard.press("Control+Enter")
    await page.waitForURL(/\/console\/executions\/[^/]+$/)
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
    assert.include(await page.locator("#input").innerText(), '"typed": true')

    // The button is reachable too: Tab onto it and Enter.
    await page.goto(`${server.url}/console/functions`)
    await tabTo('section[data-function="echo"] textarea[name="input"]')
    await page.keyboard.type("7")
    await tabTo('section[data-function="echo"] button.start-button')
    await page.keyboard.press("Enter")
    await page.waitForURL(/\/console\/executions\/[^/]+$/)
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
    assert.strictEqual((await page.locator("#input").innerText()).trim(), "7")
    assert.deepStrictEqual(problems, [])
  }, 60_000)

  it("fires a pending wait from the page (development): Tab to Fire now, Enter, and the execution ends", async () => {
    await api("POST", "/v1/functions/nap/executions", { executionName: "kb-nap" })
    await page.goto(`${server.url}/console/executions/kb-nap`)
    const fire = page.locator('#waiting-on button.fire')
    await fire.waitFor()
    assert.include(await page.locator("#waiting-on").innerText(), "sleeping until")
    await tabTo("#waiting-on button.fire")
    await page.keyboard.press("Enter")
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
    assert.include(await page.locator("#result").innerText(), "woke early")
    assert.strictEqual((await api("GET", "/v1/executions/kb-nap")).status, "SUCCEEDED")
    assert.deepStrictEqual(problems, [])
  }, 60_000)

  it("pauses and resumes a schedule with the keyboard alone (Tab to the button, Enter)", async () => {
    await page.goto(`${server.url}/console/schedules`)
    const row = 'tr[data-schedule="nightly-echo-with-a-long-name"]'
    await page.locator(row).waitFor()
    await tabTo(`${row} form[data-kind="pause"] button`)
    await page.keyboard.press("Enter")
    await page.locator(`${row} td.next`, { hasText: "paused" }).waitFor()
    assert.strictEqual((await api("GET", "/v1/schedules/nightly-echo-with-a-long-name")).paused, true)
    await tabTo(`${row} form[data-kind="resume"] button`)
    await page.keyboard.press("Enter")
    await page.locator(`${row} form[data-kind="pause"]`).waitFor()
    assert.strictEqual((await api("GET", "/v1/schedules/nightly-echo-with-a-long-name")).paused, false)
    assert.deepStrictEqual(problems, [])
  }, 60_000)

  it("pages through a map's 300 items by keyboard: a count by status, 25 at a time", async () => {
    assert.strictEqual((await api("POST", "/v1/functions/items/executions?wait=30", { executionName: "kb-items" })).status, "SUCCEEDED")
    await page.goto(`${server.url}/console/executions/kb-items`)
    const group = page.locator('.group[data-group="1"]')
    assert.include(await group.innerText(), "300 children")
    assert.include(await group.innerText(), "1–25 of 300")
    const itemsDrawn = async () => (await page.locator("#operations details.op").evaluateAll((all) => all.map((d) => d.getAttribute("data-op"))))
      .filter((id) => /^1-\d+$/.test(id ?? ""))
    assert.strictEqual((await itemsDrawn()).length, 25)
    await tabTo('.group[data-group="1"] a.next')
    await page.keyboard.press("Enter")
    await page.waitForURL(/items\.1=1/)
    assert.include(await page.locator('.group[data-group="1"]').innerText(), "26–50 of 300")
    assert.deepStrictEqual((await itemsDrawn()).slice(0, 1), ["1-26"])
    assert.deepStrictEqual(problems, [])
  }, 60_000)

  it("logs in by keyboard on a 420 px screen (a server with an API key)", async () => {
    const key = "keyboard-test-key"
    keyed = await serve({ functions: [echo], dbPath: join(dir, "keyed.db"), port: 0, apiKey: key, handleSignals: false })
    await page.setViewportSize({ width: 420, height: 900 })
    try {
      await page.goto(`${keyed.url}/console`)
      await page.locator("#login").waitFor()
      await assertFits("/console/login")
      // The key field has the focus on arrival (autofocus, which the browser applies a moment after the load: waited
      // for, bounded by the page's timeout); Enter sends the form.
      await page.waitForFunction(`document.activeElement?.matches('#login input[name="key"]') === true`)
      await page.keyboard.type(key)
      await page.keyboard.press("Enter")
      await page.locator("#filters").waitFor()
      assert.strictEqual(new URL(page.url()).pathname, "/console")
      await assertFits("/console, logged in")
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 })
    }
  }, 60_000)

  it("every page fits a 420 px wide screen", async () => {
    await api("POST", "/v1/functions/nap/executions", { executionName: "kb-nap-narrow" })
    assert.strictEqual((await api("POST", "/v1/functions/flaky/executions?wait=30", { executionName: "kb-flaky" })).status, "FAILED")
    await page.setViewportSize({ width: 420, height: 900 })
    try {
      for (const path of ["/console", "/console?input=ada&from=2020-01-01T00:00", "/console/functions", "/console/executions/kb-ada", "/console/executions/kb-nap-narrow", "/console/executions/kb-items", "/console/executions/kb-flaky", "/console/executions/kb-flaky?status.1=FAILED", "/console/executions/missing", "/console/schedules"]) {
        await page.goto(server.url + path)
        await page.locator("main").waitFor()
        await assertFits(path)
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 })
    }
    assert.deepStrictEqual(problems, [])
  }, 60_000)
})
