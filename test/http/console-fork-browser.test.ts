/**
 * Fork, rewind, pause and resume from the console in a real headless Chromium (as console-browser.test.ts, against a
 * real reprise/node server): a FAILED execution is rewound to its failed operation after the fix, only once the
 * confirmation is accepted; "Fork from here" on an operation makes a new execution linked to its source; a running
 * execution is paused and resumed.
 * Screenshots go to test-artifacts/.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { launchPage } from "./browser-page.ts"
import { browserRequired, findBrowser, HOW_TO_RUN } from "./find-browser.ts"
import { bug, opsFlow, opsWaiting, runs } from "./fork-rewind-checks.ts"

const browser = findBrowser()
if (browser.path === undefined && !browserRequired()) {
  console.warn(`console-fork-browser.test.ts skipped: ${browser.missing}; to run it, ${HOW_TO_RUN}`)
}
const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts")
const KEY = "console-fork-key"
const WAIT_MS = 15_000

describe.skipIf(browser.path === undefined && !browserRequired())("fork and rewind in the console (headless Chromium)", () => {
  let dir: string
  let server: Server
  let context: BrowserContext
  let page: Page
  const dialogs: Array<string> = []
  let answerDialog = true

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return res.json() as Promise<Record<string, any>>
  }
  const ended = async (id: string) => {
    for (let i = 0; i < 500; i++) {
      const view = await api("GET", `/v1/executions/${id}`)
      if (view.status !== "RUNNING") return view
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`${id} did not end`)
  }

  beforeAll(async () => {
    if (browser.path === undefined) throw new Error(`REPRISE_BROWSER_REQUIRED=1 but ${browser.missing}: ${HOW_TO_RUN}`)
    mkdirSync(ARTIFACTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), "reprise-console-fork-"))
    server = await serve({ functions: [opsFlow, opsWaiting], dbPath: join(dir, "reprise.db"), port: 0, apiKey: KEY, handleSignals: false })
    ;({ context, page } = await launchPage(browser.path, dir, WAIT_MS))
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

  it("rewinds a FAILED execution to its failed operation after the confirmation, then forks it from an operation", async () => {
    bug.on = true
    const n = 777_001
    await api("POST", "/v1/functions/ops-flow/executions", { executionName: "console-failed", input: { n } })
    assert.strictEqual((await ended("console-failed")).status, "FAILED")
    bug.on = false // the fix is deployed

    await page.goto(`${server.url}/console`)
    await page.fill('input[name="key"]', KEY)
    await page.click('#login button[type="submit"]')
    await page.locator('tr[data-execution-id="console-failed"]').waitFor()
    await page.goto(`${server.url}/console/executions/console-failed`)
    const c = page.locator('details[data-op="3"]')
    await c.locator("button.rewind").waitFor()
    // Nested operations offer neither action.
    assert.strictEqual(await page.locator('details[data-op="1-1"] button.rewind, details[data-op="1-1"] button.fork').count(), 0)
    const historyLength = (await api("GET", "/v1/executions/console-failed/history")).events.length

    answerDialog = false
    const before = dialogs.length
    await c.locator("button.rewind").click()
    for (let i = 0; dialogs.length === before && i < 500; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 300)) // a declined form would have been sent by now
    assert.include(dialogs.at(-1) ?? "", "Rewind this FAILED execution to operation 3?")
    assert.strictEqual((await api("GET", "/v1/executions/console-failed/history")).events.length, historyLength, "declined: nothing sent")

    answerDialog = true
    await c.locator("button.rewind").click()
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor({ timeout: WAIT_MS })
    assert.strictEqual(await page.locator("#rewinds").innerText(), "once")
    const view = await api("GET", "/v1/executions/console-failed")
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual([runs[`${n}:a`], runs[`${n}:b`], runs[`${n}:c`], runs[`${n}:d`]], [1, 1, 2, 1])
    await page.screenshot({ path: join(ARTIFACTS, "console-rewound.png"), fullPage: true })

    // A succeeded execution offers fork, not rewind.
    assert.strictEqual(await page.locator("button.rewind").count(), 0)
    await page.locator('details[data-op="2"] button.fork').click()
    assert.include(dialogs.at(-1) ?? "", "Fork this execution from operation 2?")
    await page.waitForURL((url) => url.pathname.startsWith("/console/executions/") && !url.pathname.endsWith("/console-failed"))
    await page.locator("#forked-from").waitFor()
    assert.include(await page.locator("#forked-from").innerText(), "console-failed before operation 2")
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor({ timeout: WAIT_MS })
    const forkId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1)!)
    const fork = await api("GET", `/v1/executions/${forkId}`)
    assert.deepStrictEqual(fork.forkedFrom, { executionId: "console-failed", operationId: "2" })
    assert.deepStrictEqual([runs[`${n}:a`], runs[`${n}:b`], runs[`${n}:c`], runs[`${n}:d`]], [1, 2, 3, 2])
    await page.screenshot({ path: join(ARTIFACTS, "console-forked.png"), fullPage: true })
  }, 90_000)

  it("pauses and resumes a running execution from its page, each after the confirmation", async () => {
    await api("POST", "/v1/functions/ops-waiting/executions", { executionName: "console-held" })
    await page.goto(`${server.url}/console/executions/console-held`)
    await page.locator("#pause button").waitFor()
    await page.click("#pause button")
    assert.include(dialogs.at(-1) ?? "", "Pause this execution?")
    await page.locator("#status", { hasText: "PAUSED" }).waitFor({ timeout: WAIT_MS })
    assert.strictEqual((await api("GET", "/v1/executions/console-held")).status, "PAUSED")
    await page.locator("#resume button").waitFor()
    await page.click("#resume button")
    assert.include(dialogs.at(-1) ?? "", "Resume this execution?")
    await page.locator("#status", { hasText: "RUNNING" }).waitFor({ timeout: WAIT_MS })
    assert.strictEqual((await api("GET", "/v1/executions/console-held")).status, "RUNNING")
    await page.screenshot({ path: join(ARTIFACTS, "console-resumed.png"), fullPage: true })
  }, 60_000)
})
