/**
 * The Node ExecutionStore on `node:sqlite` (docs/design.md §5 and §9): one database file in WAL mode. Events are
 * kept as validated JSON, one row each; the log's seq is the highest event seq. An append reads it, compares, and
 * inserts the batch in one IMMEDIATE transaction, with the `executions` row (the listing index) when the batch
 * changes it (a start, an end), so a batch is atomic and the conditional append holds even against another process
 * on the same file. A step writes one row, not two: the executions row is not touched (about 10 us less per step).
 * The head an append checks is the one this connection's last commit left, while no other connection has written
 * the file since (sqlite-heads.ts); else it is read.
 * Appends are group-committed (group-commit.ts): those of one event-loop turn, from every execution, share one
 * transaction, each checked on its own. Every call is synchronous underneath: no other fiber of this process runs
 * inside a transaction.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite"
import { Clock, Effect, Layer, Result } from "effect"
import {
  attemptStore as attempt,
  checkAppend,
  decodeLog,
  decodeLogPage,
  EMPTY_HEAD,
  encodeEvents,
  ExecutionStore,
  type ExecutionStoreShape,
  LogCorrupted,
  type LogEvent,
  type LogHead,
  type SeqConflict,
  type StoredLog,
  type StoreFailure,
  storeFailure
} from "reprise/store"
import { makeGroupCommitter } from "./group-commit.ts"
import { makeHeadCache } from "./sqlite-heads.ts"
import { namingFile, openDatabase } from "./sqlite-open.ts"
import type { FileOwnership } from "./sqlite-owner.ts"
import { makeListing, SUMMARY_COLUMNS, summaryOf, type SummaryRow } from "./sqlite-listing.ts"
import { applyMigrations, LATEST_VERSION, MIGRATIONS, SchemaVersionTooNew } from "./sqlite-schema.ts"

export interface SqliteStoreOptions {
  /** The database file (created with its directory when missing). */
  readonly path: string
  /**
   * NORMAL (default): a commit survives the process being killed; a power loss or an OS crash may lose the commits
   * since the last checkpoint (never corrupting the file). FULL: every commit is fsynced, and survives those too.
   */
  readonly synchronous?: "NORMAL" | "FULL"
  /** How long a write waits for another connection's lock before failing (default 5000 ms). */
  readonly busyTimeoutMs?: number
  /**
   * WAL pages written before a commit checkpoints them into the database file (default 10,000, about 40 MB).
   * SQLite's own default (1,000) checkpoints, and with NORMAL fsyncs, ten times as often: ~10 us more per step.
   */
  readonly walAutocheckpointPages?: number
  /**
   * "normal" (default): other processes may read and write the file (the sqlite3 shell, a backup: appends stay
   * conditional across processes; a second server is kept out by `serves`). "exclusive": this connection holds the file until it closes; no other
   * process can open it, and each transaction skips the shared-memory locking (~7 us less per step).
   */
  readonly locking?: "normal" | "exclusive"
  /**
   * true (default): the appends of one event-loop turn, from every execution, share one transaction and one commit
   * (group-commit.ts); each is answered once that commit is done, a turn later than alone. false: each append
   * commits on its own, at once.
   */
  readonly groupCommit?: boolean
  /**
   * true: this store serves the file, and no other store opened with `serves` may (sqlite-owner.ts); a second one
   * fails to open. Servers set it; tools and tests that read a served file do not. Default false.
   */
  readonly serves?: boolean
}

export interface AlarmEntry {
  readonly executionId: string
  readonly at: number
}

/** The ExecutionStore, plus what the Node adapter's scheduler and server need (synchronous; throw StoreFailure). */
export interface SqliteStore extends ExecutionStoreShape {
  readonly path: string
  /**
   * The open connection (for pragmas such as `max_page_count`, and fault-injection tests); the store owns it. Do not
   * change `events` or `executions` through it: the store remembers heads (sqlite-heads.ts), and only another
   * connection's commits make it read them again.
   */
  readonly database: DatabaseSync
  /** The earliest alarm, or the earliest strictly after `after`. */
  nextAlarm(after?: number): AlarmEntry | undefined
  /** Alarms due at `now`, earliest first. */
  dueAlarms(now: number, limit: number): ReadonlyArray<AlarmEntry>
  /** Moves an alarm to `to` only if it is still at `from`; true when it was moved. */
  postponeAlarm(executionId: string, from: number, to: number): boolean
  runningExecutionIds(): ReadonlyArray<string>
  /** Running executions without an alarm, in listing order, a page at a time (`after`: the previous page's `next`). */
  runningWithoutAlarm(after: string | undefined, limit: number): { readonly executionIds: ReadonlyArray<string>; readonly next?: string }
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  /** Sets `key` to `value` only if it holds exactly `expected` (undefined: nothing); true when set. */
  swapMeta(key: string, expected: string | undefined, value: string): boolean
  /** The value under `key`; when there is none, `value` is stored and returned (the first writer wins). */
  keepMeta(key: string, value: string): string
  /** Commits the appends waiting for this turn's group commit now (they are answered as usual). */
  flush(): void
  close(): void
}

interface AppendRow extends SummaryRow {
  /** The log's last seq (null: an executions row without events, which no append leaves). */
  readonly seq: number | null
}

interface EventRow {
  readonly seq: number
  readonly event: string
}

/** The same for the scheduler's synchronous calls: SQLite errors are thrown as StoreFailure. */
const orThrow = <A>(operation: string, work: () => A): A => {
  try {
    return work()
  } catch (error) {
    throw storeFailure(operation)(error)
  }
}

export const openSqliteStore = Effect.fn("openSqliteStore")(function*(
  options: SqliteStoreOptions
): Effect.fn.Return<SqliteStore, StoreFailure | SchemaVersionTooNew> {
  const { path } = options
  const now = yield* Clock.currentTimeMillis
  const { db, ownership } = yield* attempt("open", () => openDatabase(options))
  const closeAll = () => {
    db.close()
    ownership?.release()
  }
  const migrate = () => {
    try {
      return applyMigrations(db, MIGRATIONS, now)
    } catch (error) {
      throw namingFile(path, error)
    }
  }
  const migrated = yield* attempt("migrate", migrate).pipe(
    Effect.tapError(() => Effect.sync(closeAll))
  )
  if (migrated.before > LATEST_VERSION) {
    closeAll()
    return yield* new SchemaVersionTooNew({ path, version: migrated.before, supported: LATEST_VERSION })
  }
  return makeSqliteStore(db, path, options.groupCommit ?? true, ownership)
})

/** The store as a scoped layer: the database is closed when the layer is released. */
export const layerSqliteStore = (options: SqliteStoreOptions): Layer.Layer<ExecutionStore, StoreFailure | SchemaVersionTooNew> =>
  Layer.effect(
    ExecutionStore,
    Effect.acquireRelease(openSqliteStore(options), (store) => Effect.sync(() => store.close()))
  )

/** How many executions' heads an append may find without a read (sqlite-heads.ts); about 200 bytes each. */
const REMEMBERED_HEADS = 10_000

/** The store over an open, migrated database. */
const makeSqliteStore = (db: DatabaseSync, path: string, grouped: boolean, ownership: FileOwnership | undefined): SqliteStore => {
  const sql = (text: string): StatementSync => db.prepare(text)
  const begin = sql("BEGIN")
  const beginImmediate = sql("BEGIN IMMEDIATE")
  const commit = sql("COMMIT")
  const rollback = () => {
    if (db.isTransaction) db.exec("ROLLBACK")
  }
  const dataVersion = sql("PRAGMA data_version")
  const heads = makeHeadCache(REMEMBERED_HEADS)
  /** A write transaction, whose appends' heads are remembered once it commits. */
  const write: { begin(): void; commit(): void; rollback(): void } = {
    begin: () => {
      beginImmediate.run()
      heads.begin(dataVersion.get()!["data_version"] as number)
    },
    commit: () => {
      commit.run()
      heads.commit()
    },
    rollback: () => {
      rollback()
      heads.rollback()
    }
  }
  const selectExecution = sql(`SELECT ${SUMMARY_COLUMNS} FROM executions WHERE execution_id = ?`)
  const selectForAppend = sql(
    `SELECT ${SUMMARY_COLUMNS}, (SELECT max(seq) FROM events WHERE execution_id = x.execution_id) AS seq ` +
      "FROM executions AS x WHERE execution_id = ?"
  )
  const selectEvents = sql("SELECT seq, event FROM events WHERE execution_id = ? ORDER BY seq")
  const selectEventsAfter = sql("SELECT seq, event FROM events WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?")
  const insertExecution = sql(
    "INSERT INTO executions (execution_id, function_name, version, status, started_at, ended_at, error_type, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
  )
  // The version too: a rewind replaces it with the rewinding host's label (execution-summary.ts).
  const updateExecution = sql(
    "UPDATE executions SET status = ?, ended_at = ?, version = ?, error_type = ?, error_message = ? WHERE execution_id = ?"
  )
  const insertEvent = sql("INSERT INTO events (execution_id, seq, event) VALUES (?, ?, ?)")
  const deleteExecution = sql("DELETE FROM executions WHERE execution_id = ?") // events and alarm cascade
  const upsertAlarm = sql(
    "INSERT INTO alarms (execution_id, at) VALUES (?, ?) ON CONFLICT (execution_id) DO UPDATE SET at = excluded.at"
  )
  const selectAlarm = sql("SELECT at FROM alarms WHERE execution_id = ?")
  const removeAlarm = sql("DELETE FROM alarms WHERE execution_id = ?")
  const moveAlarm = sql("UPDATE alarms SET at = ? WHERE execution_id = ? AND at = ?")
  const firstAlarm = sql("SELECT execution_id, at FROM alarms ORDER BY at, execution_id LIMIT 1")
  const firstAlarmAfter = sql("SELECT execution_id, at FROM alarms WHERE at > ? ORDER BY at, execution_id LIMIT 1")
  const alarmsDue = sql("SELECT execution_id, at FROM alarms WHERE at <= ? ORDER BY at, execution_id LIMIT ?")
  const selectRunning = sql("SELECT execution_id FROM executions WHERE status = 'RUNNING'")
  // In the order of the executions_by_status index, from after the cursor (started_at, execution_id).
  const unwatchedTail = "AND NOT EXISTS (SELECT 1 FROM alarms AS a WHERE a.execution_id = x.execution_id) " +
    "ORDER BY started_at DESC, execution_id LIMIT ?"
  const selectUnwatched = sql(`SELECT execution_id, started_at FROM executions AS x WHERE status = 'RUNNING' ${unwatchedTail}`)
  const selectUnwatchedAfter = sql(
    "SELECT execution_id, started_at FROM executions AS x WHERE status = 'RUNNING' " +
      `AND (started_at < ? OR (started_at = ? AND execution_id > ?)) ${unwatchedTail}`
  )
  const selectMeta = sql("SELECT value FROM meta WHERE key = ?")
  const upsertMeta = sql(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
  )
  const insertMetaIfAbsent = sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
  const replaceMeta = sql("UPDATE meta SET value = ? WHERE key = ? AND value = ?")
  const list = makeListing(db)

  /** The stored rows of a log, or of its page after `afterSeq` (undefined: no such execution), read in one snapshot. */
  const readLog = (executionId: string, page?: { readonly afterSeq: number; readonly limit: number }): ReadonlyArray<EventRow> | undefined => {
    begin.run()
    try {
      const found = selectExecution.get(executionId) !== undefined
      const select = () => page === undefined ? selectEvents.all(executionId) : selectEventsAfter.all(executionId, page.afterSeq, page.limit)
      const rows = found ? (select() as unknown as Array<EventRow>) : undefined
      commit.run()
      return rows
    } catch (error) {
      rollback()
      throw error
    }
  }

  /** The rows' events as JSON, checked to run without a gap from `firstSeq`. */
  const parseRows = (executionId: string, rows: ReadonlyArray<EventRow>, firstSeq: number): Array<unknown> | LogCorrupted => {
    const raw: Array<unknown> = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!
      const seq = firstSeq + i
      if (row.seq !== seq) return new LogCorrupted({ executionId, seq, reason: `the event at seq ${seq} is missing (found seq ${row.seq} next)` })
      try {
        raw[i] = JSON.parse(row.event)
      } catch (error) {
        return new LogCorrupted({ executionId, seq, reason: `the stored event is not JSON: ${(error as Error).message}` })
      }
    }
    return raw
  }

  const parseLog = (executionId: string, rows: ReadonlyArray<EventRow>) =>
    Effect.suspend((): Effect.Effect<StoredLog, LogCorrupted> => {
      const raw = parseRows(executionId, rows, 1)
      if (raw instanceof LogCorrupted) return Effect.fail(raw)
      return Effect.map(decodeLog(executionId, raw), (events) => ({ events, seq: events.length }))
    })

  /** The stored head (an executions row without events, which no append leaves, reads as seq 0). */
  const readHead = (executionId: string): LogHead => {
    const row = selectForAppend.get(executionId) as AppendRow | undefined
    return row === undefined ? EMPTY_HEAD : { seq: row.seq ?? 0, summary: summaryOf(row) }
  }

  /**
   * The conditional append, inside the open transaction: the check runs before any row is written, so a refused
   * append writes nothing and leaves the rest of its group alone (group-commit.ts). Returns the refusal, or
   * undefined once the rows are written (durable at the group's commit).
   */
  const appendRows = (
    executionId: string,
    events: ReadonlyArray<LogEvent>,
    encoded: ReadonlyArray<unknown>,
    expectedSeq: number,
    alarmAt: number | undefined
  ): SeqConflict | LogCorrupted | undefined => {
    const head = heads.get(executionId) ?? readHead(executionId)
    const checked = checkAppend(executionId, head, events, expectedSeq)
    if (Result.isFailure(checked)) return checked.failure
    const summary = checked.success
    const endedAt = summary.endedAt ?? null
    const errorType = summary.error?.errorType ?? null
    const errorMessage = summary.error?.errorMessage ?? null
    if (head.summary === undefined) {
      insertExecution.run(executionId, summary.functionName, summary.version ?? null, summary.status, summary.startedAt, endedAt, errorType, errorMessage)
    } else if (summary !== head.summary) {
      updateExecution.run(summary.status, endedAt, summary.version ?? null, errorType, errorMessage, executionId)
    }
    for (let i = 0; i < encoded.length; i++) insertEvent.run(executionId, expectedSeq + i + 1, JSON.stringify(encoded[i]))
    if (alarmAt !== undefined) upsertAlarm.run(executionId, alarmAt) // in the same transaction: a start lands with its watchdog
    heads.stage(executionId, { seq: expectedSeq + events.length, summary })
    return undefined
  }

  const committer = makeGroupCommitter<SeqConflict | LogCorrupted>(write)

  /** One append, in its own transaction now (alone in its turn, or groupCommit: false). */
  const appendNow = (...args: Parameters<typeof appendRows>): SeqConflict | LogCorrupted | undefined => {
    write.begin()
    try {
      const refused = appendRows(...args)
      if (refused === undefined) write.commit()
      else write.rollback()
      return refused
    } catch (error) {
      write.rollback()
      throw error
    }
  }

  /** One append in this turn's group: answered once the group has committed. */
  const appendGrouped = (...args: Parameters<typeof appendRows>) =>
    Effect.callback<void, SeqConflict | LogCorrupted | StoreFailure>((resume) =>
      committer.submit({
        executionId: args[0],
        write: () => appendRows(...args),
        done: ({ refused, thrown }) =>
          resume(thrown !== undefined ? Effect.fail(storeFailure("append")(thrown)) : refused !== undefined ? Effect.fail(refused) : Effect.void)
      }))

  /**
   * A write that is not an append (an alarm): in the turn's group while appends are being grouped, so that it
   * shares their commit (under FULL, an fsync of its own cost each ended execution ~4 ms here); else at once. It
   * follows the committer's mode and never switches it.
   */
  const writeInTurn = (operation: string, executionId: string, work: () => void): Effect.Effect<void, StoreFailure> =>
    grouped && committer.grouping
      ? Effect.callback<void, StoreFailure>((resume) =>
        committer.submit({
          executionId,
          write: () => {
            work()
            return undefined
          },
          done: ({ thrown }) => resume(thrown === undefined ? Effect.void : Effect.fail(storeFailure(operation)(thrown)))
        }))
      : attempt(operation, work)

  const alarmEntry = (row: Record<string, unknown>): AlarmEntry => ({ executionId: row["execution_id"] as string, at: row["at"] as number })

  return {
    path,
    database: db,
    load: (executionId) =>
      Effect.flatMap(attempt("load", () => readLog(executionId)), (rows) =>
        rows === undefined ? Effect.succeed(undefined) : parseLog(executionId, rows)),

    readPage: (executionId, afterSeq, limit) =>
      Effect.flatMap(attempt("readPage", () => readLog(executionId, { afterSeq, limit })), (rows) => {
        if (rows === undefined) return Effect.succeed(undefined)
        const raw = parseRows(executionId, rows, afterSeq + 1)
        return raw instanceof LogCorrupted ? Effect.fail(raw) : decodeLogPage(executionId, raw, afterSeq + 1)
      }),

    // The hot path of every step: flatMap chains rather than generators.
    append: (executionId, events, expectedSeq, options) =>
      Effect.flatMap(encodeEvents(executionId, events), (encoded) =>
        grouped && !committer.atOnce(executionId)
          ? Effect.as(appendGrouped(executionId, events, encoded, expectedSeq, options?.alarmAt), events)
          : Effect.flatMap(attempt("append", () => appendNow(executionId, events, encoded, expectedSeq, options?.alarmAt)), (refused) =>
            refused === undefined ? Effect.succeed(events) : Effect.fail(refused))),

    setAlarm: (executionId, at) => writeInTurn("setAlarm", executionId, () => void upsertAlarm.run(executionId, at)),
    getAlarm: (executionId) =>
      attempt("getAlarm", () => (selectAlarm.get(executionId) as { at: number } | undefined)?.at),
    deleteAlarm: (executionId) => writeInTurn("deleteAlarm", executionId, () => void removeAlarm.run(executionId)),
    list: (query) => attempt("list", () => list(query)),
    summary: (executionId) =>
      attempt("summary", () => {
        const row = selectExecution.get(executionId) as SummaryRow | undefined
        return row === undefined ? undefined : summaryOf(row)
      }),
    delete: (executionId) =>
      attempt("delete", () => {
        deleteExecution.run(executionId)
        heads.forget(executionId)
      }),

    nextAlarm: (after) =>
      orThrow("nextAlarm", () => {
        const row = after === undefined ? firstAlarm.get() : firstAlarmAfter.get(after)
        return row === undefined ? undefined : alarmEntry(row)
      }),
    dueAlarms: (now, limit) => orThrow("dueAlarms", () => alarmsDue.all(now, limit).map(alarmEntry)),
    postponeAlarm: (executionId, from, to) =>
      orThrow("postponeAlarm", () => Number(moveAlarm.run(to, executionId, from).changes) > 0),
    runningExecutionIds: () =>
      orThrow("runningExecutionIds", () => selectRunning.all().map((row) => row["execution_id"] as string)),
    runningWithoutAlarm: (after, limit) =>
      orThrow("runningWithoutAlarm", () => {
        const cursor = after === undefined ? undefined : JSON.parse(after) as [number, string]
        const rows = cursor === undefined ? selectUnwatched.all(limit) : selectUnwatchedAfter.all(cursor[0], cursor[0], cursor[1], limit)
        const last = rows.at(-1)
        const executionIds = rows.map((row) => row["execution_id"] as string)
        return rows.length < limit || last === undefined
          ? { executionIds }
          : { executionIds, next: JSON.stringify([last["started_at"], last["execution_id"]]) }
      }),
    getMeta: (key) => orThrow("getMeta", () => (selectMeta.get(key) as { value: string } | undefined)?.value),
    setMeta: (key, value) => orThrow("setMeta", () => void upsertMeta.run(key, value)),
    swapMeta: (key, expected, value) =>
      orThrow("swapMeta", () =>
        Number((expected === undefined ? insertMetaIfAbsent.run(key, value) : replaceMeta.run(value, key, expected)).changes) > 0),
    keepMeta: (key, value) =>
      orThrow("keepMeta", () => {
        insertMetaIfAbsent.run(key, value)
        return (selectMeta.get(key) as { value: string }).value
      }),
    flush: () => committer.flush(),
    close: () => {
      if (!db.isOpen) return
      committer.flush() // what was appended before closing is written (and answered) first
      db.close()
      ownership?.release() // after the file: the next server finds it closed
    }
  }
}
