/**
 * The ExecutionStore on PostgreSQL, through node-postgres (`pg`, an optional peer dependency, loaded when a store is
 * opened so that importing reprise/postgres costs nothing without it).
 *
 * Each execution has a head row (`executions`: its summary for the listing, and its last seq); events are rows of
 * `events`, one per seq, as json. An append is one statement, so one round trip: `checkAppend` checks the batch
 * against the head the caller expects (seq `expectedSeq`, still running), and the statement moves the head only if
 * it is still there (`UPDATE ... WHERE seq = expected AND status = 'RUNNING'`, which takes the row's lock, so of two
 * racing appends the second finds the head moved) and inserts the batch only if the head moved. A new execution
 * inserts its head row with ON CONFLICT DO NOTHING: of two creators one inserts. When nothing was written, a
 * transaction locks the head row (SELECT ... FOR UPDATE), and `checkAppend` on the real head says why
 * (SeqConflict, or LogCorrupted after the end); an insert meeting an event already at its seq is a SeqConflict
 * too, the last line of defence. Every statement is prepared once per connection (named).
 */
import { Clock, Effect, Layer, Result } from "effect"
import type { Pool, PoolClient } from "pg"
import type { AlarmEntry, UnwatchedPage } from "reprise/host"
import {
  attemptStorePromise as attempt,
  checkAppend,
  decodeCursor,
  decodeLog,
  decodeLogPage,
  EMPTY_HEAD,
  encodeCursor,
  encodeEvents,
  errorOfRow,
  ExecutionStore,
  type ExecutionStatus,
  type ExecutionStoreShape,
  type ExecutionSummary,
  LogCorrupted,
  type LogEvent,
  pageSize,
  SeqConflict,
  type StoreFailure,
  storeFailure
} from "reprise/store"
import { makeFlowLedger, type PostgresFlowLedger } from "./postgres-flow.ts"
import { type Leases, type LeaseOptions, makeLeases } from "./postgres-leases.ts"
import { makeLifecycleBus, type PostgresLifecycleBus } from "./postgres-lifecycle.ts"
import { applyMigrations, LATEST_VERSION, MIGRATIONS, PostgresSchemaTooNew, SCHEMA_NAME } from "./postgres-schema.ts"
import { fencing, postgresStatements, SUMMARY_COLUMNS, tableIn } from "./postgres-statements.ts"

export interface PostgresStoreOptions {
  /** A connection string, e.g. postgres://user:password@127.0.0.1:5432/app (default: $DATABASE_URL). */
  readonly url?: string
  /** The PostgreSQL schema that holds Reprise's tables (default "reprise"; lower-case letters, digits, _). */
  readonly schema?: string
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number
  /** How long to wait for a connection, from the pool or the server, before failing (default 10,000 ms). */
  readonly connectTimeoutMs?: number
  /**
   * Several hosts on the database (postgres-leases.ts): this host's lease options. With them the store fences every
   * write of an execution's log and alarm on this host's lease, and `leases` is the engine's Ownership port.
   */
  readonly leases?: LeaseOptions
  /** With leases: how often each host looks at the shared flow-control queues without a wake-up (postgres-flow.ts). */
  readonly flowPollMs?: number
}

/** The ExecutionStore, plus what the host's ports read (src/host): the alarm index and the metadata. */
export interface PostgresStore extends ExecutionStoreShape {
  readonly schema: string
  /** The leases of this host, when the store was opened with `leases`. */
  readonly leases: Leases | undefined
  /** With leases: flow control's counts shared by the hosts (postgres-flow.ts), the engine's FlowLedger port. */
  readonly flowLedger: PostgresFlowLedger | undefined
  /** With leases: the hosts' lifecycle changes for each other's `GET /v1/events` (postgres-lifecycle.ts). */
  readonly lifecycleBus: PostgresLifecycleBus | undefined
  /** The earliest alarm strictly after `after`. */
  nextAlarm(after: number): Effect.Effect<AlarmEntry | undefined, StoreFailure>
  /** Alarms due at or before `horizon`, earliest first, at most `limit`. */
  dueAlarms(horizon: number, limit: number): Effect.Effect<ReadonlyArray<AlarmEntry>, StoreFailure>
  /** Moves an alarm to `to` only if it is still at `from`; true when it was moved. */
  moveAlarm(executionId: string, from: number, to: number): Effect.Effect<boolean, StoreFailure>
  /** Running executions without an alarm, newest first, a page at a time (`after`: the previous page's `next`). */
  runningWithoutAlarm(after: string | undefined, limit: number): Effect.Effect<UnwatchedPage, StoreFailure>
  getMeta(key: string): Effect.Effect<string | undefined, StoreFailure>
  setMeta(key: string, value: string): Effect.Effect<void, StoreFailure>
  /** Sets `key` to `value` only if it holds exactly `expected` (undefined: nothing); true when set. */
  swapMeta(key: string, expected: string | undefined, value: string): Effect.Effect<boolean, StoreFailure>
  /** The value under `key`; when there is none, `value` is stored and returned (the first writer wins). */
  keepMeta(key: string, value: string): Effect.Effect<string, StoreFailure>
  /** Ends the pool's connections (waiting for the queries under way). Closing twice is fine. */
  close(): Promise<void>
}

/** The largest seq the events table holds (an int4 column). */
const MAX_SEQ = 2 ** 31 - 1

interface SummaryRow {
  readonly execution_id: string
  readonly function_name: string
  readonly status: string
  /** bigint columns arrive as strings. */
  readonly started_at: string
  readonly ended_at: string | null
  readonly version: string | null
  readonly error_type: string | null
  readonly error_message: string | null
}

const summaryOf = (row: SummaryRow): ExecutionSummary => ({
  executionId: row.execution_id,
  functionName: row.function_name,
  status: row.status as ExecutionStatus,
  startedAt: Number(row.started_at),
  ...(row.ended_at === null ? {} : { endedAt: Number(row.ended_at) }),
  ...(row.version === null ? {} : { version: row.version }),
  ...errorOfRow(row.status, row.error_type, row.error_message)
})

/** PostgreSQL's unique_violation: a head row or an event row that is already there. */
const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === "23505"

export const openPostgresStore = Effect.fn("openPostgresStore")(function*(
  options: PostgresStoreOptions = {}
): Effect.fn.Return<PostgresStore, StoreFailure | PostgresSchemaTooNew> {
  const schema = options.schema ?? "reprise"
  const url = options.url ?? process.env["DATABASE_URL"]
  if (!SCHEMA_NAME.test(schema)) {
    return yield* Effect.fail(storeFailure("open")(new Error(`the schema name "${schema}" is not a plain lower-case identifier of at most 48 characters (letters, digits, _)`)))
  }
  if (url === undefined) return yield* Effect.fail(storeFailure("open")(new Error("no connection string: pass url, or set DATABASE_URL")))
  const { Client, Pool } = yield* attempt("open", () => import("pg")).pipe(
    Effect.mapError((error) => storeFailure("open")(new Error(`the PostgreSQL driver is missing: npm install pg (${error.reason})`, { cause: error })))
  )
  const timeout = Math.max(1, Math.floor(options.connectTimeoutMs ?? 10_000))
  const pool = new Pool({ connectionString: url, max: Math.max(1, Math.floor(options.maxConnections ?? 10)), connectionTimeoutMillis: timeout })
  // An idle connection that the server drops emits an error on the pool: the next query reconnects.
  pool.on("error", () => {})
  const now = yield* Clock.currentTimeMillis
  const migrated = yield* attempt("migrate", () => transaction(pool, (client) => applyMigrations(client, schema, MIGRATIONS, now))).pipe(
    Effect.tapError(() => Effect.promise(() => pool.end()))
  )
  if (migrated.before > LATEST_VERSION) {
    yield* Effect.promise(() => pool.end())
    return yield* new PostgresSchemaTooNew({ schema, version: migrated.before, supported: LATEST_VERSION })
  }
  const connect = async () => {
    // A LISTEN connection (leases, flow, lifecycle): TCP keep-alive notices a server gone without a reset (a failover),
    // and the LISTEN query itself is bounded, so that a dead server never holds the listener, or a shutdown, for ever.
    const client = new Client({ connectionString: url, connectionTimeoutMillis: timeout, keepAlive: true, keepAliveInitialDelayMillis: 10_000, query_timeout: timeout })
    await client.connect()
    return client
  }
  const leases = options.leases === undefined ? undefined : makeLeases(pool, schema, connect, options.leases)
  const flowLedger = leases === undefined
    ? undefined
    : makeFlowLedger(pool, schema, connect, { hostId: leases.hostId, leaseMs: leases.leaseMs, pollMs: options.flowPollMs })
  const lifecycleBus = leases === undefined ? undefined : makeLifecycleBus(pool, schema, connect, leases.hostId)
  return makePostgresStore(pool, schema, leases, flowLedger, lifecycleBus)
})

/** The store as a scoped layer: the pool is ended when the layer is released. */
export const layerPostgresStore = (options: PostgresStoreOptions = {}): Layer.Layer<ExecutionStore, StoreFailure | PostgresSchemaTooNew> =>
  Layer.effect(ExecutionStore, Effect.acquireRelease(openPostgresStore(options), (store) => Effect.promise(() => store.close())))

/** Runs `work` in a transaction on one pooled connection: committed if it returns, rolled back if it throws. */
const transaction = async <A>(pool: Pool, work: (client: PoolClient) => Promise<A>): Promise<A> => {
  const client = await pool.connect()
  let broken = false
  try {
    await client.query("BEGIN")
    const result = await work(client)
    await client.query("COMMIT")
    return result
  } catch (error) {
    // A connection whose ROLLBACK fails is in an unknown state: it leaves the pool.
    await client.query("ROLLBACK").catch(() => void (broken = true))
    throw error
  } finally {
    client.release(broken)
  }
}

const makePostgresStore = (
  pool: Pool,
  schema: string,
  leases: Leases | undefined,
  flowLedger?: PostgresFlowLedger,
  lifecycleBus?: PostgresLifecycleBus
): PostgresStore => {
  const holder = leases === undefined ? [] : [leases.hostId]
  /** Statements are named after their text's key, so each connection parses each one once. */
  const names = new Map<string, string>()
  const run = (text: string, values: ReadonlyArray<unknown>) => {
    let name = names.get(text)
    if (name === undefined) names.set(text, (name = `reprise_${schema}_${names.size}`))
    return pool.query({ name, text, values: values as Array<unknown> })
  }
  const query = <R>(text: string, values: ReadonlyArray<unknown>) => run(text, values).then((result) => result.rows as Array<R>)

  const sql = postgresStatements(schema, leases !== undefined)
  const t = tableIn(schema)
  const fenced = fencing(schema, leases !== undefined)

  /** The head a writer expects when it appends at `expectedSeq` (the summary's fields other than status unused). */
  const expectedHead = (executionId: string, expectedSeq: number) =>
    expectedSeq === 0 ? EMPTY_HEAD : { seq: expectedSeq, summary: { executionId, functionName: "", status: "RUNNING" as const, startedAt: 0 } }

  /** Why an append wrote nothing: `checkAppend` on the head row, locked so that it cannot move meanwhile. */
  const refusal = (executionId: string, events: ReadonlyArray<LogEvent>, expectedSeq: number) =>
    transaction(pool, async (client) => {
      const row = (await client.query(sql.lockHead, [executionId])).rows[0] as (SummaryRow & { seq: number }) | undefined
      const head = row === undefined ? EMPTY_HEAD : { seq: row.seq, summary: summaryOf(row) }
      const checked = checkAppend(executionId, head, events, expectedSeq)
      // The head is where the writer expected after all (the execution was deleted and made again between the two
      // reads): a conflict still, as the writer's view of it is gone.
      return Result.isFailure(checked) ? checked.failure : new SeqConflict({ executionId, expectedSeq, actualSeq: head.seq })
    })

  /** An append that holds an ExecutionRewound: `checkAppend` on the locked head row, then the write. */
  const rewindNow = (
    executionId: string,
    events: ReadonlyArray<LogEvent>,
    encoded: ReadonlyArray<unknown>,
    expectedSeq: number,
    alarmAt: number | undefined
  ) =>
    transaction(pool, async (client) => {
      const row = (await client.query(sql.lockHead, [executionId])).rows[0] as (SummaryRow & { seq: number }) | undefined
      const head = row === undefined ? EMPTY_HEAD : { seq: row.seq, summary: summaryOf(row) }
      const checked = checkAppend(executionId, head, events, expectedSeq)
      if (Result.isFailure(checked)) return checked.failure
      const summary = checked.success
      // Fenced like every write: with leases, only the host that holds the execution rewinds it.
      // The version too: the rewind's label replaces the start's (execution-summary.ts).
      const moved = await client.query(
        `UPDATE ${t("executions")} SET seq = $2, status = $3, ended_at = $4, version = $5, error_type = $6, error_message = $7 WHERE execution_id = $1${fenced("$8")}`,
        [
          executionId,
          expectedSeq + events.length,
          summary.status,
          summary.endedAt ?? null,
          summary.version ?? null,
          summary.error?.errorType ?? null,
          summary.error?.errorMessage ?? null,
          ...holder
        ]
      )
      if ((moved.rowCount ?? 0) === 0) return new SeqConflict({ executionId, expectedSeq, actualSeq: head.seq })
      for (let i = 0; i < encoded.length; i++) {
        await client.query(`INSERT INTO ${t("events")} (execution_id, seq, event) VALUES ($1, $2, $3)`, [executionId, expectedSeq + i + 1, JSON.stringify(encoded[i])])
      }
      if (alarmAt !== undefined) await client.query(sql.setAlarm, [executionId, alarmAt, ...holder])
      return undefined
    })

  /** The conditional append; resolves with the refusal, or undefined once written. */
  const appendNow = async (
    executionId: string,
    events: ReadonlyArray<LogEvent>,
    encoded: ReadonlyArray<unknown>,
    expectedSeq: number,
    alarmAt: number | undefined,
    renewed = false
  ): Promise<SeqConflict | LogCorrupted | undefined> => {
    // A rewind is the one append to an ended execution, which the fast path's statement refuses, and it may change
    // the version, which that statement keeps: it is checked and written in a transaction on the locked head
    // instead (it is rare). Anywhere in the batch, as one that ends the execution may rewind it too.
    if (events.some((event) => event._tag === "ExecutionRewound")) return rewindNow(executionId, events, encoded, expectedSeq, alarmAt)
    // The batch itself (its seqs, its start, nothing after an end) is checked here; the head by the statement.
    const presumed = expectedHead(executionId, expectedSeq)
    const checked = checkAppend(executionId, presumed, events, expectedSeq)
    // A refused batch is refused against the real head, which may be elsewhere (then it is a SeqConflict first).
    if (Result.isFailure(checked)) return refusal(executionId, events, expectedSeq)
    const summary = checked.success
    const batch = encoded.map((event) => JSON.stringify(event))
    if (batch.length === 0) {
      // Nothing to write: only the check against the real head.
      const row = (await query<SummaryRow & { seq: number }>(sql.summaryAndSeq, [executionId]))[0]
      const head = row === undefined ? EMPTY_HEAD : { seq: row.seq, summary: summaryOf(row) }
      const headChecked = checkAppend(executionId, head, events, expectedSeq)
      if (Result.isFailure(headChecked)) return headChecked.failure
      if (alarmAt !== undefined) await query(sql.setAlarm, [executionId, alarmAt, ...holder])
      return undefined
    }
    const endedAt = summary.endedAt ?? null
    const errorType = summary.error?.errorType ?? null
    const errorMessage = summary.error?.errorMessage ?? null
    try {
      const written = expectedSeq === 0
        ? await run(sql.create, [executionId, 0, batch, summary.functionName, summary.status, summary.startedAt, endedAt, alarmAt ?? null, summary.version ?? null, errorType, errorMessage, ...holder])
        // A batch that leaves the status alone (checkAppend returns the presumed summary itself) keeps the row's:
        // the presumed RUNNING must not overwrite QUEUED or PAUSED.
        : await run(sql.appendToHead, [executionId, expectedSeq, batch, summary === presumed.summary ? null : summary.status, endedAt, alarmAt ?? null, errorType, errorMessage, ...holder])
      if ((written.rowCount ?? 0) === batch.length) return undefined
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
    }
    const refused = await refusal(executionId, events, expectedSeq)
    // The head is where this writer expected, so the fence refused it: this host's lease lapsed (its event loop was
    // held past it: a long GC, a SIGSTOP, a step that blocks). Nobody took it meanwhile, so nobody else wrote:
    // renewed, the write is made once more. Refused here, the actor went and the execution waited for its watchdog
    // (30 s) on no host, its finished step run again there (found from outside, 3 rounds of 9).
    if (!renewed && leases !== undefined && refused._tag === "SeqConflict" && refused.actualSeq === expectedSeq && (await leases.renewLapsed(executionId))) {
      return appendNow(executionId, events, encoded, expectedSeq, alarmAt, true)
    }
    return refused
  }

  type LoadRow = { head: number; seq: number | null; event: unknown }
  const parseLog = (executionId: string, rows: ReadonlyArray<LoadRow>) =>
    Effect.suspend(() => {
      // An execution with no events joins as one row with a null seq: an empty log, which decodeLog refuses.
      const raw = rows.filter((row) => row.seq !== null)
      for (let i = 0; i < raw.length; i++) {
        if (raw[i]!.seq !== i + 1) {
          return Effect.fail(new LogCorrupted({ executionId, seq: i + 1, reason: `the event at seq ${i + 1} is missing (found seq ${raw[i]!.seq} next)` }))
        }
      }
      return Effect.map(decodeLog(executionId, raw.map((row) => row.event)), (events) => ({ events, seq: events.length }))
    })

  const alarmEntry = (row: { execution_id: string; at: string }): AlarmEntry => ({ executionId: row.execution_id, at: Number(row.at) })
  let closing: Promise<void> | undefined

  return {
    schema,
    leases,
    flowLedger,
    lifecycleBus,
    load: (executionId) =>
      Effect.flatMap(attempt("load", () => query<LoadRow>(sql.load, [executionId])), (rows) =>
        rows.length === 0 ? Effect.succeed(undefined) : parseLog(executionId, rows)),

    append: (executionId, events, expectedSeq, options) =>
      Effect.flatMap(encodeEvents(executionId, events), (encoded) =>
        Effect.flatMap(attempt("append", () => appendNow(executionId, events, encoded, expectedSeq, options?.alarmAt)), (refused) =>
          refused === undefined ? Effect.succeed(events) : Effect.fail(refused))),

    readPage: (executionId, afterSeq, limit) =>
      // seq is an int4: a cursor past its range (from a client) reads as past every seq, an empty page.
      Effect.flatMap(attempt("readPage", () => query<LoadRow>(sql.page, [executionId, Math.min(afterSeq, MAX_SEQ), Math.max(0, Math.floor(limit))])), (rows) => {
        if (rows.length === 0) return Effect.succeed(undefined)
        const raw = rows.filter((row) => row.seq !== null)
        for (let i = 0; i < raw.length; i++) {
          if (raw[i]!.seq !== afterSeq + i + 1) {
            const seq = afterSeq + i + 1
            return Effect.fail(new LogCorrupted({ executionId, seq, reason: `the event at seq ${seq} is missing (found seq ${raw[i]!.seq} next)` }))
          }
        }
        return decodeLogPage(executionId, raw.map((row) => row.event), afterSeq + 1)
      }),

    setAlarm: (executionId, at) => attempt("setAlarm", () => query(sql.setAlarm, [executionId, at, ...holder])).pipe(Effect.asVoid),
    getAlarm: (executionId) =>
      attempt("getAlarm", () => query<{ at: string }>(sql.getAlarm, [executionId])).pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : Number(rows[0].at)))
      ),
    deleteAlarm: (executionId) => attempt("deleteAlarm", () => query(sql.deleteAlarm, [executionId, ...holder])).pipe(Effect.asVoid),
    list: (listQuery) =>
      attempt("list", async () => {
        // Text holds no NUL in PostgreSQL, so no execution has such a name or version; the query would be refused.
        if (listQuery.functionName?.includes("\u0000") === true || listQuery.version?.includes("\u0000") === true) return { items: [] }
        const size = pageSize(listQuery.limit)
        const after = listQuery.cursor === undefined ? undefined : decodeCursor(listQuery.cursor)
        const where: Array<string> = []
        const values: Array<unknown> = []
        const param = (value: unknown) => `$${values.push(value)}`
        if (listQuery.functionName !== undefined) where.push(`function_name = ${param(listQuery.functionName)}`)
        if (listQuery.status !== undefined) where.push(`status = ${param(listQuery.status)}`)
        if (listQuery.version !== undefined) where.push(`version = ${param(listQuery.version)}`)
        if (after !== undefined) {
          const at = param(after.startedAt)
          where.push(`(started_at < ${at} OR (started_at = ${at} AND execution_id > ${param(after.executionId)}))`)
        }
        // One row more than the page tells whether another page follows (ids are in the "C" collation: see the schema).
        const rows = await query<SummaryRow>(
          `SELECT ${SUMMARY_COLUMNS} FROM ${t("executions")}${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`} ` +
            `ORDER BY started_at DESC, execution_id ASC LIMIT ${param(size + 1)}`,
          values
        )
        const items = rows.slice(0, size).map(summaryOf)
        return rows.length > size ? { items, cursor: encodeCursor(items[items.length - 1]!) } : { items }
      }),
    summary: (executionId) =>
      attempt("summary", () => query<SummaryRow>(sql.summary, [executionId])).pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : summaryOf(rows[0])))
      ),
    delete: (executionId) => attempt("delete", () => query(sql.delete, [executionId])).pipe(Effect.asVoid),

    nextAlarm: (after) =>
      attempt("nextAlarm", () => query<{ execution_id: string; at: string }>(sql.nextAlarm, [after])).pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : alarmEntry(rows[0])))
      ),
    dueAlarms: (horizon, limit) =>
      attempt("dueAlarms", () => query<{ execution_id: string; at: string }>(sql.dueAlarms, [horizon, limit])).pipe(
        Effect.map((rows) => rows.map(alarmEntry))
      ),
    moveAlarm: (executionId, from, to) =>
      attempt("moveAlarm", () => run(sql.moveAlarm, [executionId, from, to])).pipe(Effect.map((result) => (result.rowCount ?? 0) > 0)),
    runningWithoutAlarm: (after, limit) =>
      attempt("runningWithoutAlarm", async () => {
        const cursor = after === undefined ? undefined : decodeCursor(after)
        const rows = await query<{ execution_id: string; started_at: string }>(sql.unwatched, [cursor?.startedAt ?? null, cursor?.executionId ?? "", limit])
        const executionIds = rows.map((row) => row.execution_id)
        const last = rows.at(-1)
        return rows.length < limit || last === undefined
          ? { executionIds }
          : { executionIds, next: encodeCursor({ executionId: last.execution_id, functionName: "", status: "RUNNING", startedAt: Number(last.started_at) }) }
      }),
    getMeta: (key) =>
      attempt("getMeta", () => query<{ value: string }>(sql.getMeta, [key])).pipe(Effect.map((rows) => rows[0]?.value)),
    setMeta: (key, value) => attempt("setMeta", () => query(sql.setMeta, [key, value])).pipe(Effect.asVoid),
    swapMeta: (key, expected, value) =>
      attempt("swapMeta", () => (expected === undefined ? run(sql.keepMeta, [key, value]) : run(sql.replaceMeta, [key, expected, value]))).pipe(
        Effect.map((result) => (result.rowCount ?? 0) > 0)
      ),
    keepMeta: (key, value) =>
      attempt("keepMeta", async () => {
        // Two statements, so the read sees a row that a concurrent writer committed while the insert waited on it.
        await query(sql.keepMeta, [key, value])
        return (await query<{ value: string }>(sql.getMeta, [key]))[0]!.value
      }),
    // The leases go first (the engine is gone by now), so that the other hosts need not wait for them to lapse.
    close: () => (closing ??= Promise.all([leases?.releaseAll(), flowLedger?.releaseAll()]).catch(() => {}).then(() => pool.end()))
  }
}
