/**
 * For the pack-and-install test: run a command with a deadline, in an environment like a user's (Node 24 from this
 * repo first on PATH; none of the repo's own build settings), and find the repo's tools.
 */
import { spawn } from "node:child_process"
import { dirname, join } from "node:path"

export const ROOT = join(import.meta.dirname, "../..")
export const TOOLS = {
  tsc: join(ROOT, "node_modules/typescript/bin/tsc"),
  wrangler: join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
  deno: join(ROOT, "node_modules/.bin/deno"),
  typeRoots: join(ROOT, "node_modules/@types")
}

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * A user's environment: no "reprise-source" condition (NODE_OPTIONS, WRANGLER_BUILD_CONDITIONS: see
 * vitest.config.ts), no npm_* variables of the `npm test` that runs this, and the pinned Node first on PATH.
 */
export const userEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith("npm_") || key === "NODE_OPTIONS" || key === "WRANGLER_BUILD_CONDITIONS") continue
    env[key] = value
  }
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ""}`
  return { ...env, WRANGLER_SEND_METRICS: "false", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...extra }
}

/** Runs `command` to its end, or kills it after `timeoutMs` (then `code` is null and stderr says so). */
export const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs: number, env = userEnv()): Promise<Ran> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => void (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => void (stderr += String(chunk)))
    const timer = setTimeout(() => {
      stderr += `\n[${command} ${args.join(" ")} did not finish within ${timeoutMs / 1000} s and was killed]`
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("error", (error) => void (stderr += `\n[could not run ${command}: ${error.message}]`))
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

/** The output of a failed command, for an assertion message. */
export const explain = (what: string, ran: Ran): string => `${what} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`.slice(0, 6000)

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
