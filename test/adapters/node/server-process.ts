/**
 * A Reprise server in a process of its own, for the tests that kill it: the script prints `listening <port>` once
 * it serves. Node comes from the repo's pinned `node`, with the `reprise-source` condition (so scripts may import
 * `reprise/...`). What the process prints on stderr goes to `printed`, for the message of a test that goes wrong.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"

const node = join(process.cwd(), "node_modules/.bin/node")

/** Resolves with the process and its port once it listens; rejects if it exits or takes longer than `timeoutMs`. */
export const startServerProcess = (
  script: string,
  args: ReadonlyArray<string>,
  printed: Array<string> = [],
  timeoutMs = 45_000 // a boot took up to 16 s on a busy 2-core machine (npm run soak)
) =>
  new Promise<{ child: ChildProcess; port: number }>((resolve, reject) => {
    const child = spawn(node, ["--conditions=reprise-source", script, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${output}`)), timeoutMs)
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, port: Number(match[1]) })
      }
    })
    child.stderr!.on("data", (chunk) => {
      output += String(chunk)
      printed.push(String(chunk))
    })
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${output}`)))
  })

/** SIGKILLs the process (if it still runs) and resolves once it has exited. */
export const killProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

/** The non-empty lines of a file the servers append to (none while it does not exist). */
export const fileLines = (file: string): Array<string> => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [])
