/**
 * The listing index (docs/design.md §3 and §5): derived from the logs, eventually consistent, rebuildable. Rows are
 * spread over a fixed number of index objects by a hash of the execution id; each shard keeps them in a SQLite
 * table ordered for listing. Execution objects publish their summary to their shard whenever it changes (start,
 * end, deletion) and again whenever they wake up and find the shard behind (see execution-host.ts).
 */
import { DurableObject } from "cloudflare:workers"
import { errorOfRow, type ExecutionSummary } from "reprise/store"
import type { DurableObjectState } from "./cf-types.ts"

export interface ShardQuery {
  readonly functionName?: string | undefined
  readonly status?: string | undefined
  readonly version?: string | undefined
  /** List only rows after this position (newest first, ties by id). */
  readonly after?: { readonly startedAt: number; readonly executionId: string } | undefined
  readonly limit: number
}

/** What an index object answers over RPC. */
export interface IndexShard {
  /** Writes a row unless the shard already holds a later version of it (a higher seq of the same run). */
  upsert(summary: ExecutionSummary, seq: number): void
  remove(executionId: string): void
  list(query: ShardQuery): Array<ExecutionSummary>
}

interface Row extends Record<string, string | number | null> {
  execution_id: string
  function_name: string
  version: string | null
  status: string
  started_at: number
  ended_at: number | null
  error_type: string | null
  error_message: string | null
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS executions (
     execution_id TEXT PRIMARY KEY, function_name TEXT NOT NULL, status TEXT NOT NULL,
     started_at INTEGER NOT NULL, ended_at INTEGER, seq INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS executions_by_start ON executions (started_at DESC, execution_id)",
  "CREATE INDEX IF NOT EXISTS executions_by_function ON executions (function_name, started_at DESC, execution_id)"
]
/** Columns added since the first shards: a shard created before one gains it when it next starts. */
const ADDED_COLUMNS: ReadonlyArray<{ readonly column: string; readonly statements: ReadonlyArray<string> }> = [
  {
    column: "version", // version labels
    statements: [
      "ALTER TABLE executions ADD COLUMN version TEXT",
      "CREATE INDEX IF NOT EXISTS executions_by_version ON executions (version, started_at DESC, execution_id)"
    ]
  },
  {
    // Why a FAILED or STOPPED execution ended. Rows published before it show none until published again.
    column: "error_type",
    statements: ["ALTER TABLE executions ADD COLUMN error_type TEXT", "ALTER TABLE executions ADD COLUMN error_message TEXT"]
  }
]

const toSummary = (row: Row): ExecutionSummary => ({
  executionId: row.execution_id,
  functionName: row.function_name,
  ...(row.version === null ? {} : { version: row.version }),
  status: row.status as ExecutionSummary["status"],
  startedAt: row.started_at,
  ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
  ...errorOfRow(row.status, row.error_type, row.error_message)
})

export class IndexObject extends DurableObject implements IndexShard {
  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env)
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement)
    const columns = ctx.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('executions')").toArray()
    for (const added of ADDED_COLUMNS) {
      if (!columns.some((column) => column.name === added.column)) for (const statement of added.statements) ctx.storage.sql.exec(statement)
    }
  }

  upsert(summary: ExecutionSummary, seq: number): void {
    // A row from another run of the same id (re-created after deletion) replaces it whatever its seq.
    this.ctx.storage.sql.exec(
      `INSERT INTO executions (execution_id, function_name, version, status, started_at, ended_at, error_type, error_message, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (execution_id) DO UPDATE SET function_name = excluded.function_name, version = excluded.version, status = excluded.status,
         started_at = excluded.started_at, ended_at = excluded.ended_at, error_type = excluded.error_type,
         error_message = excluded.error_message, seq = excluded.seq
       WHERE excluded.seq >= executions.seq OR excluded.started_at != executions.started_at`,
      summary.executionId,
      summary.functionName,
      summary.version ?? null,
      summary.status,
      summary.startedAt,
      summary.endedAt ?? null,
      summary.error?.errorType ?? null,
      summary.error?.errorMessage ?? null,
      seq
    )
  }

  remove(executionId: string): void {
    this.ctx.storage.sql.exec("DELETE FROM executions WHERE execution_id = ?", executionId)
  }

  list(query: ShardQuery): Array<ExecutionSummary> {
    const where: Array<string> = []
    const bindings: Array<unknown> = []
    if (query.functionName !== undefined) {
      where.push("function_name = ?")
      bindings.push(query.functionName)
    }
    if (query.status !== undefined) {
      where.push("status = ?")
      bindings.push(query.status)
    }
    if (query.version !== undefined) {
      where.push("version = ?")
      bindings.push(query.version)
    }
    if (query.after !== undefined) {
      where.push("(started_at < ? OR (started_at = ? AND execution_id > ?))")
      bindings.push(query.after.startedAt, query.after.startedAt, query.after.executionId)
    }
    const sql = `SELECT execution_id, function_name, version, status, started_at, ended_at, error_type, error_message FROM executions
      ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
      ORDER BY started_at DESC, execution_id ASC LIMIT ?`
    return this.ctx.storage.sql.exec<Row>(sql, ...bindings, query.limit).toArray().map(toSummary)
  }
}
