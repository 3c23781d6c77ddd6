/**
 * Issue 15, with a real SIGKILL: executions queued behind a concurrency limit when the server process is killed
 * are neither lost nor started twice after a restart on the same SQLite file; the limit still holds, and the executions
 * that were running go before the queued ones.
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"

const node = join(process.cwd(), "node_modules/.bin/node")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const startServer = (db: string, sideEffects: string) =>
  new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
    const child = spawn(node, [join(import.meta.dirname, "flow-crash-server.ts"), db, sideEffects], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${output}`)), 20_000)
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

const get = async (port: number, id: string) =>
  (await (await fetch(`http://127.0.0.1:${port}/v1/executions/${id}`)).json()) as { status?: string; queuePosition?: number }

describe("executions queued by flow control when the server is killed (SIGKILL)", () => {
  it("are neither lost nor started twice after a restart, the limit holds, and those that were running go first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-flow-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    appendFileSync(sideEffects, "")
    let server = await startServer(db, sideEffects)
    const ids = Array.from({ length: 10 }, (_, n) => `job-${n}`)
    try {
      for (const id of ids) {
        const res = await fetch(`http://127.0.0.1:${server.port}/v1/functions/two-at-a-time/executions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: id, executionName: id })
        })
        assert.strictEqual(res.status, 201)
      }
      const last = await get(server.port, "job-9")
      assert.strictEqual(last.status, "QUEUED")
      const listed = (await (await fetch(`http://127.0.0.1:${server.port}/v1/executions?function=two-at-a-time&status=QUEUED`)).json()) as {
        executions: Array<{ executionId: string; queuePosition?: number }>
      }
      // The last started is last in line; the positions are 1..n.
      assert.strictEqual(last.queuePosition, listed.executions.length)
      assert.sameMembers(listed.executions.map((i) => i.queuePosition), listed.executions.map((_, n) => n + 1))
      server.child.kill("SIGKILL")
      assert.strictEqual(await exited(server.child), "SIGKILL")

      const file = new DatabaseSync(db, { readOnly: true })
      const queuedAtKill = (file.prepare("SELECT execution_id FROM executions WHERE status = 'QUEUED'").all() as Array<{ execution_id: string }>)
        .map((row) => row.execution_id)
      const runningAtKill = (file.prepare("SELECT execution_id FROM executions WHERE status = 'RUNNING'").all() as Array<{ execution_id: string }>)
        .map((row) => row.execution_id)
      file.close()
      assert.strictEqual(runningAtKill.length, 2, "two were running their step (the limit) when the process died")
      assert.isAtLeast(queuedAtKill.length, 4, "executions were still queued when the process died")

      // The bodies held until now (flow-crash-server.ts): the queue stood still while it was read.
      writeFileSync(`${sideEffects}.release`, "")
      appendFileSync(sideEffects, "restart\n")
      server = await startServer(db, sideEffects)
      const statuses = new Map<string, string | undefined>()
      for (let round = 0; round < 300; round++) {
        for (const id of ids) statuses.set(id, (await get(server.port, id)).status)
        if ([...statuses.values()].every((s) => s === "SUCCEEDED")) break
        await sleep(50)
      }
      assert.deepStrictEqual([...statuses.values()], ids.map(() => "SUCCEEDED"))

      const lines = readFileSync(sideEffects, "utf8").trim().split("\n")
      // Each execution that was queued at the kill ran its body exactly once, and was dequeued once.
      for (const id of queuedAtKill) {
        assert.strictEqual(lines.filter((l) => l === `begin ${id}`).length, 1, id)
        const history = (await (await fetch(`http://127.0.0.1:${server.port}/v1/executions/${id}/history`)).json()) as { events: Array<{ _tag: string }> }
        assert.strictEqual(history.events.filter((e) => e._tag === "ExecutionDequeued").length, 1, id)
      }
      // The two that were running their step when the process died run it again first: they had begun, and go before
      // the queued starts (the queue was admitted into the empty slots first, and they waited a whole round).
      const after = lines.slice(lines.indexOf("restart") + 1).filter((line) => line.startsWith("begin "))
      assert.sameMembers(after.slice(0, 2), runningAtKill.map((id) => `begin ${id}`))
      // After the restart, never more than two bodies at once.
      let running = 0
      let most = 0
      for (const line of lines.slice(lines.indexOf("restart") + 1)) {
        if (line.startsWith("begin ")) most = Math.max(most, ++running)
        if (line.startsWith("done ")) running--
      }
      assert.strictEqual(most, 2)
    } finally {
      server.child.kill("SIGKILL")
      await exited(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
