/**
 * ctx.emit under crash and replay: a Node server (its own process, a SQLite file) is killed with SIGKILL again and
 * again while an execution emits chunks; a client reading GET /v1/executions/:id/emissions reconnects to each new
 * server with Last-Event-ID, and gets every chunk exactly once, in order. The log holds each emission once.
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { openSse } from "../../http/sse-client.ts"

const node = join(process.cwd(), "node_modules/.bin/node")
const script = join(import.meta.dirname, "emit-crash-server.ts")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const startServer = (db: string) =>
  new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
    const child = spawn(node, ["--conditions=reprise-source", script, db], { stdio: ["ignore", "pipe", "pipe"] })
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
    child.stderr!.on("data", (chunk) => (output += String(chunk)))
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${output}`)))
  })

const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

interface Received {
  readonly seq: number
  readonly i: number
}

describe("ctx.emit under SIGKILL", () => {
  it("a client that reconnects with Last-Event-ID to each restarted server gets every emission once, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-emit-crash-"))
    const db = join(dir, "reprise.db")
    const count = 40
    let server = await startServer(db)
    try {
      const started = await (await fetch(`http://127.0.0.1:${server.port}/v1/functions/chunks/executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: count, executionName: "emit-crash" })
      })).json() as { executionId: string }
      assert.strictEqual(started.executionId, "emit-crash")
      const received: Array<Received> = []
      let kills = 0
      let ended = false
      for (let connection = 0; connection < 50 && !ended; connection++) {
        const last = received.at(-1)
        const stream = await openSse(
          `http://127.0.0.1:${server.port}/v1/executions/emit-crash/emissions`,
          last === undefined ? {} : { "last-event-id": String(last.seq) }
        )
        if (stream.response.status === 204) break // ended, nothing left after the cursor
        assert.strictEqual(stream.response.status, 200)
        // Read a few emissions (fewer each time), then kill the server under the client's feet.
        const readBeforeKill = kills < 6 ? 2 + (kills % 3) : Number.POSITIVE_INFINITY
        let read = 0
        for (;;) {
          const frame = await stream.next().catch(() => undefined)
          if (frame === undefined) {
            ended = kills >= 6 // the last server closes the stream after the terminal event
            break
          }
          assert.strictEqual(frame.event, "emission")
          const emission = JSON.parse(frame.data) as { seq: number; topic: string; value: { i: number; text: string } }
          assert.strictEqual(Number(frame.id), emission.seq)
          assert.strictEqual(emission.topic, "chunk")
          assert.strictEqual(emission.value.text, `chunk ${emission.value.i}`)
          received.push({ seq: emission.seq, i: emission.value.i })
          if (++read >= readBeforeKill) break
        }
        if (ended) break
        if (kills < 6) {
          await sleep((kills * 17) % 50)
          await kill(server.child)
          kills++
          await stream.close()
          server = await startServer(db)
        }
      }
      assert.strictEqual(kills, 6)
      assert.deepStrictEqual(received.map((r) => r.i), Array.from({ length: count }, (_, i) => i))
      // The log holds each emission once: a replay found the recorded ones and wrote none again.
      const history = await (await fetch(`http://127.0.0.1:${server.port}/v1/executions/emit-crash/history?limit=1000`)).json() as {
        events: Array<{ _tag: string; subType?: string }>
      }
      assert.strictEqual(history.events.filter((e) => e._tag === "StepSucceeded" && e.subType === "Emit").length, count)
      const view = await (await fetch(`http://127.0.0.1:${server.port}/v1/executions/emit-crash`)).json() as { status: string }
      assert.strictEqual(view.status, "SUCCEEDED")
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
