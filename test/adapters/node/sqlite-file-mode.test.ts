/**
 * Issue 19, finding 9: the SQLite file holds the callback-signing secret, so the server creates it readable by its
 * owner only (0600), with its WAL files, whatever the umask; a file that exists keeps its mode.
 */
import { assert, describe, it } from "@effect/vitest"
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
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
})
