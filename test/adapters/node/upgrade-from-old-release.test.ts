/**
 * Upgrading Reprise on a running deployment: a SQLite file written by an old release (commit 828caa2, schema version
 * 1, before migrations 2 and 3), with executions suspended in every way it had, is opened by the current server,
 * which migrates it and finishes them: no step body that had finished runs again, the callback id the old release
 * signed is accepted, and the old executions read back (get, list with the backfilled error, history).
 * The fixture and how to regenerate it: fixtures/make-old-release-db.ts.
 */
import { afterEach, assert, describe, it, vi } from "@effect/vitest"
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve } from "../../../adapters/node/serve.ts"
import { LATEST_VERSION, schemaVersion } from "../../../adapters/node/sqlite-schema.ts"
import { createRetryStrategy, createWaitStrategy, durable } from "../../../src/index.ts"
import { makeOldReleaseFunctions } from "./fixtures/old-release-functions.ts"

const fixtures = join(import.meta.dirname, "fixtures")
const fixture = JSON.parse(readFileSync(join(fixtures, "old-release-828caa2.json"), "utf8")) as {
  readonly writtenAt: number
  readonly ids: Record<string, string>
  readonly callbackId: string
  readonly ran: ReadonlyArray<string>
}
const dirs: Array<string> = []
afterEach(() => {
  vi.useRealTimers()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const get = async (url: string) => {
  const response = await fetch(url)
  return { status: response.status, body: await response.json() as any }
}

describe("a SQLite file written by an old release (828caa2), opened by this one", () => {
  it("finishes the suspended executions without running a finished step body again, and reads the old ones", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-upgrade-"))
    dirs.push(dir)
    const dbPath = join(dir, "reprise.db")
    copyFileSync(join(fixtures, "old-release-828caa2.db"), dbPath)
    const before = new DatabaseSync(dbPath)
    assert.strictEqual(schemaVersion(before), 1)
    before.close()
    // The clock resumes a minute after the fixture was written (and runs on), so the old executions' one-year
    // timeout and their retention are not overtaken by the calendar; their short waits are overdue all the same.
    vi.useFakeTimers({ toFake: ["Date"], now: fixture.writtenAt + 60_000, shouldAdvanceTime: true })
    const ran: Array<string> = []
    const functions = makeOldReleaseFunctions({ durable, createRetryStrategy, createWaitStrategy } as any, (body) => void ran.push(body), "new")
    const server = await serve({ functions: functions as any, dbPath, port: 0, hostname: "127.0.0.1", handleSignals: false })
    try {
      const completed = await fetch(`${server.url}/v1/callbacks/${fixture.callbackId}/succeed`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ result: "approved" })
      })
      assert.strictEqual(completed.status, 204)

      const ids = fixture.ids
      const views: Record<string, any> = {}
      for (let i = 0; i < 600; i++) {
        for (const [name, id] of Object.entries(ids)) views[name] = (await get(`${server.url}/v1/executions/${id}`)).body
        if (Object.values(views).every((view) => view.status !== "RUNNING")) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const outcome = Object.fromEntries(Object.entries(views).map(([name, view]) => [name, [view.status, view.result]]))
      assert.deepStrictEqual(outcome, {
        ended: ["SUCCEEDED", { greeting: "hello ada" }],
        failed: ["FAILED", undefined],
        napper: ["SUCCEEDED", 3],
        approval: ["SUCCEEDED", { order: "o-1", answer: "approved" }],
        flaky: ["SUCCEEDED", "answered"],
        mapper: ["SUCCEEDED", [0, 2, 4]],
        parent: ["SUCCEEDED", { made: "made p-1" }],
        poller: ["SUCCEEDED", 3]
      })
      // On the fixture's calendar (see useFakeTimers above), whenever this test runs.
      assert.isBelow(Date.parse(views["napper"].endedAt), fixture.writtenAt + 3_600_000)
      // Only what had not run under the old release runs now, once each.
      assert.deepStrictEqual([...ran].sort(), [
        "approval/ship",
        "flaky/call",
        "mapper/double 1",
        "mapper/double 2",
        "napper/after",
        "parent/finish",
        "poller/poll 1",
        "poller/poll 2"
      ])

      const listed = await get(`${server.url}/v1/executions?limit=50`)
      assert.strictEqual(listed.status, 200)
      const rows = listed.body.executions as Array<any>
      assert.deepStrictEqual(new Set(Object.values(ids).filter((id) => !rows.some((row) => row.executionId === id))), new Set())
      // Migration 3 filled in why the old execution failed, from its last event.
      const failedRow = rows.find((row) => row.executionId === ids["failed"])
      assert.deepStrictEqual(failedRow.error, { errorType: views["failed"].error.errorType, errorMessage: "card declined" })
      const history = await get(`${server.url}/v1/executions/${ids["ended"]}/history`)
      assert.strictEqual(history.status, 200)
      assert.deepStrictEqual(history.body.events.map((event: any) => event._tag), [
        "ExecutionStarted",
        "StepSucceeded",
        "ExecutionSucceeded"
      ])
    } finally {
      await server.close()
    }
    const after = new DatabaseSync(dbPath)
    assert.strictEqual(schemaVersion(after), LATEST_VERSION)
    after.close()
  }, 60_000)
})
