/**
 * Issue 19, item 1, with a real SIGKILL: the server is killed at its first alarm write. When a start and its
 * watchdog were two writes, that left ExecutionStarted committed and no alarm: an execution nothing would resume.
 * Now they are one transaction, so the file holds no running execution without an alarm, and the client's retry
 * of the start (same id) runs it to the end.
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect } from "effect"
import { openSqliteStore } from "../../../adapters/node/sqlite-store.ts"

const node = join(process.cwd(), "node_modules/.bin/node")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const startServer = (script: string, db: string, sideEffects: string) =>
  new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
    const child = spawn(node, [join(import.meta.dirname, script), db, sideEffects], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${output}`)), 45_000) // a boot took up to 16 s on a busy 2-core machine (npm run soak)
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, port: Number(match[1]) })
      }
    })
    child.stderr!.on("data", (chunk) => void (output += String(chunk)))
    child.once("exit", (code, signal) => reject(new Error(`the server exited with ${code ?? signal}: ${output}`)))
  })

const exited = (child: ChildProcess) =>
  new Promise<string | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.signalCode)
    child.once("exit", (_, signal) => resolve(signal))
  })

const start = (port: number) =>
  fetch(`http://127.0.0.1:${port}/v1/functions/many-steps/executions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: 3, executionName: "atomic-start" })
  })

describe("a start killed at its alarm write (SIGKILL)", () => {
  it("leaves no running execution without an alarm, and the retried start finishes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-start-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    let server = await startServer("kill-at-alarm-server.ts", db, sideEffects)
    try {
      const answered = await start(server.port).then((res) => res.status, () => "no answer")
      assert.strictEqual(await exited(server.child), "SIGKILL", `the server died at its alarm write (the start answered ${answered})`)

      const file = new DatabaseSync(db, { readOnly: true })
      const unwatched = file.prepare(
        "SELECT execution_id FROM executions x WHERE status = 'RUNNING' AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.execution_id = x.execution_id)"
      ).all()
      file.close()
      assert.deepStrictEqual(unwatched, [], "running executions without an alarm")

      server = await startServer("crash-server.ts", db, sideEffects)
      const retried = await start(server.port)
      assert.include([200, 201], retried.status)
      let view: { status?: string; result?: unknown } = {}
      for (let i = 0; i < 500 && view.status !== "SUCCEEDED"; i++) {
        await sleep(20)
        view = (await (await fetch(`http://127.0.0.1:${server.port}/v1/executions/atomic-start`)).json()) as typeof view
      }
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.strictEqual(view.result, 3)
    } finally {
      server.child.kill("SIGKILL")
      await exited(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it("a server started on a file holding a running execution without an alarm resumes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-start-crash-"))
    const db = join(dir, "reprise.db")
    // What a kill between the two writes of the old start left behind: ExecutionStarted, and no alarm.
    const store = await Effect.runPromise(openSqliteStore({ path: db }))
    const at = Date.now()
    await Effect.runPromise(store.append("left-behind", [{
      _tag: "ExecutionStarted", seq: 1, at, executionId: "left-behind", functionName: "many-steps", input: "4", timeoutAt: at + 86_400_000, retentionMs: 60_000
    }], 0))
    store.close()
    const server = await startServer("crash-server.ts", db, join(dir, "side-effects.log"))
    try {
      let view: { status?: string; result?: unknown } = {}
      for (let i = 0; i < 500 && view.status !== "SUCCEEDED"; i++) {
        await sleep(20)
        view = (await (await fetch(`http://127.0.0.1:${server.port}/v1/executions/left-behind`)).json()) as typeof view
      }
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.strictEqual(view.result, 6)
    } finally {
      server.child.kill("SIGKILL")
      await exited(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
