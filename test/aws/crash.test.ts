/**
 * An AWS-SDK handler on the Node server killed with SIGKILL mid-execution, again and again (a real SQLite file,
 * a server process restarted each time): the execution finishes, and no step whose result was recorded runs again.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "vitest"
import { fileLines, killProcess, startServerProcess } from "../adapters/node/server-process.ts"

const script = join(import.meta.dirname, "crash-server.ts")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const printed: Array<string> = []

const startServer = (db: string, sideEffects: string) => startServerProcess(script, [db, sideEffects], printed)

const kill = killProcess

const lines = fileLines
const dones = (file: string) => lines(file).filter((l) => l.startsWith("done")).length

const post = async (port: number, path: string, body: unknown) =>
  (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>
const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).json() as Promise<any>

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("an AWS-SDK handler on the Node server under SIGKILL", () => {
  it("finishes a 12-step execution with a wait, killed at 8 points, re-running only steps that were in flight", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-aws-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    const steps = 12
    let server = await startServer(db, sideEffects)
    let kills = 0
    try {
      const started = await post(server.port, "/v1/functions/aws-many-steps/executions", { input: steps, executionName: "crash-me" })
      assert.strictEqual(started.executionId, "crash-me")
      for (let k = 0; k < 8; k++) {
        const done = dones(sideEffects)
        if (done >= steps) break
        await until(() => dones(sideEffects) > done, 20_000, "a step to finish")
        await sleep((k * 7) % 50)
        await kill(server.child)
        kills++
        server = await startServer(db, sideEffects)
      }
      await until(async () => (await get(server.port, "/v1/executions/crash-me")).status !== "RUNNING", 30_000, "the execution to end").catch(async (error) => {
        const history = await get(server.port, "/v1/executions/crash-me/history?limit=1000")
        throw new Error(`${error.message}; kills ${kills}; last events ${JSON.stringify(history.events.slice(-2))}; stderr ${printed.join("").slice(-2000)}`)
      })
      const view = await get(server.port, "/v1/executions/crash-me")
      assert.strictEqual(view.status, "SUCCEEDED", JSON.stringify(view.error))
      assert.strictEqual(view.result, (steps * (steps - 1)) / 2)
      assert.isAtLeast(kills, 6)

      const effects = lines(sideEffects)
      const history = (await get(server.port, "/v1/executions/crash-me/history?limit=1000")).events as Array<{ _tag: string; name?: string }>
      let reruns = 0
      for (let i = 0; i < steps; i++) {
        const begins = effects.filter((l) => l === `begin ${i}`).length
        const ended = effects.filter((l) => l === `done ${i}`).length
        assert.isAtLeast(ended, 1, `step ${i} ran to its end`)
        assert.isAtMost(ended, begins)
        reruns += begins - 1
        assert.strictEqual(history.filter((e) => e._tag === "StepSucceeded" && e.name === `step-${i}`).length, 1, `step ${i} is recorded once`)
      }
      // A body runs again only when a kill interrupted it before its result was written: at most once per kill.
      assert.isAtMost(reruns, kills)
      assert.strictEqual(history.filter((e) => e._tag === "WaitSucceeded" && e.name === "nap").length, 1)
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
