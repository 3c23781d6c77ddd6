/**
 * The server's log, read from a real server process: an execution whose step retries and fails is told as one line
 * per fact, JSON lines when stderr is not a terminal, pretty lines when asked ($REPRISE_LOG_FORMAT).
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const node = join(process.cwd(), "node_modules/.bin/node")
const script = join(import.meta.dirname, "log-server.ts")
const throwLine = readFileSync(script, "utf8").split("\n").findIndex((line) => line.includes("CHARGE-THROWS")) + 1

const children: Array<ChildProcess> = []
const dirs: Array<string> = []
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGKILL")
      await exited
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Starts the server with `env` added; resolves with its port and a live view of its stderr (and the stream itself). */
const startServer = (env: Record<string, string | undefined>) =>
  new Promise<{ port: number; stderr: () => string; stream: NodeJS.ReadableStream }>((resolve, reject) => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-log-"))
    dirs.push(dir)
    const childEnv = { ...process.env, ...env }
    for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key]
    const child = spawn(node, [script, join(dir, "reprise.db")], { stdio: ["ignore", "pipe", "pipe"], env: childEnv })
    children.push(child)
    let stdout = ""
    let stderr = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stdout}${stderr}`)), 45_000) // a boot took up to 16 s on a busy 2-core machine (npm run soak)
    child.stderr!.on("data", (chunk) => (stderr += String(chunk)))
    child.stdout!.on("data", (chunk) => {
      stdout += String(chunk)
      const match = /listening (\d+)/.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ port: Number(match[1]), stderr: () => stderr, stream: child.stderr! })
      }
    })
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${stdout}${stderr}`)))
  })

/** Starts flaky-charge and waits (at most 20 s) for it to end FAILED. */
const runToFailure = async (port: number) => {
  const started = await fetch(`http://127.0.0.1:${port}/v1/functions/flaky-charge/executions?wait=20`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}"
  })
  const view = await started.json() as { executionId: string; status: string }
  assert.strictEqual(view.status, "FAILED")
  return view.executionId
}

/**
 * Waits until the server has logged what passes `check`, on its stderr's data events (at most 20 s; a fixed 5 s of
 * polling was the bound before, short for a loaded 2-core machine); the caller's assertions show what was logged.
 */
const untilLogged = (server: { stderr: () => string; stream: NodeJS.ReadableStream }, check: (text: string) => boolean) =>
  new Promise<string>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      server.stream.off("data", onData)
      resolve(server.stderr())
    }
    const onData = () => check(server.stderr()) && done()
    const timer = setTimeout(done, 20_000)
    server.stream.on("data", onData)
    if (check(server.stderr())) done()
  })

describe("the server's log (a real process)", () => {
  it("JSON lines when stderr is not a terminal: started, each failed attempt with its retry time, the end, all annotated", async () => {
    const server = await startServer({ REPRISE_LOG_FORMAT: undefined, REPRISE_LOG_LEVEL: undefined })
    const executionId = await runToFailure(server.port)
    const text = await untilLogged(server, (t) => t.includes("ended FAILED"))
    const lines = text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, string>)
    const mine = lines.filter((line) => line.executionId === executionId)
    assert.isTrue(mine.every((line) => line.functionName === "flaky-charge" && typeof line.time === "string"), text)

    assert.deepStrictEqual(mine.map((line) => [line.level, line.operationId ?? "-", line.message!.replace(/\(at .*\)/, "(at …)").replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, "T").replace(/in \d+(\.\d)? m?s/, "in …")]), [
      ["info", "-", "started"],
      ["warn", "2", `step "charge" failed on attempt 1: Error: card gateway down (at …); retries at T`],
      ["warn", "2", `step "charge" failed on attempt 2: Error: card gateway down (at …); retries at T`],
      ["error", "2", `step "charge" failed on attempt 3, for good: Error: card gateway down (at …)`],
      ["error", "-", "ended FAILED in …: StepError: card gateway down (at …)"]
    ], text)
    // Each failure points at the user's file and line; the retry time is a second after the attempt.
    for (const line of mine.slice(1)) assert.include(line.message!, `${script}:${throwLine}:`)
    const retries = mine.slice(1, 3).map((line) => Date.parse(/retries at (\S+)/.exec(line.message ?? "")![1]!) - Date.parse(line.time ?? ""))
    for (const delay of retries) assert.isTrue(delay > 0 && delay <= 1000, `retry in ${delay} ms`)
  })

  it("pretty lines when asked: time, level, function, execution, operation, message", async () => {
    const server = await startServer({ REPRISE_LOG_FORMAT: "pretty", REPRISE_LOG_LEVEL: "warn" })
    const executionId = await runToFailure(server.port)
    const text = await untilLogged(server, (t) => t.includes("ended FAILED"))
    const lines = text.split("\n").filter((line) => line.includes(executionId))
    assert.strictEqual(lines.length, 4, text) // the level is warn: no "started"
    assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z WARN  flaky-charge ${executionId} op 2  step "charge" failed on attempt 1: Error: card gateway down \\(at .*log-server\\.ts:${throwLine}:\\d+\\); retries at `))
    assert.match(lines[3]!, new RegExp(`ERROR flaky-charge ${executionId}  ended FAILED`))
  })
})
