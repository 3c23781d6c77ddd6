/** `reprise schedules` and `reprise schedule pause|resume|trigger` against a real server, each run as its own process. */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable, schedule } from "../../../../src/index.ts"
import { schedulesText } from "../../../../adapters/node/cli/schedules.ts"
import { reprise } from "./cli-fixture.ts"

const job = durable("cleanup", async (_: unknown, ctx) => ctx.step("sweep", async () => "swept"))
/** Runs until a callback completes it: a trigger meanwhile overlaps it. */
const report = durable("report", async (_: unknown, ctx) => {
  const [done] = await ctx.createCallback("done")
  return done
})
let dir: string
let server: Server
let env: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-schedules-"))
  server = await serve({
    functions: [job, report],
    schedules: [
      schedule("hourly-cleanup", { function: job, cron: "15 * * * *", overlap: "buffer-one" }),
      schedule("nightly-report", { function: report, cron: "0 3 * * *", overlap: "buffer-one" })
    ],
    dbPath: join(dir, "reprise.db"),
    port: 0,
    handleSignals: false
  })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise schedules", () => {
  it("lists, pauses, triggers and resumes", async () => {
    const listed = await reprise(["schedules"], env)
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, /^SCHEDULE\s+FUNCTION\s+CRON\s+OVERLAP\s+NEXT/)
    assert.match(listed.stdout, /hourly-cleanup\s+cleanup\s+15 \* \* \* \*\s+buffer-one\s+\d{4}-\d\d-\d\dT\d\d:15:00\.000Z/)

    const paused = await reprise(["schedule", "pause", "hourly-cleanup"], env)
    assert.strictEqual(paused.code, 0, paused.stderr)
    assert.strictEqual(paused.stdout.trim(), "hourly-cleanup paused")

    const triggered = await reprise(["schedule", "trigger", "hourly-cleanup", "--json"], env)
    assert.strictEqual(triggered.code, 0, triggered.stderr)
    const result = JSON.parse(triggered.stdout)
    assert.strictEqual(result.outcome, "started")
    assert.match(result.executionId, /^hourly-cleanup:trigger:/)

    const resumed = await reprise(["schedule", "resume", "hourly-cleanup"], env)
    assert.match(resumed.stdout, /^hourly-cleanup resumed; next tick \d{4}-.*:15:00\.000Z/)
    const json = JSON.parse((await reprise(["schedules", "--json"], env)).stdout)
    assert.strictEqual(json.schedules.find((s: { name: string }) => s.name === "hourly-cleanup").started, 1)
  })

  it("says what a trigger that overlaps a running execution did: buffered it, then skipped, starting nothing", async () => {
    const first = await reprise(["schedule", "trigger", "nightly-report"], env)
    assert.match(first.stdout.trim(), /^started nightly-report:trigger:\S+$/)
    const second = await reprise(["schedule", "trigger", "nightly-report"], env)
    assert.match(second.stdout.trim(), /^buffered nightly-report:trigger:\S+: it starts when nightly-report's running execution ends$/)
    // "skipped nightly-report:trigger:…" named an id no execution has.
    const third = await reprise(["schedule", "trigger", "nightly-report"], env)
    assert.strictEqual(third.code, 0, third.stderr)
    assert.strictEqual(third.stdout.trim(), "skipped: nightly-report's previous execution has not ended (its overlap policy), so nothing started (see reprise schedules)")
  })

  it("shows a buffered start, which runs once the running one ends, beside the next tick", () => {
    const text = schedulesText([{
      name: "nightly",
      functionName: "cleanup",
      cron: "0 3 * * *",
      timezone: "UTC",
      overlap: "buffer-one",
      catchUpSeconds: 60,
      paused: false,
      nextTickAt: "2026-12-08T03:00:00.000Z",
      lastExecutionId: "nightly:1",
      buffered: { tickAt: "2026-12-07T03:00:00.000Z", executionId: "nightly:2" },
      started: 1,
      skipped: 0,
      recentSkips: []
    }])
    assert.match(text, /2026-12-08T03:00:00\.000Z \(buffered: 2026-12-07T03:00:00\.000Z\)/)
  })

  it("says what is wrong with a bad command or an unknown schedule", async () => {
    const bad = await reprise(["schedule", "snooze", "hourly-cleanup"], env)
    assert.strictEqual(bad.code, 2)
    assert.match(bad.stderr, /the schedule action is pause, resume or trigger, not "snooze"/)
    const missing = await reprise(["schedule", "pause", "nightly"], env)
    assert.strictEqual(missing.code, 5)
    assert.match(missing.stderr, /not found: No schedule is registered as "nightly"/)
    assert.strictEqual((await reprise(["schedule", "pause"], env)).code, 2)
  })
})
