/**
 * The console's live updates in a real headless Chromium (Debian's, driven by playwright-core) against a real
 * reprise/node server, reached through a TCP relay that the test can cut, as a proxy or a flaky network drops a
 * long-lived connection:
 * - the execution page follows the execution's event stream: nothing is asked while nothing is written (no
 *   polling), the page changes when an event is written, and after the stream is cut EventSource reconnects with
 *   Last-Event-ID and the events come on, none missed and none twice (read from Chromium's own record of the
 *   frames it received, over the DevTools protocol);
 * - a hidden tab closes its stream and, shown again, fetches the region and follows from what it shows;
 * - the list follows the lifecycle stream of its function, and catches up after a cut;
 * - where the app buffers responses (Lambda), the page polls every 2 s instead and still changes.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { createAdaptorServer } from "@hono/node-server"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { BrowserContext, Page } from "playwright-core"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { gatedTicks } from "./gated-ticks.ts"
import { launchPage } from "./browser-page.ts"
import { browserRequired, findBrowser, HOW_TO_RUN } from "./find-browser.ts"
import { makeHarness } from "./http-fixture.ts"

const browser = findBrowser()
if (browser.path === undefined && !browserRequired()) {
  console.warn(`console-live-browser.test.ts skipped: ${browser.missing}; to run it, ${HOW_TO_RUN}`)
}
const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts")
const KEY = "live-test-key"
const WAIT_MS = 15_000
/** Longer than two of the old 2 s polls: a page that polled would have asked at least twice. */
const QUIET_MS = 4500
const TICKS = 5

const { fn: relay, gatesOf, openAll } = gatedTicks("relay", TICKS)

/** A TCP relay to the server whose connections the test can cut at once. */
const makeCutter = async (port: number) => {
  const sockets = new Set<net.Socket>()
  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => socket.destroy())
  }
  const front = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1")
    track(client)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
  })
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    cut: () => {
      for (const socket of sockets) socket.destroy()
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      front.close(() => resolve())
    })
  }
}

const waitUntil = async (check: () => boolean | Promise<boolean>, what: string) => {
  const deadline = Date.now() + WAIT_MS
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Seen {
  readonly url: string
  readonly at: number
}

describe.skipIf(browser.path === undefined && !browserRequired())("the console's live updates in headless Chromium", () => {
  let dir: string
  let server: Server
  let cutter: Awaited<ReturnType<typeof makeCutter>>
  let context: BrowserContext
  let page: Page
  const requests: Array<Seen> = []
  const consoleMessages: Array<string> = []
  /** What Chromium's EventSource received (DevTools protocol), by request. */
  const frames: Array<{ requestId: string; eventName: string; eventId: string }> = []
  const streamUrls = new Map<string, string>()
  /** The Last-Event-ID of each request that sent one. */
  const resumedFrom: Array<string> = []

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return res.json() as Promise<Record<string, any>>
  }
  const seqsOf = async (id: string) => ((await api("GET", `/v1/executions/${id}/history?limit=1000`)).events as Array<{ seq: number }>).map((e) => e.seq)
  const since = (at: number, part: string) => requests.filter((r) => r.at >= at && r.url.includes(part))

  beforeAll(async () => {
    if (browser.path === undefined) throw new Error(`REPRISE_BROWSER_REQUIRED=1 but ${browser.missing}: ${HOW_TO_RUN}`)
    mkdirSync(ARTIFACTS, { recursive: true })
    dir = mkdtempSync(join(tmpdir(), "reprise-console-live-"))
    server = await serve({ functions: [relay], dbPath: join(dir, "reprise.db"), port: 0, apiKey: KEY, handleSignals: false, logging: { level: "none" } })
    cutter = await makeCutter(server.port)
    ;({ context, page } = await launchPage(browser.path, dir, WAIT_MS))
    page.on("console", (message) => void consoleMessages.push(message.text()))
    page.on("request", (request) => void requests.push({ url: request.url(), at: Date.now() }))
    const cdp = await context.newCDPSession(page)
    await cdp.send("Network.enable")
    cdp.on("Network.requestWillBeSent", (event) => void streamUrls.set(event.requestId, event.request.url))
    // The headers as sent (the network stack adds Last-Event-ID below what the page's request shows).
    cdp.on("Network.requestWillBeSentExtraInfo", (event) => {
      const lastEventId = Object.entries(event.headers).find(([name]) => name.toLowerCase() === "last-event-id")?.[1]
      if (lastEventId !== undefined) resumedFrom.push(String(lastEventId))
    })
    cdp.on("Network.eventSourceMessageReceived", (event) => void frames.push({ requestId: event.requestId, eventName: event.eventName, eventId: event.eventId }))

    await page.goto(`${cutter.url}/console/login`)
    await page.fill('input[name="key"]', KEY)
    await page.click('#login button[type="submit"]')
    await page.waitForURL("**/console")
  }, 60_000)

  afterAll(async () => {
    openAll()
    await context?.close()
    await cutter?.close()
    await server?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("the execution page changes when an event is written, asks nothing otherwise, and resumes after a cut", async () => {
    const run = "page"
    const gate = gatesOf(run)
    const id = (await api("POST", "/v1/functions/relay/executions", { input: { run } })).executionId as string
    const pageUrl = `${cutter.url}/console/executions/${id}`
    const opened = Date.now()
    await page.goto(pageUrl)
    const region = page.locator("[data-live]")
    assert.strictEqual(await region.getAttribute("data-cursor"), "1", "the page shows the start only")
    const streamPath = `/console/api/v1/executions/${id}/events`
    await waitUntil(() => since(opened, streamPath).length === 1, "the page to open its event stream")

    // Nothing written: nothing asked (the old page asked every 2 s).
    await sleep(QUIET_MS)
    assert.deepStrictEqual(since(opened, `/console/executions/${id}/live`).map((r) => r.url), [], "no polling")

    const first = Date.now()
    gate[0]!.open()
    await page.locator("[data-live]", { hasText: "tick-0" }).waitFor()
    assert.isAbove(since(first, `/console/executions/${id}/live?since=1`).length, 0, "the region was fetched after the event")

    // Cut every connection (the stream's too), and write two events while the page is cut off.
    cutter.cut()
    gate[1]!.open()
    gate[2]!.open()
    await waitUntil(async () => (await seqsOf(id)).length === 4, "ticks 1 and 2 to be written")
    await page.locator("[data-live]", { hasText: "tick-2" }).waitFor()
    const streams = since(opened, streamPath)
    assert.isAtLeast(streams.length, 2, "EventSource reconnected")
    assert.deepStrictEqual(resumedFrom, ["2"], "it went on from the last event it had")

    for (const g of gate.slice(3)) g.open()
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
    await page.screenshot({ path: join(ARTIFACTS, "console-live-execution.png"), fullPage: true })

    // Every event after the page's cursor reached the page once, in order, across the cut.
    const all = await seqsOf(id)
    const received = frames.filter((f) => streamUrls.get(f.requestId)?.includes(streamPath)).map((f) => Number(f.eventId))
    assert.deepStrictEqual(received, all.slice(1), "none missed, none twice")
    const quietAfter = Date.now()
    await sleep(2500)
    assert.deepStrictEqual(since(quietAfter, "/console/").map((r) => r.url), [], "an ended execution's page asks nothing more")
    assert.deepStrictEqual(consoleMessages.filter((text) => /Content Security Policy|Refused to/i.test(text)), [])
  }, 60_000)

  it("typing holds the region only while a form in it differs; the rerun editor never does; the focus stays put", async () => {
    const run = "typing"
    const gate = gatesOf(run)
    const id = (await api("POST", "/v1/functions/relay/executions", { input: { run } })).executionId as string
    const opened = Date.now()
    await page.goto(`${cutter.url}/console/executions/${id}`)
    await waitUntil(() => since(opened, `/console/api/v1/executions/${id}/events`).length === 1, "the stream")

    // The rerun editor is outside the region: typing there holds nothing up (it once froze the page for good).
    await page.locator("#rerun summary").click()
    await page.locator("#rerun textarea").fill(`{"run": "edited"}`)
    gate[0]!.open()
    await page.locator("[data-live]", { hasText: "tick-0" }).waitFor()

    // A stop reason typed in the region holds it (a refresh would wipe it); emptied again, the region catches up.
    await page.locator("#stop input[name=reason]").fill("maybe")
    gate[1]!.open()
    await waitUntil(async () => (await seqsOf(id)).length === 3, "tick 1 to be written")
    await sleep(2500)
    assert.strictEqual(await page.locator("[data-live]", { hasText: "tick-1" }).count(), 0, "held while the reason is typed")
    // Said so: the stamp read "updated" a second ago over a region held back since (an ended execution read RUNNING).
    assert.include(await page.locator("#refreshed").textContent(), "changes held while a field holds your text")
    await page.locator("#stop input[name=reason]").fill("")
    await page.locator("[data-live]", { hasText: "tick-1" }).waitFor()

    // A keyboard reader on an operation's summary is still there after the region is replaced.
    const summary = page.locator("details[data-op] > summary").first()
    await summary.focus()
    const focusedOp = await summary.evaluate((element) => element.parentElement!.getAttribute("data-op"))
    gate[2]!.open()
    await page.locator("[data-live]", { hasText: "tick-2" }).waitFor()
    assert.strictEqual(await page.evaluate("document.activeElement?.tagName"), "SUMMARY", "the focus was not dropped to the body")
    assert.strictEqual(await page.evaluate(`document.activeElement?.parentElement?.getAttribute("data-op")`), focusedOp)
    for (const g of gate.slice(3)) g.open()
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
    assert.match(await page.locator("#refreshed").textContent() ?? "", /^\d\d:\d\d:\d\d UTC$/, "in UTC, as the page's other times")
  }, 60_000)

  it("a hidden tab closes its stream; shown again, it fetches the region and follows from there", async () => {
    const run = "hidden"
    const gate = gatesOf(run)
    const id = (await api("POST", "/v1/functions/relay/executions", { input: { run } })).executionId as string
    const opened = Date.now()
    await page.goto(`${cutter.url}/console/executions/${id}`)
    const streamPath = `/console/api/v1/executions/${id}/events`
    await waitUntil(() => since(opened, streamPath).length === 1, "the stream")
    // As a browser does when the tab is switched away from and back (the page's script reads document.hidden).
    const visibility = (hidden: boolean) =>
      page.evaluate(`Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} });
        document.dispatchEvent(new Event("visibilitychange"))`)

    await visibility(true)
    const hiddenAt = Date.now()
    gate[0]!.open()
    await waitUntil(async () => (await seqsOf(id)).length === 2, "tick 0 to be written")
    await sleep(1500)
    assert.deepStrictEqual(since(hiddenAt, "/console/").map((r) => r.url), [], "nothing asked while hidden")
    assert.strictEqual(await page.locator("[data-live]", { hasText: "tick-0" }).count(), 0)

    await visibility(false)
    await page.locator("[data-live]", { hasText: "tick-0" }).waitFor()
    await waitUntil(() => since(hiddenAt, `${streamPath}?cursor=2`).length === 1, "the stream opened anew from what the page shows")
    gate[1]!.open()
    await page.locator("[data-live]", { hasText: "tick-1" }).waitFor()
    for (const g of gate.slice(2)) g.open()
    await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
  }, 60_000)

  it("the list shows executions as they start and end, asks nothing otherwise, and catches up after a cut", async () => {
    const opened = Date.now()
    await page.goto(`${cutter.url}/console?function=relay`)
    await waitUntil(() => since(opened, "/console/api/v1/events?function=relay").length === 1, "the list to open its stream")
    await sleep(QUIET_MS)
    assert.deepStrictEqual(since(opened, "/console/live").map((r) => r.url), [], "no polling")

    const one = (await api("POST", "/v1/functions/relay/executions", { input: { run: "list-1" }, executionName: "list-1" })).executionId as string
    const row = (id: string) => page.locator(`tr[data-execution-id="${id}"]`)
    await row(one).locator(".badge", { hasText: "RUNNING" }).waitFor()
    for (const g of gatesOf("list-1")) g.open()
    await row(one).locator(".badge", { hasText: "SUCCEEDED" }).waitFor()

    // Started while the list is cut off: the lifecycle stream is live only, so the list catches up when it is back.
    cutter.cut()
    const two = (await api("POST", "/v1/functions/relay/executions", { input: { run: "list-2" }, executionName: "list-2" })).executionId as string
    await row(two).waitFor()
    assert.isAtLeast(since(opened, "/console/api/v1/events?function=relay").length, 2, "EventSource reconnected")
    const shown = await page.locator("tr[data-execution-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-execution-id")))
    assert.strictEqual(new Set(shown).size, shown.length, "each execution once")
    assert.includeMembers(shown, [one, two])
    await page.screenshot({ path: join(ARTIFACTS, "console-live-list.png"), fullPage: true })
  }, 60_000)

  it("where responses are buffered (Lambda), the page polls every 2 s instead, and still changes", async () => {
    const harness = makeHarness({ bufferedResponses: true })
    const node = createAdaptorServer({ fetch: harness.app.fetch, hostname: "127.0.0.1" })
    await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", resolve))
    try {
      const base = `http://127.0.0.1:${(node.address() as AddressInfo).port}`
      const { executionId, callbackId } = await harness.startApproval(3)
      const opened = Date.now()
      await page.goto(`${base}/console/executions/${executionId}`)
      await waitUntil(() => since(opened, `${base}/console/executions/${executionId}/live?since=`).length >= 2, "two polls")
      assert.deepStrictEqual(since(opened, "/events").map((r) => r.url), [], "no event stream")
      assert.strictEqual((await harness.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "ok" } })).status, 204)
      await page.locator("#status", { hasText: "SUCCEEDED" }).waitFor()
    } finally {
      await page.goto("about:blank")
      ;(node as { closeAllConnections?: () => void }).closeAllConnections?.()
      await new Promise<void>((resolve) => node.close(() => resolve()))
      await harness.dispose()
    }
  }, 60_000)
})
