import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { applyMigrations, LATEST_VERSION, type Migration, MIGRATIONS, schemaVersion } from "../../../adapters/node/sqlite-schema.ts"
import { openSqliteStore } from "../../../adapters/node/sqlite-store.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { executionStarted } from "../../../src/store/conformance-events.ts"
import { summaryError } from "../../../src/store/execution-summary.ts"
import { createExecution, tempDbPath } from "./sqlite-fixture.ts"

/** The rows of schema_version, read through a connection of its own. */
const versions = (path: string) => {
  const db = new DatabaseSync(path)
  const rows = db.prepare("SELECT version, applied_at FROM schema_version ORDER BY version").all()
  db.close()
  return rows.map((row) => ({ version: Number(row["version"]), appliedAt: Number(row["applied_at"]) }))
}

const tables = (db: DatabaseSync) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((row) => row["name"])

describe("SQLite schema migrations", () => {
  it.effect("a fresh file gets every migration, recorded with the Clock's time", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      yield* TestClock.setTime(1_234_567)
      const store = yield* openSqliteStore({ path })
      store.close()
      assert.deepStrictEqual(versions(path), MIGRATIONS.map((m) => ({ version: m.version, appliedAt: 1_234_567 })))
      const db = new DatabaseSync(path)
      assert.strictEqual(schemaVersion(db), LATEST_VERSION)
      assert.deepStrictEqual(tables(db), ["alarms", "events", "executions", "meta", "schema_version"])
      db.close()
    }))

  it.effect("re-opening a file at the latest version changes nothing and keeps the data", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const first = yield* openSqliteStore({ path })
      const events = createExecution(first, "kept", 3)
      first.close()
      const before = versions(path)
      yield* TestClock.adjust("1 hour")
      const again = yield* openSqliteStore({ path })
      assert.deepStrictEqual(versions(path), before)
      assert.deepStrictEqual(yield* again.load("kept"), { events, seq: 3 })
      again.close()
    }))

  it.effect("a file marked with a future version is refused with a clear error and left untouched", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = yield* openSqliteStore({ path })
      store.close()
      const db = new DatabaseSync(path)
      db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)").run(LATEST_VERSION + 1)
      db.close()
      const error = yield* Effect.flip(openSqliteStore({ path }))
      assert.strictEqual(error._tag, "SchemaVersionTooNew")
      if (error._tag !== "SchemaVersionTooNew") return
      assert.deepStrictEqual([error.path, error.version, error.supported], [path, LATEST_VERSION + 1, LATEST_VERSION])
      assert.include(error.message, `schema version ${LATEST_VERSION + 1}`)
      assert.include(error.message, "upgrade Reprise")
      assert.strictEqual(versions(path).length, LATEST_VERSION + 1)
    }))

  it.effect("a file from before errors were listed gets them from each failed or stopped execution's last event", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const db = new DatabaseSync(path)
      applyMigrations(db, MIGRATIONS.filter((m) => m.version <= 2), 1)
      // Rows as a server of schema version 2 wrote them: the events' JSON, the executions row without the error.
      const long = `${"é".repeat(150)}${"😀".repeat(60)}` // cut at 200 code points, not at 200 UTF-16 units
      const ends: Record<string, { status: string; end?: LogEvent }> = {
        failed: { status: "FAILED", end: { _tag: "ExecutionFailed", seq: 2, at: 2, error: { errorType: "CardDeclined", errorMessage: long } } },
        stopped: { status: "STOPPED", end: { _tag: "ExecutionStopped", seq: 2, at: 2, error: { errorType: "Cancelled", errorMessage: "by\u0000ops" } } },
        bare: { status: "STOPPED", end: { _tag: "ExecutionStopped", seq: 2, at: 2 } },
        running: { status: "RUNNING" }
      }
      for (const [id, { status, end }] of Object.entries(ends)) {
        db.prepare("INSERT INTO executions (execution_id, function_name, status, started_at, ended_at) VALUES (?, 'fn', ?, 1, ?)").run(id, status, end === undefined ? null : 2)
        const events = [executionStarted(id, { functionName: "fn", at: 1 }), ...(end === undefined ? [] : [end])]
        events.forEach((event, i) => db.prepare("INSERT INTO events (execution_id, seq, event) VALUES (?, ?, ?)").run(id, i + 1, JSON.stringify(event)))
      }
      db.close()
      const store = yield* openSqliteStore({ path })
      const errors = Object.fromEntries(
        (yield* store.list({ functionName: "fn" })).items.map((row) => [row.executionId, row.error])
      )
      store.close()
      assert.deepStrictEqual(errors, {
        failed: summaryError({ errorType: "CardDeclined", errorMessage: long }),
        stopped: { errorType: "Cancelled", errorMessage: "by\uFFFDops" }, // a NUL as U+FFFD, as summaryError gives it
        bare: undefined,
        running: undefined
      })
      assert.strictEqual(Array.from(errors["failed"]!.errorMessage).length, 200)
    }))

  it("applies only the missing migrations, in order", () => {
    const db = new DatabaseSync(":memory:")
    const v1: Migration = { version: 1, sql: "CREATE TABLE a (x INTEGER)" }
    const v2: Migration = { version: 2, sql: "ALTER TABLE a ADD COLUMN y INTEGER" }
    const v3: Migration = { version: 3, sql: "CREATE TABLE c (z INTEGER); INSERT INTO c SELECT y FROM a" }
    assert.deepStrictEqual(applyMigrations(db, [v1], 10), { before: 0, after: 1 })
    db.exec("INSERT INTO a (x) VALUES (7)")
    assert.deepStrictEqual(applyMigrations(db, [v1, v2, v3], 20), { before: 1, after: 3 })
    assert.deepStrictEqual(applyMigrations(db, [v1, v2, v3], 30), { before: 3, after: 3 })
    assert.deepStrictEqual(db.prepare("SELECT x, y FROM a").all().map((r) => ({ ...r })), [{ x: 7, y: null }])
    assert.deepStrictEqual(db.prepare("SELECT version, applied_at FROM schema_version").all().map((r) => ({ ...r })), [
      { version: 1, applied_at: 10 },
      { version: 2, applied_at: 20 },
      { version: 3, applied_at: 20 }
    ])
    db.close()
  })

  it("a failing migration applies nothing: all the missing migrations run in one transaction", () => {
    const db = new DatabaseSync(":memory:")
    const good: Migration = { version: 1, sql: "CREATE TABLE a (x INTEGER)" }
    const bad: Migration = { version: 2, sql: "CREATE TABLE b (x INTEGER); SELECT * FROM missing_table" }
    assert.throws(() => applyMigrations(db, [good, bad], 10), /missing_table/)
    assert.strictEqual(schemaVersion(db), 0)
    assert.deepStrictEqual(tables(db), [])
    assert.isFalse(db.isTransaction)
    db.close()
  })
})
