/**
 * Issue 19, item 5: waits that fall due while the server is killed again and again (SIGKILL soon after each boot
 * listens, so start-up recovery is cut short each time) all fire once the server stays up: each exactly once, none
 * before it was due, and none held back by the alarm dispatcher's backoff (a postponement is the one thing that can
 * carry an overdue alarm past the next boot; the servers would print "delivered but not moved").
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const node = join(process.cwd(), "node_modules/.bin/node")
const script = join(import.meta.dirname, "crash-server.ts")
const printed: Array<string> = []

const boot = (db: string, sideEffects: string) =>
  new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = spawn(node, ["--conditions=reprise-source", script, db, sideEffects], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, REPRISE_LOG_LEVEL: "warn" }
    })
    let output = ""
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) resolve({ child, url: `http://127.0.0.1:${match[1]}` })
    })
    child.stderr!.on("data", (chunk) => void printed.push(String(chunk)))
    child.once("exit", (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before listening: ${printed.join("")}`)))
  })

const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

const get = async (url: string) => (await fetch(url)).json() as Promise<any>

describe("waits falling due across repeated SIGKILLs", () => {
  it("every overdue wait fires once the server stays up: once each, not early, never postponed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-kill-loop-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    let server = await boot(db, sideEffects)
    const ids = Array.from({ length: 6 }, (_, i) => `nap-${i}`)
    try {
      // Starts spread over the kill loop, so that waits (2 s each) fall due while servers die at different points.
      let next = 0
      for (let round = 0; round < 6 || next < ids.length; round++) {
        if (round >= 12) break
        for (let i = 0; i < 1 && next < ids.length; i++) {
          const response = await fetch(`${server.url}/v1/functions/napping/executions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ executionName: ids[next] })
          })
          if (response.status === 201 || response.status === 200) next++
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * (round % 4)))
        await kill(server.child)
        server = await boot(db, sideEffects)
      }
      assert.strictEqual(next, ids.length, "every execution was started")
      for (const id of ids) {
        for (let i = 0; i < 1500 && (await get(`${server.url}/v1/executions/${id}`)).status === "RUNNING"; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        const view = await get(`${server.url}/v1/executions/${id}`)
        assert.strictEqual(view.status, "SUCCEEDED", `${id} ended`)
        const events = (await get(`${server.url}/v1/executions/${id}/history`)).events as Array<{ _tag: string; at: number; until?: number }>
        const started = events.filter((event) => event._tag === "WaitStarted")
        const fired = events.filter((event) => event._tag === "WaitSucceeded")
        assert.strictEqual(started.length, 1)
        assert.strictEqual(fired.length, 1, `${id}'s wait fired once`)
        assert.isAtLeast(fired[0]!.at, started[0]!.until!, `${id}'s wait did not fire early`)
      }
      assert.notMatch(printed.join(""), /not moved/, "no alarm was postponed on the backoff")
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
