/**
 * Schedules under SIGKILL, on the real Node server and SQLite file: a tick that came due while the server was down
 * runs once after the restart, and goes on (not again) when the server is killed in the middle of it; after a longer
 * outage, ticks older than the catch-up window are skipped and recorded. "While down" is made by moving the
 * schedule's stored next tick back in the file between two processes, as a clock that went on would have.
 */
import { assert, describe, it } from "@effect/vitest"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileLines, killProcess, startServerProcess } from "./server-process.ts"

const script = join(import.meta.dirname, "schedule-crash-server.ts")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const printed: Array<string> = []
const MINUTE = 60_000

const startServer = (db: string, sideEffects: string) => startServerProcess(script, [db, sideEffects], printed)

const kill = killProcess

const lines = fileLines
const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).json() as Promise<any>

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(20)
  }
  throw new Error(`timed out waiting for ${what}; server output: ${printed.join("")}`)
}

/** Moves the schedule's stored next tick (the server is not running). */
const setNextTick = (db: string, at: number) => {
  const sqlite = new DatabaseSync(db)
  try {
    const row = sqlite.prepare("SELECT value FROM meta WHERE key = ?").get("schedule:every-minute") as { value: string }
    const record = JSON.parse(row.value)
    sqlite.prepare("UPDATE meta SET value = ? WHERE key = ?").run(JSON.stringify({ ...record, nextTickAt: at }), "schedule:every-minute")
  } finally {
    sqlite.close()
  }
}

/** The executions in the file (the server is not running). */
const storedExecutions = (db: string): Set<string> => {
  const sqlite = new DatabaseSync(db)
  try {
    return new Set(sqlite.prepare("SELECT execution_id FROM executions").all().map((row) => row["execution_id"] as string))
  } finally {
    sqlite.close()
  }
}

const tickId = (at: number) => `every-minute:${new Date(at).toISOString().replace(".000Z", "Z")}`
const tickOf = (id: string) => Date.parse(id.slice("every-minute:".length))

/** The executions of the scheduled function whose tick is at or before `latest`. */
const startedUpTo = async (port: number, latest: number): Promise<Array<string>> => {
  const page = await get(port, "/v1/executions?function=minute-job&limit=100")
  return (page.executions as Array<{ executionId: string }>).map((e) => e.executionId).filter((id) => tickOf(id) <= latest).sort()
}

describe("schedules on the Node server under SIGKILL", () => {
  it("runs a tick missed while the server was down once, even when killed in the middle of it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-schedule-crash-"))
    const db = join(dir, "reprise.db")
    const fx = join(dir, "effects.log")
    const servers: Array<ChildProcess> = []
    try {
      const first = await startServer(db, fx)
      servers.push(first.child)
      const [listed] = (await get(first.port, "/v1/schedules")).schedules
      assert.strictEqual(listed.name, "every-minute")
      assert.isAbove(Date.parse(listed.nextTickAt), Date.now() - 1000)
      await kill(first.child)

      // The tick of the last whole minute came while the server was down.
      const due = Math.floor(Date.now() / MINUTE) * MINUTE
      setNextTick(db, due)
      const id = tickId(due)
      const second = await startServer(db, fx)
      servers.push(second.child)
      await until(() => lines(fx).includes(`begin ${id}`), 15_000, "the missed tick's step to begin")
      await kill(second.child) // in the middle of its step

      const third = await startServer(db, fx)
      servers.push(third.child)
      await until(async () => (await get(third.port, `/v1/executions/${encodeURIComponent(id)}`)).status === "SUCCEEDED", 20_000, "the tick's execution to end")
      assert.deepStrictEqual(await startedUpTo(third.port, due), [id], "one execution for the missed tick, no other")
      assert.deepStrictEqual(lines(fx).filter((l) => l === `done ${id}`), [`done ${id}`])
      const [view] = (await get(third.port, "/v1/schedules")).schedules
      // The last start is the missed tick's, or a tick that came since (the test may cross a minute).
      assert.isTrue(view.lastExecutionId === id || tickOf(view.lastExecutionId) > due, view.lastExecutionId)
      assert.isAtLeast(view.started, 1)
      assert.isAbove(Date.parse(view.nextTickAt), due)
      await kill(third.child)

      // A longer outage: twenty minutes of ticks, five minutes of catch-up.
      const due2 = Math.floor(Date.now() / MINUTE) * MINUTE
      setNextTick(db, due2 - 20 * MINUTE)
      // The third server ran the schedule as usual: if it lived into this minute, it started due2's tick itself
      // (1 of 3 full `npm test` runs on 3 Dec did), and the catch-up finds that start already made. So the window's
      // starts are the fourth server's new one, or that one.
      const before = storedExecutions(db)
      const fourth = await startServer(db, fx)
      servers.push(fourth.child)
      const catchUpSkip = async () =>
        ((await get(fourth.port, "/v1/schedules")).schedules[0].recentSkips as Array<{ reason: string }>).some((s) => s.reason === "catch-up")
      await until(catchUpSkip, 15_000, "the catch-up delivery")
      await sleep(300) // a second start for these ticks would have been made in the same delivery
      const inWindow = (x: string) => x !== id && tickOf(x) >= due2 - 5 * MINUTE
      const fresh = (await startedUpTo(fourth.port, due2)).filter((x) => !before.has(x))
      const earlier = [...before].filter((x) => x.startsWith("every-minute:") && tickOf(x) <= due2 && inWindow(x))
      const caughtUp = [...fresh, ...earlier]
      if (earlier.length === 0) assert.strictEqual(fresh.length, 1, `a catch-up start: ${caughtUp}`)
      // The ticks of one catch-up all overlap the start it made (src/schedule/scheduler.ts, handle), however fast
      // that execution ends: before, a loaded machine let the first (a 1 s step) end before the walk reached the
      // window's last tick, which started too (1 of 6 full `npm test` runs on 3 Dec).
      assert.isAtMost(fresh.length, 1, `at most one new start for the ticks inside the window (skip overlap): ${caughtUp}`)
      const started = tickOf(caughtUp[0]!)
      assert.isAtLeast(started, due2 - 6 * MINUTE)
      const [after] = (await get(fourth.port, "/v1/schedules")).schedules
      const catchUp = after.recentSkips.find((s: { reason: string }) => s.reason === "catch-up")
      assert.isDefined(catchUp, JSON.stringify(after.recentSkips))
      assert.strictEqual(catchUp.firstTickAt, new Date(due2 - 20 * MINUTE).toISOString())
      assert.isAtLeast(catchUp.count, 14)
      assert.isBelow(Date.parse(catchUp.lastTickAt), started)
    } finally {
      for (const child of servers) await kill(child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
