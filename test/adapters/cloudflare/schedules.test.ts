/**
 * Schedules on Workers (Miniflare/workerd): one Durable Object per schedule, its record in the object's storage and
 * its alarm at the next tick; the routes through the Worker; a tick the object slept through fires from its alarm
 * and starts the execution derived from the tick, once.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, client, removeDir, startMiniflare, tempDir, until, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/schedule-worker.ts", import.meta.url))
const dirs: Array<string> = []
const running: Array<Miniflare> = []
const MINUTE = 60_000

afterAll(async () => {
  for (const mf of running) await mf.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

describe("schedules on Workers", () => {
  it("arms a Durable Object alarm per schedule, serves the routes, and runs a missed tick from the alarm", async () => {
    const build = tempDir("schedules-build")
    dirs.push(build)
    const mf = startMiniflare({ scriptPath: await bundle(entry, build), extraObjects: { SCHEDULES: "ScheduleObject" } })
    running.push(mf)
    const api = client(mf)
    const alarmOf = async () => (await api.request("GET", "/test/schedules/every-minute/alarm")).body.at as number | null

    const listed = await api.request("GET", "/v1/schedules")
    assert.strictEqual(listed.status, 200)
    const [view] = listed.body.schedules
    assert.strictEqual(view.name, "every-minute")
    assert.strictEqual(await alarmOf(), Date.parse(view.nextTickAt), "the object's alarm is at the next tick")

    const triggered = await api.request("POST", "/v1/schedules/every-minute/trigger", { json: {} })
    assert.strictEqual(triggered.status, 201)
    assert.strictEqual((await untilStatus(api, triggered.body.executionId)).status, "SUCCEEDED")

    assert.strictEqual((await api.request("POST", "/v1/schedules/every-minute/pause", { json: {} })).body.paused, true)
    assert.strictEqual(await alarmOf(), null, "no alarm while paused")
    const resumed = await api.request("POST", "/v1/schedules/every-minute/resume", { json: {} })
    assert.strictEqual(await alarmOf(), Date.parse(resumed.body.nextTickAt))
    assert.strictEqual((await api.request("POST", "/v1/schedules/weekly/pause", { json: {} })).status, 404)

    // The object slept through the last whole minute's tick: its alarm fires at once and starts that tick.
    const due = Math.floor(Date.now() / MINUTE) * MINUTE
    await api.request("GET", `/test/schedules/every-minute/rewind?at=${due}`)
    const id = `every-minute:${new Date(due).toISOString().replace(".000Z", "Z")}`
    const ran = await until(async () => {
      const res = await api.describe(id)
      return res.status === 200 && res.body.status === "SUCCEEDED" ? res.body : undefined
    }, 15_000, "the missed tick's execution")
    assert.strictEqual(ran.functionName, "sweep")
    const after = (await api.request("GET", "/v1/schedules/every-minute")).body
    assert.isAbove(Date.parse(after.nextTickAt), due)
    assert.strictEqual(await alarmOf(), Date.parse(after.nextTickAt))
    assert.isAtLeast(after.started, 2)
  }, 60_000)

  it("skips a tick whose start is refused, records it, and says so in one JSON line naming the schedule", async () => {
    const build = tempDir("schedules-refused")
    dirs.push(build)
    const logged: Array<string> = []
    const mf = startMiniflare({ scriptPath: await bundle(entry, build), extraObjects: { SCHEDULES: "ScheduleObject" }, onLog: (log) => void logged.push(log.message) })
    running.push(mf)
    const api = client(mf)
    assert.strictEqual((await api.request("GET", "/v1/schedules/too-big")).status, 200)
    const due = Date.now() - 1_000
    await api.request("GET", `/test/schedules/too-big/rewind?at=${due}`)
    const skipped = await until(async () => {
      const view = (await api.request("GET", "/v1/schedules/too-big")).body
      return view.skipped === 1 ? view : undefined
    }, 15_000, "the refused tick to be recorded")
    assert.deepStrictEqual(skipped.recentSkips, [{ reason: "refused", firstTickAt: new Date(due).toISOString(), lastTickAt: new Date(due).toISOString(), count: 1 }])
    assert.strictEqual(skipped.started, 0)
    const line = await until(async () => logged.find((entry) => entry.includes("skipped the tick")), 10_000, "the warning")
    const parsed = JSON.parse(line) as Record<string, unknown>
    assert.deepStrictEqual([parsed["level"], parsed["schedule"], parsed["functionName"]], ["warn", "too-big", "sweep"])
    assert.match(String(parsed["message"]), /its start was refused \(The input is over the \d+-byte payload limit\)/)
  }, 60_000)

  it("without the SCHEDULES binding: other requests are served, the schedule routes answer a problem+json 500, the cause is logged", async () => {
    const build = tempDir("schedules-unbound")
    dirs.push(build)
    const logged: Array<string> = []
    const mf = startMiniflare({ scriptPath: await bundle(entry, build), onLog: (log) => void logged.push(log.message) })
    running.push(mf)
    const api = client(mf)
    assert.strictEqual((await api.request("GET", "/healthz")).status, 200)
    const listed = await api.request("GET", "/v1/schedules")
    assert.strictEqual(listed.status, 500)
    assert.match(listed.headers.get("content-type") ?? "", /application\/problem\+json/)
    await until(async () => logged.some((line) => line.includes("arming the schedules failed") && line.includes("SCHEDULES binding")) || undefined, 10_000, "the log line")
    for (let i = 0; i < 3; i++) assert.strictEqual((await api.request("GET", "/healthz")).status, 200)
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.strictEqual(logged.filter((line) => line.includes("arming the schedules failed")).length, 1, "said once, not on every request")
  }, 60_000)
})
