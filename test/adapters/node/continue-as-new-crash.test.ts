/**
 * `ctx.continueAsNew` on the Node server with a real SQLite file, killed with SIGKILL at several points of a
 * 5,000-step count that continues as new every 1,000 steps: it ends with the right count, every step recorded once
 * in the run it belongs to, no run's log over 1,100 events, and the runs linked both ways.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileLines, killProcess, startServerProcess } from "./server-process.ts"

const script = join(import.meta.dirname, "continue-server.ts")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const printed: Array<string> = []

const startServer = (db: string, effects: string) => startServerProcess(script, [db, effects], printed)

const kill = killProcess

const ticks = fileLines
const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).json() as Promise<any>

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(20)
  }
  throw new Error(`timed out waiting for ${what}; server stderr: ${printed.join("").slice(-2000)}`)
}

/** Every event of a run, page by page. */
const historyOf = async (port: number, id: string) => {
  const events: Array<{ _tag: string; seq: number }> = []
  let cursor: string | undefined
  for (let page = 0; page < 20; page++) {
    const body = await get(port, `/v1/executions/${encodeURIComponent(id)}/history?limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`)
    events.push(...body.events)
    cursor = body.nextCursor
    if (cursor === undefined) break
  }
  return events
}

describe("ctx.continueAsNew on the Node server under SIGKILL", () => {
  it("counts to 5,000 in five runs of 1,000 steps across kills, each step recorded once, no log over 1,100 events", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-continue-"))
    const db = join(dir, "reprise.db")
    const effects = join(dir, "effects.log")
    const total = 5000
    let server = await startServer(db, effects)
    let kills = 0
    try {
      const started = await fetch(`http://127.0.0.1:${server.port}/v1/functions/chain/executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executionName: "chain", input: { done: 0, total, every: 1000 } })
      })
      assert.strictEqual(started.status, 201)
      // Kill around these counts: inside runs, and near the ends of runs where the next run starts.
      for (const at of [400, 995, 1990, 3000, 4010]) {
        await until(() => ticks(effects).length >= at, 120_000, `${at} ticks`)
        await kill(server.child)
        kills++
        server = await startServer(db, effects)
      }
      const port = server.port
      await until(async () => (await get(port, "/v1/executions/chain~5")).status === "SUCCEEDED", 120_000, "the last run to end")
      const last = await get(port, "/v1/executions/chain~5")
      assert.strictEqual(last.result, total)

      // The chain from the last run back to the first: linked both ways, each log short, each step once.
      let id: string | undefined = "chain~5"
      let next: string | undefined
      let recorded = 0
      const runs: Array<string> = []
      while (id !== undefined) {
        const view = await get(port, `/v1/executions/${encodeURIComponent(id)}`)
        assert.strictEqual(view.continuedAs, next)
        assert.strictEqual(view.status, next === undefined ? "SUCCEEDED" : "CONTINUED_AS_NEW")
        const events = await historyOf(port, id)
        assert.isAtMost(events.length, 1_100, `${id} has ${events.length} events`)
        recorded += events.filter((e) => e._tag === "StepSucceeded").length
        runs.unshift(id)
        next = id
        id = view.continuedFrom
      }
      assert.deepStrictEqual(runs, ["chain", "chain~2", "chain~3", "chain~4", "chain~5"])
      assert.strictEqual(recorded, total)
      // Every count ticked; a tick ran again only where a kill cut its step off before its result was written.
      const seen = ticks(effects)
      const distinct = new Set(seen)
      assert.strictEqual(distinct.size, total)
      assert.isAtMost(seen.length - distinct.size, kills)
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 300_000)
})
