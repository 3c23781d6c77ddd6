/**
 * The executions listing on SQLite, with the same order and cursors as the package's own listing (reprise/store): newest
 * first, ties by id, a cursor only when another page follows. One prepared statement per filter combination.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite"
import {
  decodeCursor,
  encodeCursor,
  errorOfRow,
  type ExecutionStatus,
  type ExecutionSummary,
  type ListPage,
  type ListQuery,
  pageSize
} from "reprise/store"

/** The columns of an `executions` row that make a summary. */
export const SUMMARY_COLUMNS = "execution_id, function_name, version, status, started_at, ended_at, error_type, error_message"

export interface SummaryRow {
  readonly execution_id: string
  readonly function_name: string
  readonly version: string | null
  readonly status: string
  readonly started_at: number
  readonly ended_at: number | null
  readonly error_type: string | null
  readonly error_message: string | null
}

export const summaryOf = (row: SummaryRow): ExecutionSummary => ({
  executionId: row.execution_id,
  functionName: row.function_name,
  ...(row.version === null ? {} : { version: row.version }),
  status: row.status as ExecutionStatus,
  startedAt: row.started_at,
  ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
  ...errorOfRow(row.status, row.error_type, row.error_message)
})

export type ListExecutions = (query: ListQuery) => ListPage

export const makeListing = (db: DatabaseSync): ListExecutions => {
  const statements = new Map<string, StatementSync>()
  const statementFor = (byFunction: boolean, byStatus: boolean, byVersion: boolean, afterCursor: boolean): StatementSync => {
    const key = `${byFunction}${byStatus}${byVersion}${afterCursor}`
    let statement = statements.get(key)
    if (statement === undefined) {
      const where = [
        ...(byFunction ? ["function_name = ?"] : []),
        ...(byStatus ? ["status = ?"] : []),
        ...(byVersion ? ["version = ?"] : []),
        ...(afterCursor ? ["(started_at < ? OR (started_at = ? AND execution_id > ?))"] : [])
      ]
      statement = db.prepare(
        `SELECT ${SUMMARY_COLUMNS} FROM executions` +
          (where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`) +
          " ORDER BY started_at DESC, execution_id ASC LIMIT ?"
      )
      statements.set(key, statement)
    }
    return statement
  }

  return (query) => {
    const size = pageSize(query.limit)
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    const params: Array<SQLInputValue> = []
    if (query.functionName !== undefined) params.push(query.functionName)
    if (query.status !== undefined) params.push(query.status)
    if (query.version !== undefined) params.push(query.version)
    if (after !== undefined) params.push(after.startedAt, after.startedAt, after.executionId)
    params.push(size + 1) // one more row than the page tells whether another page follows
    const statement = statementFor(query.functionName !== undefined, query.status !== undefined, query.version !== undefined, after !== undefined)
    const rows = statement.all(...params) as unknown as Array<SummaryRow>
    const items = rows.slice(0, size).map(summaryOf)
    return rows.length > size ? { items, cursor: encodeCursor(items[items.length - 1]!) } : { items }
  }
}
