/**
 * After a deploy, on the Node server: a real server process on a real SQLite file, stopped and started again with
 * the functions of each deploy (deploy-server.ts), driven over HTTP through the scenario of ../after-a-deploy.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterADeploy } from "../after-a-deploy/scenario.ts"
import { killProcess, startServerProcess } from "./server-process.ts"

const script = join(import.meta.dirname, "deploy-server.ts")
const children: Array<ChildProcess> = []
const dirs: Array<string> = []

afterEach(async () => {
  for (const child of children.splice(0)) await killProcess(child)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Stops the process as a deploy would (SIGTERM: the server closes), and resolves once it has exited. */
const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

describe("after a deploy, on the Node server (a process on a SQLite file)", () => {
  it("executions of a removed function are stopped and paused, changed code is paused without failing, a late callback is not running, a rewind runs under the new label", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-after-a-deploy-"))
    dirs.push(dir)
    const db = join(dir, "reprise.db")
    await afterADeploy(async (deploy) => {
      for (const child of children.splice(0)) await stopped(child)
      const { child, port } = await startServerProcess(script, [db, deploy])
      children.push(child)
      return { url: `http://127.0.0.1:${port}` }
    }, assert)
  }, 120_000)
})
