/**
 * The failures a server reports rather than answers (an alarm it cannot deliver, a request that fails on its side
 * with a 500) are lines of its log, read from a real server process: JSON lines with the error's type, message and
 * stack as fields when stderr is a pipe, the readable line with the stack below it when pretty is asked. Before,
 * console.error wrote them raw, over several lines, among the JSON.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"

const node = join(process.cwd(), "node_modules/.bin/node")
const script = join(import.meta.dirname, "error-log-server.ts")

const children: Array<ChildProcess> = []
const dirs: Array<string> = []
afterEach(async () => {
  for (const child of children.splice(0)) await stop(child, "SIGKILL")
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const stop = async (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill(signal)
  await exited
}

interface Running {
  readonly url: string
  readonly child: ChildProcess
  /** Waits (at most 20 s) until what the server wrote to stderr passes `check`; resolves with it all. */
  readonly logged: (check: (text: string) => boolean) => Promise<string>
}

/** Starts the server on `db` with its log settings in `env`; resolves once it listens. */
const startServer = (db: string, served: "sleeper" | "no-sleeper", env: Record<string, string | undefined>) =>
  new Promise<Running>((resolve, reject) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, REPRISE_LOG_FORMAT: undefined, REPRISE_LOG_LEVEL: undefined, ...env }
    for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key]
    const child = spawn(node, [script, db, served], { stdio: ["ignore", "pipe", "pipe"], env: childEnv })
    children.push(child)
    let stdout = ""
    let stderr = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stdout}${stderr}`)), 45_000)
    child.stderr!.on("data", (chunk) => (stderr += String(chunk)))
    const logged = (check: (text: string) => boolean) =>
      new Promise<string>((done) => {
        const finish = () => (clearTimeout(bound), child.stderr!.off("data", onData), done(stderr))
        const onData = () => check(stderr) && finish()
        const bound = setTimeout(finish, 20_000)
        child.stderr!.on("data", onData)
        if (check(stderr)) finish()
      })
    child.stdout!.on("data", (chunk) => {
      stdout += String(chunk)
      const match = /listening (\d+)/.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ url: `http://127.0.0.1:${match[1]}`, child, logged })
      }
    })
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${stdout}${stderr}`)))
  })

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((res) => res.json() as Promise<{ status: string }>)

/**
 * A database left by a server that served `sleeper`: `sleeping` waits on its 2 s timer, and `corrupt` ended, its
 * first event then made unreadable (as a damaged row would be).
 */
const leftBehind = async () => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-error-log-"))
  dirs.push(dir)
  const db = join(dir, "reprise.db")
  const first = await startServer(db, "sleeper", { REPRISE_LOG_LEVEL: "none" })
  assert.strictEqual((await post(`${first.url}/v1/functions/sleeper/executions`, { executionName: "sleeping" })).status, "RUNNING")
  assert.strictEqual((await post(`${first.url}/v1/functions/quick/executions?wait=20`, { executionName: "corrupt" })).status, "SUCCEEDED")
  await stop(first.child, "SIGTERM")
  const sqlite = new DatabaseSync(db)
  sqlite.prepare("UPDATE events SET event = 'not json' WHERE execution_id = 'corrupt' AND seq = 1").run()
  sqlite.close()
  return db
}

const jsonLines = (text: string) => text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Record<string, unknown>)

describe("the failures a server reports (a real process)", () => {
  it("JSON lines when stderr is a pipe: an alarm for a function no longer served, a 500, each with errorType, errorMessage and stackTrace", async () => {
    const db = await leftBehind()
    const server = await startServer(db, "no-sleeper", {})
    const answer = await fetch(`${server.url}/v1/executions/corrupt`)
    assert.strictEqual(answer.status, 500)
    const text = await server.logged((t) => t.includes(`"executionId":"sleeping"`) && t.includes(`"path":"/v1/executions/corrupt"`))

    // Every line is JSON: nothing written raw among them.
    const lines = jsonLines(text)
    const alarm = lines.find((line) => line.executionId === "sleeping" && line.level === "error")
    assert.isDefined(alarm, text)
    assert.strictEqual(alarm!.message, `the alarm of execution sleeping failed: No durable function is registered as "sleeper"`)
    assert.strictEqual(alarm!.errorType, "FunctionNotFound")
    assert.strictEqual(alarm!.errorMessage, `No durable function is registered as "sleeper"`)
    assert.isArray(alarm!.stackTrace)
    assert.match((alarm!.stackTrace as Array<string>)[0]!, /^FunctionNotFound: /)

    const request = lines.find((line) => line.path === "/v1/executions/corrupt")
    assert.isDefined(request, text)
    assert.include(request, { level: "error", method: "GET", errorType: "LogCorrupted" })
    assert.match(String(request!.message), /^GET \/v1\/executions\/corrupt failed: /)
    assert.isAbove((request!.stackTrace as Array<string>).length, 1, "the stack, line by line")
  })

  it("the readable line when pretty is asked, the error's type, message and stack below it", async () => {
    const db = await leftBehind()
    const server = await startServer(db, "no-sleeper", { REPRISE_LOG_FORMAT: "pretty" })
    assert.strictEqual((await fetch(`${server.url}/v1/executions/corrupt`)).status, 500)
    const text = await server.logged((t) => t.includes("the alarm of execution sleeping failed") && t.includes("GET /v1/executions/corrupt failed"))
    assert.match(text, /^\S+Z ERROR sleeping {2}the alarm of execution sleeping failed: No durable function is registered as "sleeper"\n {2}FunctionNotFound: No durable function is registered as "sleeper"\n {6}at /m)
    assert.match(text, /^\S+Z ERROR method=GET path=\/v1\/executions\/corrupt {2}GET \/v1\/executions\/corrupt failed: .*\n {2}LogCorrupted: .*\n {6}at /m)
  })
})
