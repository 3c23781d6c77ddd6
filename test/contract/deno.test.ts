/**
 * The contract suite on Deno: the contract functions served by reprise/deno (Deno KV, Deno.serve) in a process
 * under the real deno binary from the `deno` npm package, driven over HTTP on 127.0.0.1. `restart()` kills the
 * process with SIGKILL and starts another on the same KV file.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { contractSuite } from "./suite.ts"

const root = join(import.meta.dirname, "../..")
const deno = join(root, "node_modules/.bin/deno")
const START_LIMIT_MS = 45_000

interface DenoServer {
  readonly child: ChildProcess
  readonly url: string
  /** Everything the process wrote, for failure messages. */
  readonly output: () => string
}

const startServer = (kvPath: string, apiKey: string) =>
  new Promise<DenoServer>((resolve, reject) => {
    const child = spawn(deno, ["run", "-A", "--config", "adapters/deno/deno.json", "test/contract/runtimes/deno-server.ts", kvPath, apiKey], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the Deno server did not start within ${START_LIMIT_MS / 1000} s:\n${output}`))
    }, START_LIMIT_MS)
    child.stderr!.on("data", (chunk) => void (output += String(chunk)))
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const port = /listening (\d+)/.exec(output)?.[1]
      if (port === undefined) return
      clearTimeout(timer)
      resolve({ child, url: `http://127.0.0.1:${port}`, output: () => output })
    })
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the Deno server exited (${code ?? signal}) before it served:\n${output}`))
    })
  })

const kill = (server: DenoServer) =>
  new Promise<void>((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve()
    server.child.once("exit", () => resolve())
    server.child.kill("SIGKILL")
  })

contractSuite("Deno (deno binary, Deno KV)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-contract-deno-"))
  const kvPath = join(dir, "reprise.kv")
  const apiKey = "contract-deno-key"
  let server = await startServer(kvPath, apiKey)
  return {
    url: () => server.url,
    apiKey,
    restart: async () => {
      await kill(server)
      server = await startServer(kvPath, apiKey)
    },
    close: async () => {
      await kill(server)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}, { startTimeoutMs: START_LIMIT_MS + 5000 })
