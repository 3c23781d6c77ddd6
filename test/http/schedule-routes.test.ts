/** The schedule routes on a real Node server (SQLite file, 127.0.0.1), with an API key. */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { durable, schedule, ScheduleConfigError } from "../../src/index.ts"

const KEY = "schedule-routes-key"
const job = durable("nightly-job", async (input: { kind: string }, ctx) => ctx.step("run", async () => `ran ${input.kind}`))
const nightly = schedule("nightly", { function: job, cron: "0 3 * * *", timezone: "Europe/Paris", input: { kind: "nightly" }, description: "at 03:00 Paris" })

let dir: string
let server: Server
const call = async (method: string, path: string, key: string | null = KEY) => {
  // Writes are JSON even when empty (src/http/require-json.ts).
  const json = method === "POST" ? { "content-type": "application/json" } : {}
  const response = await fetch(`${server.url}${path}`, { method, headers: key === null ? json : { ...json, authorization: `Bearer ${key}` } })
  return { status: response.status, type: response.headers.get("content-type"), body: (await response.json()) as any }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-schedule-routes-"))
  server = await serve({ functions: [job], schedules: [nightly], dbPath: join(dir, "reprise.db"), port: 0, apiKey: KEY, handleSignals: false })
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("schedule routes", () => {
  it("lists the schedules with their next tick, behind the API key", async () => {
    assert.strictEqual((await call("GET", "/v1/schedules", null)).status, 401)
    const { status, body } = await call("GET", "/v1/schedules")
    assert.strictEqual(status, 200)
    const [view] = body.schedules
    assert.deepInclude(view, { name: "nightly", functionName: "nightly-job", cron: "0 3 * * *", timezone: "Europe/Paris", overlap: "skip", paused: false, started: 0, skipped: 0 })
    const next = new Date(view.nextTickAt)
    assert.isAbove(next.getTime(), Date.now())
    assert.strictEqual(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" }).format(next), "03:00")
    assert.deepStrictEqual((await call("GET", "/v1/schedules/nightly")).body, view)
  })

  it("pauses, triggers and resumes", async () => {
    const paused = await call("POST", "/v1/schedules/nightly/pause")
    assert.strictEqual(paused.status, 200)
    assert.strictEqual(paused.body.paused, true)
    assert.isUndefined(paused.body.nextTickAt)

    const triggered = await call("POST", "/v1/schedules/nightly/trigger")
    assert.strictEqual(triggered.status, 201)
    assert.strictEqual(triggered.body.outcome, "started")
    assert.match(triggered.body.executionId, /^nightly:trigger:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const id = encodeURIComponent(triggered.body.executionId)
    let execution: any
    for (let i = 0; i < 200; i++) {
      execution = (await call("GET", `/v1/executions/${id}`)).body
      if (execution.status !== "RUNNING") break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, "ran nightly")

    const resumed = await call("POST", "/v1/schedules/nightly/resume")
    assert.strictEqual(resumed.body.paused, false)
    assert.isAbove(Date.parse(resumed.body.nextTickAt), Date.now())
    assert.strictEqual(resumed.body.started, 1)
    assert.strictEqual(resumed.body.lastExecutionId, triggered.body.executionId)
  })

  it("answers 404 schedule-not-found for an unknown schedule", async () => {
    const missing = await call("POST", "/v1/schedules/weekly/pause")
    assert.strictEqual(missing.status, 404)
    assert.strictEqual(missing.type, "application/problem+json")
    assert.match(missing.body.type, /schedule-not-found$/)
    assert.match(missing.body.detail, /No schedule is registered as "weekly"/)
    const long = await call("POST", `/v1/schedules/${"w".repeat(5000)}/pause`)
    assert.strictEqual(long.body.detail, `No schedule is registered as "${"w".repeat(128)}…"`)
  })

  it("a server without schedules lists none", async () => {
    const bare = await serve({ functions: [job], dbPath: join(dir, "bare.db"), port: 0, handleSignals: false })
    try {
      const response = await fetch(`${bare.url}/v1/schedules`)
      assert.deepStrictEqual(await response.json(), { schedules: [] })
    } finally {
      await bare.close()
    }
  })

  it("refuses to start with a schedule of a function it does not serve", async () => {
    const orphan = schedule("orphan", { function: "not-served", cron: "@hourly" })
    const error = await serve({ functions: [job], schedules: [orphan], dbPath: join(dir, "orphan.db"), port: 0, handleSignals: false }).then(
      (s) => s.close().then(() => undefined),
      (e: unknown) => e
    )
    assert.instanceOf(error, ScheduleConfigError)
    assert.match((error as Error).message, /starts "not-served", which is not among the registered functions/)
  })
})
