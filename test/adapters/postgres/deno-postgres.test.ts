/** reprise/postgres under the real deno binary (from the `deno` npm package), on the embedded PostgreSQL. */
import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

const root = join(import.meta.dirname, "../../..")
const LIMIT_MS = 90_000
let postgres: PostgresServer

beforeAll(async () => {
  postgres = await startPostgres()
}, 90_000)

afterAll(async () => {
  await postgres?.stop()
}, 40_000)

const runDeno = (args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(join(root, "node_modules/.bin/deno"), args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => void (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => void (stderr += String(chunk)))
    const timer = setTimeout(() => {
      stderr += `\n[deno did not finish within ${LIMIT_MS / 1000} s and was killed]`
      child.kill("SIGKILL")
    }, LIMIT_MS)
    child.on("error", (error) => void (stderr += `\n[could not run deno: ${error.message}]`))
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

describe("reprise/postgres under deno", () => {
  it("serves an execution with a step on PostgreSQL", async () => {
    const ran = await runDeno(["run", "-A", "--config", "adapters/deno/deno.json", "test/adapters/postgres/deno-serve.ts", postgres.url])
    assert.strictEqual(ran.code, 0, `deno exited with ${ran.code}:\n${ran.stdout}\n${ran.stderr.slice(-5000)}`)
    const last = ran.stdout.trim().split("\n").at(-1)!
    assert.deepStrictEqual(JSON.parse(last), { http: 201, status: "SUCCEEDED", result: "Hello, Deno!" })
  }, LIMIT_MS + 10_000)
})
