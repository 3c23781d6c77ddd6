/**
 * The SQLite store's schema and its versioned migrations. `schema_version` records every migration applied (one
 * row each); the database's version is the highest. Opening applies the missing migrations in order, all in one
 * transaction, and refuses a database written by a newer Reprise (its version is above the last migration here).
 */
import type { DatabaseSync } from "node:sqlite"
import { Schema } from "effect"

export interface Migration {
  readonly version: number
  readonly sql: string
}

/** Append-only: never edit a migration that has shipped, add the next version instead. */
export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    sql: `
      CREATE TABLE executions (
        execution_id  TEXT PRIMARY KEY,
        function_name TEXT NOT NULL,
        status        TEXT NOT NULL,
        started_at    INTEGER NOT NULL,
        ended_at      INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX executions_by_start ON executions (started_at DESC, execution_id);
      CREATE INDEX executions_by_function ON executions (function_name, started_at DESC, execution_id);
      CREATE INDEX executions_by_status ON executions (status, started_at DESC, execution_id);

      CREATE TABLE events (
        execution_id TEXT NOT NULL REFERENCES executions (execution_id) ON DELETE CASCADE,
        seq          INTEGER NOT NULL,
        event        TEXT NOT NULL,
        PRIMARY KEY (execution_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE alarms (
        execution_id TEXT PRIMARY KEY REFERENCES executions (execution_id) ON DELETE CASCADE,
        at           INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX alarms_by_time ON alarms (at, execution_id);

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `
  },
  {
    // The function's version label (ctx.patched and friends): shown by list and filtered on.
    version: 2,
    sql: `
      ALTER TABLE executions ADD COLUMN version TEXT;
      CREATE INDEX executions_by_version ON executions (version, started_at DESC, execution_id);
    `
  },
  {
    // Why a FAILED or STOPPED execution ended, for listing (execution-summary.ts's summaryError, whose cut of the
    // type and message the backfill repeats: SQLite's substr and length count code points; a NUL's escape in the event's JSON is read as U+FFFD's). The
    // last event of such an execution is its end.
    version: 3,
    sql: `
      ALTER TABLE executions ADD COLUMN error_type TEXT;
      ALTER TABLE executions ADD COLUMN error_message TEXT;
      UPDATE executions SET
        error_type = (SELECT CASE WHEN length(t) > 200 THEN substr(t, 1, 199) || '…' ELSE t END
                      FROM (SELECT json_extract(replace(event, '\\u0000', '\\ufffd'), '$.error.errorType') AS t FROM events
                            WHERE events.execution_id = executions.execution_id ORDER BY seq DESC LIMIT 1)),
        error_message = (SELECT CASE WHEN length(m) > 200 THEN substr(m, 1, 199) || '…' ELSE m END
                         FROM (SELECT json_extract(replace(event, '\\u0000', '\\ufffd'), '$.error.errorMessage') AS m FROM events
                               WHERE events.execution_id = executions.execution_id ORDER BY seq DESC LIMIT 1))
      WHERE status IN ('FAILED', 'STOPPED');
    `
  }
]

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The database file was written by a newer Reprise: its schema is ahead of every migration this code knows. */
export class SchemaVersionTooNew extends Schema.TaggedError<SchemaVersionTooNew>()("SchemaVersionTooNew", {
  path: Schema.String,
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return `The database ${this.path} has schema version ${this.version}, but this version of Reprise supports up ` +
      `to ${this.supported}: upgrade Reprise, or open another file`
  }
}

export interface MigrationResult {
  /** The version found when the database was opened (0 for a new file). */
  readonly before: number
  /** The version after migrating (equal to `before` when nothing was applied or the file is too new). */
  readonly after: number
}

const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version    INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
)`

/** The database's schema version, 0 when it has none (a new file). */
export const schemaVersion = (db: DatabaseSync): number => {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get()
  if (table === undefined) return 0
  const row = db.prepare("SELECT max(version) AS version FROM schema_version").get()
  return Number(row?.["version"] ?? 0)
}

/**
 * Applies every migration above the database's version, in order, in one IMMEDIATE transaction (so two processes
 * opening the same new file do not both migrate). A database newer than `migrations` is left untouched; the
 * caller refuses it. Throws what SQLite throws; nothing is applied then.
 */
export const applyMigrations = (
  db: DatabaseSync,
  migrations: ReadonlyArray<Migration>,
  now: number
): MigrationResult => {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
  db.exec("BEGIN IMMEDIATE")
  try {
    db.exec(VERSION_TABLE)
    const before = schemaVersion(db)
    if (before >= latest) {
      db.exec("ROLLBACK")
      return { before, after: before }
    }
    const record = db.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)")
    for (const migration of migrations) {
      if (migration.version <= before) continue
      db.exec(migration.sql)
      record.run(migration.version, now)
    }
    db.exec("COMMIT")
    return { before, after: latest }
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK")
    throw error
  }
}
