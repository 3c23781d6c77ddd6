import { writeFileSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { openSqliteStore } from "../../../adapters/node/sqlite-store.ts"
import { executionSucceeded, startedLog } from "../../../src/store/conformance-events.ts"
import { storeConformance } from "../../../src/store/conformance.ts"
import { createExecution, openStore, tempDbPath } from "./sqlite-fixture.ts"

const configurations = [
  { synchronous: "NORMAL" },
  { synchronous: "FULL" },
  { synchronous: "NORMAL", locking: "exclusive" }
] as const
for (const options of configurations) {
  describe(`the SQLite store (${JSON.stringify(options)}) passes the conformance kit`, () => {
    const store = openStore(options)
    for (const c of storeConformance) it.effect(c.name, () => c.run(store))
  })
}

describe("the SQLite store on disk", () => {
  it.effect("reopening the same file shows the same logs, summaries, alarms and meta", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const first = yield* openSqliteStore({ path })
      const a = startedLog("reopen-a", { functionName: "fn", at: 1_000, length: 5 })
      const b = [...startedLog("reopen-b", { functionName: "fn", at: 2_000, length: 2 }), executionSucceeded(3, 2_500)]
      yield* first.append("reopen-a", a.slice(0, 3), 0)
      yield* first.append("reopen-a", a.slice(3), 3)
      yield* first.append("reopen-b", b, 0)
      yield* first.setAlarm("reopen-a", 9_000)
      first.setMeta("secret", "s3cr3t")
      const listed = yield* first.list({})
      first.close()

      const again = yield* openSqliteStore({ path, synchronous: "FULL" })
      assert.deepStrictEqual(yield* again.load("reopen-a"), { events: a, seq: 5 })
      assert.deepStrictEqual(yield* again.load("reopen-b"), { events: b, seq: 3 })
      assert.strictEqual(yield* again.getAlarm("reopen-a"), 9_000)
      assert.strictEqual(yield* again.getAlarm("reopen-b"), undefined)
      assert.deepStrictEqual(yield* again.list({}), listed)
      assert.deepStrictEqual((yield* again.summary("reopen-b"))?.status, "SUCCEEDED")
      assert.strictEqual(again.getMeta("secret"), "s3cr3t")
      assert.deepStrictEqual(again.nextAlarm(), { executionId: "reopen-a", at: 9_000 })
      assert.deepStrictEqual(again.runningExecutionIds(), ["reopen-a"])
      again.close()
    }))

  it.effect("the file is in WAL mode (journal_mode is persistent)", () =>
    Effect.sync(() => {
      const store = openStore()
      const db = new DatabaseSync(store.path)
      assert.strictEqual(db.prepare("PRAGMA journal_mode").get()?.["journal_mode"], "wal")
      db.close()
    }))
})

describe("the SQLite store shared with another connection", () => {
  it.effect("two connections on one file see each other's appends, and the conditional append holds across them", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const one = openStore({ path })
      const two = openStore({ path })
      const events = startedLog("shared", { functionName: "fn", at: 1_000, length: 2 })
      yield* one.append("shared", events, 0)
      assert.deepStrictEqual(yield* two.load("shared"), { events, seq: 2 })
      yield* two.append("shared", [executionSucceeded(3, 2_000)], 2)
      const conflict = yield* Effect.flip(one.append("shared", [executionSucceeded(3, 3_000)], 2))
      assert.deepStrictEqual(conflict._tag === "SeqConflict" ? [conflict.expectedSeq, conflict.actualSeq] : conflict._tag, [2, 3])
      assert.strictEqual((yield* one.summary("shared"))?.endedAt, 2_000)
    }))

  it.effect("with exclusive locking, another connection cannot use the file until the store closes", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const owner = yield* openSqliteStore({ path, locking: "exclusive" })
      createExecution(owner, "owned")
      const refused = yield* Effect.flip(openSqliteStore({ path, busyTimeoutMs: 20 }))
      assert.strictEqual(refused._tag, "StoreFailure")
      assert.include(refused.message, "locked")
      owner.close()
      const next = yield* openSqliteStore({ path })
      assert.strictEqual((yield* next.load("owned"))?.seq, 1)
      next.close()
    }))
})

describe("the SQLite store on damaged data", () => {
  /** Damages the file through a second connection, as another process or a bad disk would. */
  const damage = (path: string, statement: string, ...params: Array<string | number>) => {
    const db = new DatabaseSync(path)
    db.prepare(statement).run(...params)
    db.close()
  }
  const loadError = (store: ReturnType<typeof openStore>, id: string) =>
    Effect.map(Effect.flip(store.load(id)), (error) => {
      assert.strictEqual(error._tag, "LogCorrupted")
      return error._tag === "LogCorrupted" ? error : assert.fail("not LogCorrupted")
    })

  it.effect("an event row that fails the schema gives LogCorrupted naming the execution and seq", () =>
    Effect.gen(function*() {
      const store = openStore()
      createExecution(store, "corrupt-schema", 3)
      damage(store.path, "UPDATE events SET event = ? WHERE execution_id = ? AND seq = 2", "{\"_tag\":\"StepSucceeded\",\"seq\":\"two\"}", "corrupt-schema")
      const error = yield* loadError(store, "corrupt-schema")
      assert.strictEqual(error.executionId, "corrupt-schema")
      assert.strictEqual(error.seq, 2)
      assert.include(error.message, "corrupt-schema")
      assert.include(error.message, "seq 2")
    }))

  it.effect("a file that is not a SQLite database is refused naming the file", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      writeFileSync(path, "a text file where the database should be\n".repeat(200))
      const error = yield* Effect.flip(openSqliteStore({ path, serves: true }))
      assert.strictEqual(error._tag, "StoreFailure")
      assert.include(error.message, `${path}: file is not a database`)
    }))

  it.effect("an event row that is not JSON gives LogCorrupted at its seq", () =>
    Effect.gen(function*() {
      const store = openStore()
      createExecution(store, "corrupt-json", 3)
      damage(store.path, "UPDATE events SET event = 'not {json' WHERE execution_id = ? AND seq = 3", "corrupt-json")
      const error = yield* loadError(store, "corrupt-json")
      assert.deepStrictEqual([error.executionId, error.seq], ["corrupt-json", 3])
      assert.include(error.reason, "not JSON")
    }))

  it.effect("a missing event in the middle gives LogCorrupted at the missing seq", () =>
    Effect.gen(function*() {
      const store = openStore()
      createExecution(store, "gap", 4)
      damage(store.path, "DELETE FROM events WHERE execution_id = ? AND seq = 2", "gap")
      const error = yield* loadError(store, "gap")
      assert.deepStrictEqual([error.executionId, error.seq], ["gap", 2])
    }))

  it.effect("a missing first event gives LogCorrupted at seq 1", () =>
    Effect.gen(function*() {
      const store = openStore()
      createExecution(store, "headless", 3)
      damage(store.path, "DELETE FROM events WHERE execution_id = ? AND seq = 1", "headless")
      const error = yield* loadError(store, "headless")
      assert.deepStrictEqual([error.executionId, error.seq], ["headless", 1])
    }))

  it.effect("an execution whose events are all gone gives LogCorrupted (an empty log)", () =>
    Effect.gen(function*() {
      const store = openStore()
      createExecution(store, "emptied", 2)
      damage(store.path, "DELETE FROM events WHERE execution_id = ?", "emptied")
      const error = yield* loadError(store, "emptied")
      assert.deepStrictEqual([error.executionId, error.seq], ["emptied", 1])
    }))

  it.effect("an event whose own seq disagrees with its row gives LogCorrupted", () =>
    Effect.gen(function*() {
      const store = openStore()
      const events = createExecution(store, "renumbered", 3)
      damage(store.path, "UPDATE events SET event = ? WHERE execution_id = ? AND seq = 2", JSON.stringify({ ...events[2], seq: 3 }), "renumbered")
      const error = yield* loadError(store, "renumbered")
      assert.deepStrictEqual([error.executionId, error.seq], ["renumbered", 2])
    }))
})

describe("the SQLite store's extras for the scheduler and the server", () => {
  it.effect("nextAlarm, dueAlarms and postponeAlarm read and move alarms in time order", () =>
    Effect.gen(function*() {
      const store = openStore()
      assert.strictEqual(store.nextAlarm(), undefined)
      for (const [id, at] of [["x-3", 300], ["x-1", 100], ["x-2", 200], ["x-2b", 200]] as const) {
        createExecution(store, id)
        yield* store.setAlarm(id, at)
      }
      assert.deepStrictEqual(store.nextAlarm(), { executionId: "x-1", at: 100 })
      assert.deepStrictEqual(store.nextAlarm(100), { executionId: "x-2", at: 200 })
      assert.strictEqual(store.nextAlarm(300), undefined)
      assert.deepStrictEqual(store.dueAlarms(200, 10).map((a) => a.executionId), ["x-1", "x-2", "x-2b"])
      assert.deepStrictEqual(store.dueAlarms(1_000, 2).map((a) => a.executionId), ["x-1", "x-2"])
      assert.deepStrictEqual(store.dueAlarms(99, 10), [])
      assert.isFalse(store.postponeAlarm("x-1", 150, 400)) // not at 150: left alone
      assert.isTrue(store.postponeAlarm("x-1", 100, 400))
      assert.strictEqual(yield* store.getAlarm("x-1"), 400)
      yield* store.deleteAlarm("x-2")
      assert.deepStrictEqual(store.dueAlarms(1_000, 10).map((a) => a.executionId), ["x-2b", "x-3", "x-1"])
    }))

  it.effect("runningExecutionIds lists the executions that have not ended", () =>
    Effect.gen(function*() {
      const store = openStore()
      createExecution(store, "run-1")
      createExecution(store, "run-2")
      yield* store.append("run-2", [executionSucceeded(2, 5_000)], 1)
      createExecution(store, "run-3")
      assert.deepStrictEqual([...store.runningExecutionIds()].sort(), ["run-1", "run-3"])
    }))

  it.effect("runningWithoutAlarm pages through the running executions that have no alarm, in listing order", () =>
    Effect.gen(function*() {
      const store = openStore()
      for (const [id, at] of [["u-a", 3_000], ["u-b", 2_000], ["u-c", 2_000], ["u-d", 1_000], ["u-e", 500]] as const) createExecution(store, id, 1, at)
      createExecution(store, "watched", 1, 2_500)
      yield* store.setAlarm("watched", 9_000)
      createExecution(store, "ended", 1, 2_600)
      yield* store.append("ended", [executionSucceeded(2, 5_000)], 1)
      const pages: Array<ReadonlyArray<string>> = []
      let after: string | undefined
      for (let i = 0; i < 10; i++) {
        const page = store.runningWithoutAlarm(after, 2)
        pages.push(page.executionIds)
        if (page.next === undefined) break
        after = page.next
      }
      assert.deepStrictEqual(pages, [["u-a", "u-b"], ["u-c", "u-d"], ["u-e"]])
    }))

  it.effect("meta keeps one value per key", () =>
    Effect.sync(() => {
      const store = openStore()
      assert.strictEqual(store.getMeta("secret"), undefined)
      store.setMeta("secret", "a")
      store.setMeta("secret", "b")
      assert.strictEqual(store.getMeta("secret"), "b")
    }))

  it.effect("keepMeta stores a value only where there is none: the first writer wins", () =>
    Effect.sync(() => {
      const path = tempDbPath()
      const first = openStore({ path })
      const second = openStore({ path }) // another connection, as a second process would have
      assert.strictEqual(first.keepMeta("callback-secret", "one"), "one")
      assert.strictEqual(second.keepMeta("callback-secret", "two"), "one")
      assert.strictEqual(first.getMeta("callback-secret"), "one")
    }))

  it.effect("an alarm needs its execution: setting one for an unknown id is a StoreFailure, and delete removes it", () =>
    Effect.gen(function*() {
      const store = openStore()
      const error = yield* Effect.flip(store.setAlarm("nobody", 1_000))
      assert.strictEqual(error._tag, "StoreFailure")
      createExecution(store, "with-alarm")
      yield* store.setAlarm("with-alarm", 1_000)
      yield* store.delete("with-alarm")
      assert.strictEqual(store.nextAlarm(), undefined)
    }))

  it.effect("SQLite errors become StoreFailure, for Effects and for the synchronous extras", () =>
    Effect.gen(function*() {
      const store = yield* openSqliteStore({ path: tempDbPath() })
      store.close()
      const error = yield* Effect.flip(store.load("any"))
      assert.strictEqual(error._tag, "StoreFailure")
      assert.strictEqual(error._tag === "StoreFailure" ? error.operation : "", "load")
      assert.throws(() => store.nextAlarm(), /Store nextAlarm failed/)
      store.close() // closing twice is fine
    }))
})
