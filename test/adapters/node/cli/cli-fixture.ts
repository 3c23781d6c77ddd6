/** Runs the real `reprise` bin (adapters/node/cli/bin.ts) in a child process on the pinned Node, with bounded waits. */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

export const BIN = fileURLToPath(new URL("../../../../adapters/node/cli/bin.ts", import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A clean environment: the test's own REPRISE_* variables must not leak into the command (NODE_OPTIONS carries the
 * "reprise-source" condition, see vitest.config.ts). */
const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/tmp",
  ...(process.env.NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.NODE_OPTIONS })
})

export const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcess =>
  spawn(process.execPath, [BIN, ...args], { env: { ...baseEnv(), ...env }, stdio: ["pipe", "pipe", "pipe"] })

export const finish = (child: ChildProcess, timeoutMs = 20_000): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk) => (stdout += chunk))
    child.stderr?.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`reprise did not exit within ${timeoutMs} ms; stderr so far: ${stderr}`))
    }, timeoutMs)
    child.on("error", (error) => (clearTimeout(timer), reject(error)))
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })))
  })

export const reprise = (args: ReadonlyArray<string>, env: Record<string, string> = {}, stdin?: string): Promise<CliResult> => {
  const child = start(args, env)
  child.stdin?.end(stdin ?? "")
  return finish(child)
}

/** Resolves with the first match of `pattern` in what the child writes to stderr (bounded). */
export const waitForStderr = (child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> =>
  new Promise((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(() => {
      child.stderr?.off("data", onData)
      reject(new Error(`timed out waiting for ${pattern} on stderr; saw: ${seen}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      seen += chunk
      const match = seen.match(pattern)
      if (match !== null) {
        clearTimeout(timer)
        child.stderr?.off("data", onData)
        resolve(match)
      }
    }
    child.stderr?.on("data", onData)
  })

/** A port nothing listens on (bound, then released). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const until = async <A>(probe: () => Promise<A | undefined>, what: string, timeoutMs = 15_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
