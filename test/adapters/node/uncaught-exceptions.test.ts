/**
 * An exception thrown where nothing catches it, in a timer a step body set, ended the whole server process (Node's
 * default), and each restart resumed the execution that threw it. The server logs it, naming the execution and the
 * step, and stays up; one thrown by code outside every durable function still ends the process.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { killProcess, startServerProcess } from "./server-process.ts"

const script = join(import.meta.dirname, "exception-server.ts")
const children: Array<ChildProcess> = []
const dirs: Array<string> = []
afterEach(async () => {
  for (const child of children.splice(0)) await killProcess(child)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const start = async (...args: Array<string>) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-exception-"))
  dirs.push(dir)
  const printed: Array<string> = []
  const { child, port } = await startServerProcess(script, [join(dir, "reprise.db"), ...args], printed)
  children.push(child)
  return { child, port, printed }
}

describe("an exception nothing caught, on the Node server (a real process)", () => {
  it("thrown in a timer a step body set: a log line naming the execution and step; the server stays up and the execution ends", { timeout: 120_000 }, async () => {
    const { child, port, printed } = await start()
    const started = await fetch(`http://127.0.0.1:${port}/v1/functions/careless/executions?wait=20`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({})
    })
    const execution = await started.json() as { executionId: string }
    expect(execution).toMatchObject({ status: "SUCCEEDED", result: "sent" })
    for (let i = 0; i < 200 && !printed.join("").includes("timer threw"); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    const line = printed.join("").split("\n").find((text) => text.includes("timer threw"))
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      level: "error",
      message: `execution ${execution.executionId} threw an exception nothing caught: the notifier's timer threw`,
      executionId: execution.executionId,
      operationName: "notify",
      errorType: "RangeError"
    })
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    expect(child.exitCode).toBeNull()
  })

  for (const [label, mode] of [["", "server-throws"], [" (two servers in the process: neither takes the other's listener for the application's)", "two-servers-throw"]] as const) {
  it(`thrown by code outside every durable function: the process ends with exit code 1, the error on stderr${label}`, { timeout: 120_000 }, async () => {
    const { child, printed } = await start(mode)
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode)
      const bound = setTimeout(() => resolve(null), 20_000)
      child.once("exit", (exitCode) => (clearTimeout(bound), resolve(exitCode)))
    })
    expect(code).toBe(1)
    expect(printed.join("")).toContain("the server's own code threw")
  })
  }
})
