/**
 * reprise/deno's SQLite storage (adapters/deno/sqlite-storage.ts) loads reprise/node's store by a computed import
 * that no type checker follows: this file holds its hand-written view of those modules to the real ones (tsc), and
 * runs the import from the sources (it is plain JavaScript, so Node runs it as deno does).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, assert, describe, it } from "vitest"
import { openSqliteStorage, type SqliteModules } from "../../../adapters/deno/sqlite-storage.ts"
import * as sqlitePorts from "../../../adapters/node/sqlite-ports.ts"
import * as sqliteStore from "../../../adapters/node/sqlite-store.ts"
import { startedLog } from "../../../src/store/conformance-events.ts"

// Compile-time: reprise/node's modules are what sqlite-storage.ts takes them to be.
const modules: SqliteModules<sqliteStore.SqliteStore> = { store: sqliteStore, ports: sqlitePorts }

const dir = mkdtempSync(join(tmpdir(), "reprise-sqlite-storage-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("reprise/deno's SQLite storage", () => {
  it("opens reprise/node's store on the file by its computed import, with the ports the host needs", async () => {
    const path = join(dir, "nested", "reprise.db")
    const { store, ports } = await openSqliteStorage(path)
    try {
      assert.strictEqual(store.path, path)
      assert.isDefined(ports)
      await Effect.runPromise(store.append("e-1", startedLog("e-1", { functionName: "f", at: 1, length: 1 }), 0))
      assert.strictEqual((await Effect.runPromise(store.load("e-1")))?.seq, 1)
      assert.strictEqual(typeof modules.store.openSqliteStore, "function")
    } finally {
      ;(store as unknown as { close(): void }).close()
    }
  })
})
