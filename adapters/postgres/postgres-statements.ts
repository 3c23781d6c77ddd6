/**
 * The SQL of the PostgreSQL store, per schema. Tables are schema-qualified; with leases (several hosts on one
 * database), each write of an execution is fenced on this host still holding its lease.
 */

/** An execution's summary columns, as `summaryOf` reads them. */
export const SUMMARY_COLUMNS = "execution_id, function_name, status, started_at, ended_at, version, error_type, error_message"

/** A table of the schema, quoted. */
export const tableIn = (schema: string) => (table: string) => `"${schema}".${table}`

/** With leases, a write of the execution ($1) happens only while this host (the parameter) holds its lease. */
export const fencing = (schema: string, fencedWrites: boolean) => (hostParam: string) =>
  !fencedWrites
    ? ""
    : ` AND EXISTS (SELECT 1 FROM ${tableIn(schema)("leases")} AS l WHERE l.execution_id = $1 AND l.host_id = ${hostParam} AND l.expires_at > clock_timestamp())`

export const postgresStatements = (schema: string, fencedWrites: boolean) => {
  const t = tableIn(schema)
  const fenced = fencing(schema, fencedWrites)
  /** A CTE that sets the alarm to `at` (a parameter; null: no alarm) only if the `head` CTE wrote the head row. */
  const alarmWithHead = (at: string) =>
    `alarm AS (INSERT INTO ${t("alarms")} (execution_id, at) SELECT $1, ${at}::bigint FROM head WHERE ${at}::bigint IS NOT NULL ` +
    "ON CONFLICT (execution_id) DO UPDATE SET at = excluded.at)"

  return {
    load: `SELECT x.seq AS head, e.seq, e.event FROM ${t("executions")} AS x ` +
      `LEFT JOIN ${t("events")} AS e ON e.execution_id = x.execution_id WHERE x.execution_id = $1 ORDER BY e.seq`,
    // The head row joined to the page, so an execution with an empty page still answers (one row, null seq).
    page: `SELECT x.seq AS head, p.seq, p.event FROM ${t("executions")} AS x LEFT JOIN LATERAL (SELECT seq, event FROM ` +
      `${t("events")} AS e WHERE e.execution_id = x.execution_id AND e.seq > $2 ORDER BY e.seq LIMIT $3) AS p ON true ` +
      "WHERE x.execution_id = $1 ORDER BY p.seq",
    // Running executions without an alarm, in listing order (the status index), a page after a cursor.
    unwatched: `SELECT execution_id, started_at FROM ${t("executions")} AS x WHERE status = 'RUNNING' ` +
      `AND ($1::bigint IS NULL OR started_at < $1 OR (started_at = $1 AND execution_id > $2)) ` +
      `AND NOT EXISTS (SELECT 1 FROM ${t("alarms")} AS a WHERE a.execution_id = x.execution_id) ` +
      "ORDER BY started_at DESC, execution_id LIMIT $3",
    lockHead: `SELECT ${SUMMARY_COLUMNS}, seq FROM ${t("executions")} WHERE execution_id = $1 FOR UPDATE`,
    // The fast paths, one statement each: move the head only if it is where the writer expects, and write the
    // batch (a json[] in seq order) only if it moved.
    // With $6 (alarmAt), the alarm is set by the same statement, only if the head moved. A batch that changes the
    // status ($4 not null) sets the error columns too ($7, $8: null unless it ends the execution with an error).
    appendToHead: `WITH head AS (UPDATE ${t("executions")} SET seq = $2 + cardinality($3::json[]), status = COALESCE($4, status), ended_at = $5, ` +
      `error_type = CASE WHEN $4::text IS NULL THEN error_type ELSE $7 END, error_message = CASE WHEN $4::text IS NULL THEN error_message ELSE $8 END ` +
      `WHERE execution_id = $1 AND seq = $2 AND status IN ('QUEUED', 'RUNNING', 'PAUSED')${fenced("$9")} RETURNING 1), ${alarmWithHead("$6")} ` +
      `INSERT INTO ${t("events")} (execution_id, seq, event) ` +
      `SELECT $1, $2 + n, e FROM unnest($3::json[]) WITH ORDINALITY AS batch (e, n) WHERE EXISTS (SELECT 1 FROM head)`,
    create: `WITH head AS (INSERT INTO ${t("executions")} (execution_id, function_name, status, started_at, ended_at, seq, version, error_type, error_message) ` +
      `SELECT $1, $4, $5, $6, $7, cardinality($3::json[]), $9, $10, $11 WHERE true${fenced("$12")} ON CONFLICT (execution_id) DO NOTHING RETURNING 1), ` +
      `${alarmWithHead("$8")} ` +
      `INSERT INTO ${t("events")} (execution_id, seq, event) ` +
      `SELECT $1, $2 + n, e FROM unnest($3::json[]) WITH ORDINALITY AS batch (e, n) WHERE EXISTS (SELECT 1 FROM head)`,
    summaryAndSeq: `SELECT ${SUMMARY_COLUMNS}, seq FROM ${t("executions")} WHERE execution_id = $1`,
    summary: `SELECT ${SUMMARY_COLUMNS} FROM ${t("executions")} WHERE execution_id = $1`,
    delete: `DELETE FROM ${t("executions")} WHERE execution_id = $1`, // events and alarm cascade
    setAlarm: `INSERT INTO ${t("alarms")} (execution_id, at) SELECT $1, $2 WHERE true${fenced("$3")} ` +
      "ON CONFLICT (execution_id) DO UPDATE SET at = excluded.at",
    getAlarm: `SELECT at FROM ${t("alarms")} WHERE execution_id = $1`,
    deleteAlarm: `DELETE FROM ${t("alarms")} WHERE execution_id = $1${fenced("$2")}`,
    moveAlarm: `UPDATE ${t("alarms")} SET at = $3 WHERE execution_id = $1 AND at = $2`,
    nextAlarm: `SELECT execution_id, at FROM ${t("alarms")} WHERE at > $1 ORDER BY at, execution_id LIMIT 1`,
    dueAlarms: `SELECT execution_id, at FROM ${t("alarms")} WHERE at <= $1 ORDER BY at, execution_id LIMIT $2`,
    keepMeta: `INSERT INTO ${t("meta")} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
    setMeta: `INSERT INTO ${t("meta")} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    getMeta: `SELECT value FROM ${t("meta")} WHERE key = $1`,
    replaceMeta: `UPDATE ${t("meta")} SET value = $3 WHERE key = $1 AND value = $2`
  }
}
