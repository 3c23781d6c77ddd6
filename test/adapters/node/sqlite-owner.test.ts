/**
 * One server per database file: a second server on a served file is refused before it resumes anything (it had
 * run the step bodies the first was running, at the same time), and the file is free again once the first closes
 * or dies (kill -9 leaves no stale lock).
 */
import { execFileSync, spawn } from "node:child_process"
import { chmodSync, linkSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { serve } from "../../../adapters/node/serve.ts"
import { ownFile } from "../../../adapters/node/sqlite-owner.ts"
import { openSqliteStore } from "../../../adapters/node/sqlite-store.ts"
import { Effect } from "effect"
import { durable } from "../../../src/index.ts"

const bodies: Array<string> = []
const slow = durable("slow", async (_: unknown, ctx) => {
  await ctx.step("work", async () => {
    bodies.push("work")
    await new Promise((resolve) => setTimeout(resolve, 600))
  })
  return "done"
})

const dirs: Array<string> = []
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-owner-"))
  dirs.push(dir)
  return join(dir, "reprise.db")
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe("one server per database file", () => {
  it("refuses a second server on a served file, which runs nothing; the file is served again once the first closes", async () => {
    const dbPath = tempDb()
    const first = await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })
    try {
      const started = await fetch(`${first.url}/v1/functions/slow/executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: null })
      })
      expect(started.status).toBe(201)
      for (let i = 0; i < 200 && bodies.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(bodies).toEqual(["work"])
      const second = await serve({ functions: [slow], dbPath, port: 0, handleSignals: false }).then(
        (server) => server.close().then(() => "served"),
        (error: unknown) => String(error)
      )
      expect(second).toContain(`${dbPath} is served by another Reprise server (it holds ${realpathSync(dbPath)}-lock)`)
      const { executionId } = await started.json() as { executionId: string }
      let status = "RUNNING"
      for (let i = 0; i < 500 && status === "RUNNING"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        status = (await fetch(`${first.url}/v1/executions/${executionId}`).then((r) => r.json()) as { status: string }).status
      }
      expect(status).toBe("SUCCEEDED")
      expect(bodies).toEqual(["work"]) // the step body ran once: the refused server resumed nothing
    } finally {
      await first.close()
    }
    const third = await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })
    await third.close()
  })

  it("refuses a second server given a symbolic link to the served file (SQLite follows it to the same file)", async () => {
    const dbPath = tempDb()
    const link = join(dbPath, "..", "link.db")
    const first = await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })
    try {
      symlinkSync(dbPath, link)
      const second = await serve({ functions: [slow], dbPath: link, port: 0, handleSignals: false }).then(
        (server) => server.close().then(() => "served"),
        (error: unknown) => String(error)
      )
      expect(second).toContain(`${link} is served by another Reprise server (it holds ${realpathSync(dbPath)}-lock)`)
    } finally {
      await first.close()
    }
    const overTheLink = await serve({ functions: [slow], dbPath: link, port: 0, handleSignals: false }) // free again
    await overTheLink.close()
  })

  it("refuses a file with a second name (a hard link), on which another server would keep a log of its own", async () => {
    const dbPath = tempDb()
    const other = join(dbPath, "..", "other.db")
    await (await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })).close()
    linkSync(dbPath, other)
    for (const path of [dbPath, other]) {
      const refused = await serve({ functions: [slow], dbPath: path, port: 0, handleSignals: false }).then(
        (server) => server.close().then(() => "served"),
        (error: unknown) => String(error)
      )
      expect(refused).toContain(`${path} has 2 names (hard links)`)
    }
    rmSync(other)
    await (await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })).close() // one name again: served
  })

    it("names the lock file and its folder when the folder may not be written (a database file made there before)", async () => {
    const dbPath = tempDb()
    const dir = join(dbPath, "..")
    const store = await Effect.runPromise(openSqliteStore({ path: dbPath }))
    store.close()
    // Root writes whatever the mode says: an immutable folder is one it may not write.
    const asRoot = process.getuid?.() === 0
    if (asRoot) execFileSync("chattr", ["+i", dir])
    else chmodSync(dir, 0o555)
    try {
      const refused = await serve({ functions: [slow], dbPath, port: 0, handleSignals: false }).then(
        (server) => server.close().then(() => "served"),
        (error: unknown) => String(error)
      )
      expect(refused).toContain(`the lock file ${realpathSync(dbPath)}-lock cannot be written (unable to open database file): the server makes it beside the database`)
    } finally {
      if (asRoot) execFileSync("chattr", ["-i", dir])
      else chmodSync(dir, 0o755)
    }
  })

    it("says a lock file something else wrote over holds no data and may be removed, and serves once it is", async () => {
    const dbPath = tempDb()
    await (await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })).close()
    const lockPath = `${realpathSync(dbPath)}-lock`
    writeFileSync(lockPath, "not a database, written over the lock by a restore gone wrong\n".repeat(4))
    const refused = await serve({ functions: [slow], dbPath, port: 0, handleSignals: false }).then(
      (server) => server.close().then(() => "served"),
      (error: unknown) => String(error)
    )
    expect(refused).toContain(`the lock file ${lockPath} is not one a Reprise server made (file is not a database): it holds no data`)
    rmSync(lockPath)
    await (await serve({ functions: [slow], dbPath, port: 0, handleSignals: false })).close()
  })

    it("lets go of the file when SQLite cannot open it (a later server in the process is not refused)", async () => {
    const dir = join(tempDb(), "..")
    const failed = await Effect.runPromise(Effect.result(openSqliteStore({ path: dir, serves: true }))) // a folder: SQLite refuses it
    expect(failed._tag).toBe("Failure")
    ownFile(dir).release() // refused as "served by another Reprise server" before
  })

  it("frees the file when the process that served it is killed", async () => {
    const dbPath = tempDb()
    const owner = fileURLToPath(new URL("../../../adapters/node/sqlite-owner.ts", import.meta.url))
    const child = spawn(process.execPath, [
      "--input-type=module",
      "-e",
      `const { ownFile } = await import(${JSON.stringify(owner)}); ownFile(${JSON.stringify(dbPath)}); console.log("held"); setTimeout(() => {}, 30000)`
    ], { stdio: ["ignore", "pipe", "inherit"] })
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => String(chunk).includes("held") && resolve())
        child.once("exit", (code) => reject(new Error(`the owner exited first (${code})`)))
      })
      expect(() => ownFile(dbPath)).toThrow(/is served by another Reprise server/)
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGKILL")
      await exited
    }
    ownFile(dbPath).release()
  })
})
