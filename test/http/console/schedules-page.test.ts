/**
 * The console's schedules page on the Node server (a real HTTP server on a SQLite file): each schedule with its next
 * tick and counts, and pause, resume and trigger through the console's proxy of the schedule routes; the live
 * region answers 204 while nothing changed.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { durable, schedule } from "../../../src/index.ts"

const report = durable("report", async (_: unknown, ctx) => ctx.step("build", async () => "built"))
let dir: string
let server: Server

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-console-schedules-"))
  server = await serve({
    functions: [report],
    schedules: [schedule("nightly-report", { function: report, cron: "30 2 * * *", timezone: "Europe/Paris", overlap: "skip", description: "The report of the day" })],
    dbPath: join(dir, "reprise.db"),
    port: 0,
    handleSignals: false,
    logging: { level: "none" }
  })
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const get = async (path: string) => {
  const response = await fetch(server.url + path)
  return { status: response.status, text: await response.text() }
}
/** A console action, as the page's script sends it. */
const act = async (action: string) => {
  const response = await fetch(`${server.url}/console/api/v1/schedules/nightly-report/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-reprise-console": "1" },
    body: "{}"
  })
  return { status: response.status, body: await response.json() as any }
}
const rowOf = (page: string) => page.match(/<tr data-schedule="nightly-report">[\s\S]*?<\/tr>/)?.[0] ?? ""

describe("the console's schedules page", () => {
  it("shows each schedule, and pauses, resumes and triggers it", async () => {
    const first = await get("/console/schedules")
    assert.strictEqual(first.status, 200)
    assert.include(first.text, `<a href="/console/schedules">Schedules</a>`)
    const row = rowOf(first.text)
    assert.include(row, "30 2 * * *")
    assert.include(row, "(Europe/Paris)")
    assert.include(row, "The report of the day")
    assert.include(row, "none yet")
    assert.match(row, /class="next">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/)
    assert.include(row, "/console/api/v1/schedules/nightly-report/pause")

    // Nothing changed: the live refresh answers 204 for the version the page holds.
    const version = first.text.match(/data-live="\/console\/schedules\/live" data-version="([^"]+)"/)?.[1]
    assert.isDefined(version)
    assert.strictEqual((await get(`/console/schedules/live?since=${version}`)).status, 204)

    assert.strictEqual((await act("pause")).status, 200)
    const paused = rowOf((await get("/console/schedules")).text)
    assert.include(paused, "<strong>paused</strong>")
    assert.include(paused, "/console/api/v1/schedules/nightly-report/resume")
    const changed = await get(`/console/schedules/live?since=${version}`)
    assert.strictEqual(changed.status, 200)
    assert.include(changed.text, "<strong>paused</strong>")

    const triggered = await act("trigger")
    assert.strictEqual(triggered.status, 201, JSON.stringify(triggered.body))
    assert.strictEqual(triggered.body.outcome, "started")
    assert.strictEqual((await act("resume")).status, 200)
    const after = rowOf((await get("/console/schedules")).text)
    assert.include(after, `href="/console/executions/${encodeURIComponent(triggered.body.executionId)}"`)
    assert.match(after, /<td>1<\/td><td>0/)
    assert.notInclude(after, "<strong>paused</strong>")
  })

  it("an unknown schedule's action is the API's 404, and the proxy takes only its own actions", async () => {
    const missing = await fetch(`${server.url}/console/api/v1/schedules/weekly/pause`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-reprise-console": "1" },
      body: "{}"
    })
    assert.strictEqual(missing.status, 404)
    assert.match((await missing.json() as { type: string }).type, /schedule-not-found/)
    const other = await fetch(`${server.url}/console/api/v1/schedules/nightly-report/delete`, { method: "POST", headers: { "x-reprise-console": "1" } })
    assert.strictEqual(other.status, 405) // the app's answer to a method no route of that path takes
  })

  it("says so when the server runs no schedules", async () => {
    const bare = await serve({ functions: [report], dbPath: join(dir, "bare.db"), port: 0, handleSignals: false, logging: { level: "none" } })
    try {
      const page = await (await fetch(`${bare.url}/console/schedules`)).text()
      assert.include(page, `id="no-schedules"`)
    } finally {
      await bare.close()
    }
  })
})
