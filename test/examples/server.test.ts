/** `npm start` (examples/server.ts) as a user runs it: its banner, and one clear line when the port is taken. */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { finish, freePort } from "../adapters/node/cli/cli-fixture.ts"

const SERVER = fileURLToPath(new URL("../../examples/server.ts", import.meta.url))

/** As `npm start` runs it: with the condition that resolves reprise/node to the sources. */
const run = (env: Record<string, string>) =>
  spawn(process.execPath, ["--conditions=reprise-source", SERVER], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })

const occupy = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve(server))
  })

describe("npm start (examples/server.ts)", () => {
  it("prints the console URL in its banner", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-start-"))
    const port = await freePort()
    const child = run({ PORT: String(port), REPRISE_DB: join(dir, "r.db") })
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = ""
        const timer = setTimeout(() => reject(new Error(`no banner; saw: ${out}`)), 45_000) // a boot took up to 16 s on a busy 2-core machine (npm run soak)
        child.stdout.on("data", (chunk) => {
          out += chunk
          if (out.includes("Ctrl-C")) (clearTimeout(timer), resolve(out))
        })
      })
      assert.include(banner, `console:  http://127.0.0.1:${port}/console`)
    } finally {
      child.kill("SIGTERM")
      await finish(child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it("on a busy port: one line on stderr, no stack, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-start-"))
    const port = await freePort()
    const blocker = await occupy(port)
    try {
      const result = await finish(run({ PORT: String(port), REPRISE_DB: join(dir, "r.db") }))
      assert.strictEqual(result.code, 1)
      assert.strictEqual(result.stderr.trim().split("\n").length, 1, result.stderr)
      assert.match(result.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`))
      assert.notMatch(result.stderr, /\n\s+at /)
    } finally {
      blocker.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
