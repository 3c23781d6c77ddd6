import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import pg from "pg"
import { openPostgresStore, type PostgresStore } from "../../../adapters/postgres/postgres-store.ts"
import { applyMigrations, MIGRATIONS } from "../../../adapters/postgres/postgres-schema.ts"
import { executionStarted, executionSucceeded, startedLog } from "../../../src/store/conformance-events.ts"
import { summaryError } from "../../../src/store/execution-summary.ts"
import { storeConformance } from "../../../src/store/conformance.ts"
import type { ExecutionStoreShape } from "../../../src/store/execution-store.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

let server: PostgresServer
const opened: Array<PostgresStore> = []
let schemas = 0

beforeAll(async () => {
  server = await startPostgres()
}, 90_000)

afterAll(async () => {
  for (const store of opened) await store.close()
  await server?.stop()
}, 40_000)

/** A store in a schema of its own, closed after the file. */
const open = (schema = `test_${++schemas}`) =>
  Effect.tap(openPostgresStore({ url: server.url, schema, maxConnections: 4 }), (store) => Effect.sync(() => opened.push(store)))

/** Runs SQL on the server directly, as an operator (or a bad disk) would. */
const sql = async (text: string): Promise<Array<unknown>> => {
  const client = new pg.Client({ connectionString: server.url })
  await client.connect()
  try {
    // Several statements (the simple protocol): the rows of the last one.
    const results = await client.query(text) as unknown as pg.QueryResult | Array<pg.QueryResult>
    return (Array.isArray(results) ? results.at(-1)! : results).rows
  } finally {
    await client.end()
  }
}

describe("the PostgreSQL store passes the conformance kit", () => {
  let store: ExecutionStoreShape
  beforeAll(async () => {
    store = await Effect.runPromise(open("conformance"))
  })
  for (const c of storeConformance) it.effect(c.name, () => Effect.suspend(() => c.run(store)))
})

describe("the PostgreSQL store's schema", () => {
  it.effect("migrates a new schema to the latest version once; reopening keeps the data", () =>
    Effect.gen(function*() {
      const first = yield* open("reopen")
      const events = [...startedLog("kept", { functionName: "fn", at: 1_000, length: 2 }), executionSucceeded(3, 2_000)]
      yield* first.append("kept", events, 0)
      yield* first.setAlarm("kept", 5_000)
      yield* first.keepMeta("secret", "s1")
      yield* Effect.promise(() => first.close())
      const again = yield* open("reopen")
      assert.deepStrictEqual(yield* again.load("kept"), { events, seq: 3 })
      assert.strictEqual(yield* again.getAlarm("kept"), 5_000)
      assert.strictEqual(yield* again.keepMeta("secret", "s2"), "s1")
      assert.deepStrictEqual((yield* again.summary("kept"))?.status, "SUCCEEDED")
      const versions = yield* Effect.promise(() => sql(`SELECT version FROM "reopen".schema_version`))
      assert.deepStrictEqual(versions, MIGRATIONS.map((m) => ({ version: m.version })))
    }))

  it.effect("a schema from before errors were listed gets them from each failed or stopped execution's last event", () =>
    Effect.gen(function*() {
      const schema = "before_errors"
      const long = `${"é".repeat(150)}${"😀".repeat(60)}` // cut at 200 characters
      yield* Effect.promise(async () => {
        const client = new pg.Client({ connectionString: server.url })
        await client.connect()
        try {
          await client.query("BEGIN")
          await applyMigrations(client, schema, MIGRATIONS.filter((m) => m.version <= 5), 1)
          // Rows as a host of schema version 5 wrote them: the events' JSON, the executions row without the error.
          const ends = [
            ["failed", "FAILED", { _tag: "ExecutionFailed", seq: 2, at: 2, error: { errorType: "CardDeclined", errorMessage: long } }],
            ["stopped", "STOPPED", { _tag: "ExecutionStopped", seq: 2, at: 2, error: { errorType: "Cancelled", errorMessage: "by\u0000ops" } }],
            ["bare", "STOPPED", { _tag: "ExecutionStopped", seq: 2, at: 2 }],
            ["running", "RUNNING", undefined]
          ] as const
          for (const [id, status, end] of ends) {
            const events = [executionStarted(id, { functionName: "fn", at: 1 }), ...(end === undefined ? [] : [end])]
            await client.query(`INSERT INTO ${schema}.executions (execution_id, function_name, status, started_at, ended_at, seq) VALUES ($1, 'fn', $2, 1, $3, $4)`, [
              id,
              status,
              end === undefined ? null : 2,
              events.length
            ])
            for (const [i, event] of events.entries()) {
              await client.query(`INSERT INTO ${schema}.events (execution_id, seq, event) VALUES ($1, $2, $3)`, [id, i + 1, JSON.stringify(event)])
            }
          }
          await client.query("COMMIT")
        } finally {
          await client.end()
        }
      })
      const store = yield* open(schema)
      const errors = Object.fromEntries((yield* store.list({ functionName: "fn" })).items.map((row) => [row.executionId, row.error]))
      assert.deepStrictEqual(errors, {
        failed: summaryError({ errorType: "CardDeclined", errorMessage: long }),
        stopped: { errorType: "Cancelled", errorMessage: "by\uFFFDops" }, // a NUL as U+FFFD, as summaryError gives it
        bare: undefined,
        running: undefined
      })
      assert.strictEqual(Array.from(errors["failed"]!.errorMessage).length, 200)
    }))

  it.effect("a row a host of schema version 5 rewound (its error columns left as they were) lists no error while it runs", () =>
    Effect.gen(function*() {
      const store = yield* open("old_rewind")
      yield* store.append("r", [...startedLog("r", { functionName: "fn", at: 1_000 }), { _tag: "ExecutionFailed", seq: 2, at: 2_000, error: { errorType: "E", errorMessage: "m" } }], 0)
      assert.deepStrictEqual((yield* store.summary("r"))?.error, { errorType: "E", errorMessage: "m" })
      // What a version-5 host's rewind writes: the status and end, not the columns it does not know.
      yield* Effect.promise(() => sql(`UPDATE "old_rewind".executions SET status = 'RUNNING', ended_at = NULL WHERE execution_id = 'r'`))
      assert.isUndefined((yield* store.summary("r"))?.error)
      assert.isUndefined((yield* store.list({ functionName: "fn" })).items[0]?.error)
    }))

  it.effect("several stores opening one new schema at once migrate it once", () =>
    Effect.gen(function*() {
      const stores = yield* Effect.all(Array.from({ length: 4 }, () => open("racing")), { concurrency: "unbounded" })
      yield* stores[0]!.append("raced", startedLog("raced", { functionName: "fn", at: 1_000, length: 1 }), 0)
      assert.strictEqual((yield* stores[3]!.load("raced"))?.seq, 1)
      const versions = yield* Effect.promise(() => sql(`SELECT version FROM "racing".schema_version`))
      assert.deepStrictEqual(versions, MIGRATIONS.map((m) => ({ version: m.version })))
    }))

  it.effect("refuses a schema written by a newer Reprise", () =>
    Effect.gen(function*() {
      yield* open("newer")
      yield* Effect.promise(() => sql(`INSERT INTO "newer".schema_version (version, applied_at) VALUES (99, 0)`))
      const refused = yield* Effect.flip(open("newer"))
      assert.strictEqual(refused._tag, "PostgresSchemaTooNew")
      assert.include(refused.message, "99")
    }))

  it.effect("refuses a schema name that is not a plain identifier, and an unreachable server, as StoreFailure", () =>
    Effect.gen(function*() {
      const badName = yield* Effect.flip(openPostgresStore({ url: server.url, schema: "x\"; DROP" }))
      assert.strictEqual(badName._tag, "StoreFailure")
      // Names derived from it (channels, prepared statements) must fit PostgreSQL's 63 bytes.
      const tooLong = yield* Effect.flip(openPostgresStore({ url: server.url, schema: "s".repeat(49) }))
      assert.match(tooLong.message, /at most 48 characters/)
      const unreachable = yield* Effect.flip(openPostgresStore({ url: "postgres://nobody:x@127.0.0.1:1/none", connectTimeoutMs: 2000 }))
      assert.strictEqual(unreachable._tag, "StoreFailure")
      assert.strictEqual(unreachable._tag === "StoreFailure" ? unreachable.operation : "", "migrate")
    }))

  it.effect("a schema name of 48 characters, the longest, serves: every prepared statement and channel name fits", () =>
    Effect.gen(function*() {
      const schema = "l".repeat(48)
      const store = yield* open(schema)
      // More than ten statements prepared on one connection (the 11th's name was cut to the 1st's).
      for (let i = 0; i < 3; i++) yield* store.append(`long-${i}`, startedLog(`long-${i}`, { functionName: "fn", at: 1_000 + i }), 0, { alarmAt: 60_000 })
      const page = yield* store.list({ limit: 10 })
      assert.strictEqual(page.items.length, 3)
      assert.strictEqual((yield* store.dueAlarms(120_000, 10)).length, 3)
      assert.strictEqual((yield* store.nextAlarm(0))?.at, 60_000)
      assert.strictEqual(yield* store.keepMeta("long", "kept"), "kept")
      assert.strictEqual(yield* store.getMeta("long"), "kept")
      assert.strictEqual((yield* store.load("long-2"))?.events.length, 1)
      const rows = yield* Effect.promise(() => sql(`SELECT pg_notify('reprise_${schema}_wanted', 'x') AS sent, pg_notify('reprise_${schema}_flow', 'x') AS too`))
      assert.strictEqual(rows.length, 1)
    }))

  it.effect("the listing and alarm queries use their indexes", () =>
    Effect.gen(function*() {
      yield* open("plans")
      // With sequential scans priced out, an index the planner can use for the query shows in its plan.
      const plan = (query: string) =>
        Effect.promise(() => sql(`SET enable_seqscan = off; EXPLAIN ${query}`)).pipe(
          Effect.map((rows) => rows.map((row) => String((row as Record<string, unknown>)["QUERY PLAN"])).join("\n"))
        )
      assert.include(yield* plan(`SELECT * FROM "plans".executions WHERE function_name = 'f' ORDER BY started_at DESC, execution_id LIMIT 10`), "executions_by_function")
      assert.include(yield* plan(`SELECT * FROM "plans".executions WHERE status = 'RUNNING' ORDER BY started_at DESC, execution_id LIMIT 10`), "executions_by_status")
      assert.include(yield* plan(`SELECT * FROM "plans".executions ORDER BY started_at DESC, execution_id LIMIT 10`), "executions_by_start")
      assert.include(yield* plan(`SELECT execution_id, at FROM "plans".alarms WHERE at > 5 ORDER BY at, execution_id LIMIT 1`), "alarms_by_time")
    }))
})

describe("the PostgreSQL store under concurrent writers", () => {
  it.effect("of many appends racing at one seq, exactly one wins; the others get SeqConflict", () =>
    Effect.gen(function*() {
      const one = yield* open("race")
      const two = yield* open("race")
      yield* one.append("contested", startedLog("contested", { functionName: "fn", at: 1_000, length: 2 }), 0)
      const attempts = Array.from({ length: 8 }, (_, i) => Effect.result((i % 2 === 0 ? one : two).append("contested", [executionSucceeded(3, 2_000 + i)], 2)))
      const results = yield* Effect.all(attempts, { concurrency: "unbounded" })
      const won = results.filter((r) => r._tag === "Success")
      assert.strictEqual(won.length, 1)
      for (const r of results) if (r._tag === "Failure") assert.strictEqual(r.failure._tag, "SeqConflict")
      assert.strictEqual((yield* one.load("contested"))?.seq, 3)
    }))

  it.effect("of many creators of one id, exactly one wins", () =>
    Effect.gen(function*() {
      const store = yield* open("create_race")
      const attempts = Array.from({ length: 6 }, (_, i) =>
        Effect.result(store.append("born", startedLog("born", { functionName: `fn-${i}`, at: 1_000 + i, length: 1 }), 0)))
      const results = yield* Effect.all(attempts, { concurrency: "unbounded" })
      assert.strictEqual(results.filter((r) => r._tag === "Success").length, 1)
      for (const r of results) if (r._tag === "Failure") assert.deepStrictEqual([r.failure._tag, (r.failure as { actualSeq?: number }).actualSeq], ["SeqConflict", 1])
    }))
})

describe("the PostgreSQL store on damaged data", () => {
  it.effect("a missing event, a schema-invalid event and an empty log give LogCorrupted at the right seq", () =>
    Effect.gen(function*() {
      const store = yield* open("damage")
      for (const id of ["gap", "invalid", "emptied"]) yield* store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 3 }), 0)
      yield* Effect.promise(() => sql(`DELETE FROM "damage".events WHERE execution_id = 'gap' AND seq = 2`))
      yield* Effect.promise(() => sql(`UPDATE "damage".events SET event = '{"_tag":"StepSucceeded","seq":"two"}' WHERE execution_id = 'invalid' AND seq = 3`))
      yield* Effect.promise(() => sql(`DELETE FROM "damage".events WHERE execution_id = 'emptied'`))
      for (const [id, seq] of [["gap", 2], ["invalid", 3], ["emptied", 1]] as const) {
        const error = yield* Effect.flip(store.load(id))
        assert.deepStrictEqual([error._tag, error._tag === "LogCorrupted" ? error.seq : 0], ["LogCorrupted", seq], id)
      }
    }))
})

describe("the PostgreSQL store's alarm index and metadata", () => {
  it.effect("nextAlarm, dueAlarms and moveAlarm read and move alarms in time order", () =>
    Effect.gen(function*() {
      const store = yield* open("alarms")
      assert.strictEqual(yield* store.nextAlarm(0), undefined)
      for (const [id, at] of [["x-3", 300], ["x-1", 100], ["x-2", 200], ["x-2b", 200]] as const) {
        yield* store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 1 }), 0)
        yield* store.setAlarm(id, at)
      }
      assert.deepStrictEqual(yield* store.nextAlarm(0), { executionId: "x-1", at: 100 })
      assert.deepStrictEqual(yield* store.nextAlarm(100), { executionId: "x-2", at: 200 })
      assert.strictEqual(yield* store.nextAlarm(300), undefined)
      assert.deepStrictEqual((yield* store.dueAlarms(200, 10)).map((a) => a.executionId), ["x-1", "x-2", "x-2b"])
      assert.deepStrictEqual((yield* store.dueAlarms(1_000, 2)).map((a) => a.executionId), ["x-1", "x-2"])
      assert.isFalse(yield* store.moveAlarm("x-1", 150, 400))
      assert.isTrue(yield* store.moveAlarm("x-1", 100, 400))
      assert.strictEqual(yield* store.getAlarm("x-1"), 400)
      yield* store.delete("x-2")
      assert.deepStrictEqual((yield* store.dueAlarms(1_000, 10)).map((a) => a.executionId), ["x-2b", "x-3", "x-1"])
      const orphan = yield* Effect.flip(store.setAlarm("nobody", 1_000))
      assert.strictEqual(orphan._tag, "StoreFailure")
    }))

  it.effect("runningWithoutAlarm pages through the running executions that have no alarm, newest first", () =>
    Effect.gen(function*() {
      const store = yield* open("unwatched")
      for (const [id, at] of [["u-old", 1_000], ["u-mid", 2_000], ["u-new", 3_000], ["watched", 4_000], ["ended", 5_000]] as const) {
        yield* store.append(id, startedLog(id, { functionName: "fn", at, length: 1 }), 0, id === "watched" ? { alarmAt: 9_000 } : undefined)
      }
      yield* store.append("ended", [executionSucceeded(2, 6_000)], 1)
      const first = yield* store.runningWithoutAlarm(undefined, 2)
      assert.deepStrictEqual(first.executionIds, ["u-new", "u-mid"])
      const second = yield* store.runningWithoutAlarm(first.next, 2)
      assert.deepStrictEqual(second, { executionIds: ["u-old"] })
      assert.strictEqual(yield* store.getAlarm("watched"), 9_000, "the start's alarm was written with it")
    }))

  it.effect("keepMeta: the first writer wins, across stores racing on one key", () =>
    Effect.gen(function*() {
      const stores = yield* Effect.all([open("meta"), open("meta"), open("meta")])
      const kept = yield* Effect.all(stores.map((s, i) => s.keepMeta("callback-secret", `value-${i}`)), { concurrency: "unbounded" })
      assert.strictEqual(new Set(kept).size, 1)
    }))

  it.effect("a closed store fails with StoreFailure naming the operation", () =>
    Effect.gen(function*() {
      const store = yield* open("closed")
      yield* Effect.promise(() => store.close())
      const error = yield* Effect.flip(store.load("any"))
      assert.deepStrictEqual([error._tag, error._tag === "StoreFailure" ? error.operation : ""], ["StoreFailure", "load"])
      yield* Effect.promise(() => store.close()) // closing twice is fine
    }))
})
