/**
 * A step body's promise that rejects with nothing to handle it ended the whole server process (Node's default), and
 * each restart resumed the execution that did it and ended again. The server logs it and stays up.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { killProcess, startServerProcess } from "./server-process.ts"

const script = join(import.meta.dirname, "rejection-server.ts")
const children: Array<ChildProcess> = []
const dirs: Array<string> = []
afterEach(async () => {
  for (const child of children.splice(0)) await killProcess(child)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("a promise rejected with nothing to handle it, on the Node server (a real process)", () => {
  it("is a line of the log at error level with the error's fields; the server stays up and the execution ends", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-rejection-"))
    dirs.push(dir)
    const printed: Array<string> = []
    const { child, port } = await startServerProcess(script, [join(dir, "reprise.db")], printed)
    children.push(child)
    const started = await fetch(`http://127.0.0.1:${port}/v1/functions/careless/executions?wait=20`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({})
    })
    expect(await started.json()).toMatchObject({ status: "SUCCEEDED", result: "sent" })
    for (let i = 0; i < 200 && !printed.join("").includes("never awaited"); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    const line = printed.join("").split("\n").find((text) => text.includes("never awaited"))
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      level: "error",
      message: "a promise was rejected and nothing handled it: the notification was never awaited",
      errorType: "TypeError",
      errorMessage: "the notification was never awaited"
    })
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    expect(child.exitCode).toBeNull()
  })
})
