/**
 * Issue 19, finding 9: the SQLite file holds the callback-signing secret, so the server creates it readable by its
 * owner only (0600), with its WAL files, whatever the umask; a file that exists keeps its mode. A file the server
 * may not write is refused at start (it served read-only, answering every start 503).
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { serve } from "../../../adapters/node/serve.ts"
import { echo } from "../../http/http-fixture.ts"

const modeOf = (path: string) => statSync(path).mode & 0o777

describe("the SQLite file's mode (issue 19, finding 9)", () => {
  it("creates the database 0600 (and its -wal and -shm files), holding the generated secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-mode-"))
    const dbPath = join(dir, "reprise.db")
    try {
      const server = await serve({ functions: [echo], dbPath, port: 0, handleSignals: false })
      try {
        const started = await fetch(`${server.url}/v1/functions/echo/executions?wait=5`, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"input\":1}" })
        assert.strictEqual(started.status, 201)
        assert.strictEqual(modeOf(dbPath), 0o600)
        for (const extra of ["-wal", "-shm"]) if (existsSync(dbPath + extra)) assert.strictEqual(modeOf(dbPath + extra), 0o600, extra)
        assert.isTrue(existsSync(dbPath + "-wal"), "WAL mode keeps a -wal file while open")
      } finally {
        await server.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("leaves the mode of a database file that already exists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-mode-"))
    const dbPath = join(dir, "reprise.db")
    try {
      writeFileSync(dbPath, "")
      chmodSync(dbPath, 0o640)
      const server = await serve({ functions: [echo], dbPath, port: 0, handleSignals: false })
      await server.close()
      assert.strictEqual(modeOf(dbPath), 0o640)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("refuses a database file it may not write, at start, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-mode-"))
    const dbPath = join(dir, "reprise.db")
    // Root writes whatever the mode says: an immutable file is what it may not write.
    const asRoot = process.getuid?.() === 0
    try {
      await (await serve({ functions: [echo], dbPath, port: 0, handleSignals: false })).close()
      if (asRoot) execFileSync("chattr", ["+i", dbPath])
      else chmodSync(dbPath, 0o400)
      const refused = await serve({ functions: [echo], dbPath, port: 0, handleSignals: false, secret: "a secret kept out of the file" }).then(
        (server) => server.close().then(() => "served"),
        (error: unknown) => String(error)
      )
      assert.include(refused, `${dbPath} cannot be written (attempt to write a readonly database)`)
    } finally {
      if (asRoot) execFileSync("chattr", ["-i", dbPath])
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a file another connection holds a write transaction on is refused as locked, not as one it may not write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-mode-"))
    const dbPath = join(dir, "reprise.db")
    try {
      await (await serve({ functions: [echo], dbPath, port: 0, handleSignals: false })).close()
      const other = new DatabaseSync(dbPath)
      other.exec("BEGIN IMMEDIATE")
      try {
        const refused = await serve({ functions: [echo], dbPath, port: 0, handleSignals: false }).then(
          (server) => server.close().then(() => "served"),
          (error: unknown) => String(error)
        )
        assert.include(refused, "database is locked")
        assert.notInclude(refused, "cannot be written")
      } finally {
        other.exec("ROLLBACK")
        other.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
