/**
 * Group commit on the SQLite store (adapters/node/group-commit.ts), on a real file: the appends of one turn, from
 * many executions, share one commit; each is answered only once durable; a refusal or a failure reaches only the
 * appends it belongs to.
 */
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { openSqliteStore } from "../../../adapters/node/sqlite-store.ts"
import { executionSucceeded, startedLog, steps } from "../../../src/store/conformance-events.ts"
import { openStore, tempDbPath } from "./sqlite-fixture.ts"

/** How many events each execution has, as another connection (another process) sees the file now. */
const seenByAnother = (path: string): Map<string, number> => {
  const db = new DatabaseSync(path)
  try {
    const rows = db.prepare("SELECT execution_id, max(seq) AS seq FROM events GROUP BY execution_id").all()
    return new Map(rows.map((row) => [row["execution_id"] as string, row["seq"] as number]))
  } finally {
    db.close()
  }
}

describe("group commit on the SQLite store", () => {
  it.effect("appends from many executions in one turn are all durable and acknowledged, together", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = openStore({ path })
      const ids = Array.from({ length: 50 }, (_, i) => `many-${i}`)
      /** What another connection saw when each append was acknowledged. */
      const seenAtAck: Array<Map<string, number>> = []
      const started = yield* Effect.all(
        ids.map((id) =>
          Effect.tap(store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 3 }), 0), () =>
            Effect.sync(() => void seenAtAck.push(seenByAnother(path))))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(started.length, 50)
      // Acknowledged only once durable, and together: the first append of the turn is written at once (nothing to
      // share yet); the 49 that arrived while it was alone share one commit, so each of their acknowledgements finds
      // every execution of the turn written.
      const all = seenAtAck.filter((seen) => ids.every((id) => seen.get(id) === 3))
      assert.isAtLeast(all.length, 49)
      for (const seen of seenAtAck) for (const [id, seq] of seen) assert.strictEqual(seq, 3, id)
      // A second round, each execution appending after its own seq, all in one turn again.
      yield* Effect.all(ids.map((id) => store.append(id, steps(4, 2, 2_000), 3)), { concurrency: "unbounded" })
      const after = seenByAnother(path)
      for (const id of ids) assert.strictEqual(after.get(id), 5, id)
      store.close()
      const reopened = yield* openSqliteStore({ path })
      for (const id of ids) assert.strictEqual((yield* reopened.load(id))?.seq, 5)
      reopened.close()
    }))

  it.effect("one conflicting append in a group fails alone; the others are written", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = openStore({ path })
      const ids = Array.from({ length: 10 }, (_, i) => `conflict-${i}`)
      yield* Effect.all(ids.map((id) => store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 2 }), 0)), { concurrency: "unbounded" })
      const exits = yield* Effect.all(
        ids.map((id, i) => Effect.exit(store.append(id, [executionSucceeded(3, 5_000)], i === 4 ? 1 : 2))), // conflict-4 is behind
        { concurrency: "unbounded" }
      )
      exits.forEach((exit, i) => {
        if (i !== 4) return assert.isTrue(Exit.isSuccess(exit), ids[i])
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
        assert.strictEqual(error?._tag === "Fail" ? error.error._tag : undefined, "SeqConflict")
      })
      const seen = seenByAnother(path)
      for (const [i, id] of ids.entries()) assert.strictEqual(seen.get(id), i === 4 ? 2 : 3, id)
      assert.strictEqual((yield* store.summary("conflict-4"))?.status, "RUNNING")
      assert.strictEqual((yield* store.summary("conflict-5"))?.status, "SUCCEEDED")
    }))

  it.effect("an append the database refuses (a failing write) fails alone with StoreFailure; the others are written", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = openStore({ path })
      // The real thing, as a constraint or a trigger of another tool would: SQLite aborts this execution's inserts.
      const other = new DatabaseSync(path)
      other.exec("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.execution_id = 'poisoned' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END")
      other.close()
      const ids = ["fine-1", "poisoned", "fine-2", "fine-3"]
      const exits = yield* Effect.all(
        ids.map((id) => Effect.exit(store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 2 }), 0))),
        { concurrency: "unbounded" }
      )
      exits.forEach((exit, i) => {
        if (ids[i] !== "poisoned") return assert.isTrue(Exit.isSuccess(exit), ids[i])
        const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
        assert.strictEqual(error?._tag === "Fail" ? error.error._tag : undefined, "StoreFailure")
      })
      const seen = seenByAnother(path)
      assert.deepStrictEqual([...seen.keys()].sort(), ["fine-1", "fine-2", "fine-3"])
      assert.strictEqual(yield* store.load("poisoned"), undefined)
      // The store carries on: the next turn's appends are written.
      yield* store.append("fine-1", [executionSucceeded(3, 2_000)], 2)
      assert.strictEqual(seenByAnother(path).get("fine-1"), 3)
    }))

  it.effect("while appends are grouped, alarm writes share the turn's commit, and one that fails fails alone", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = openStore({ path })
      const ids = ["alarm-a", "alarm-b", "alarm-c"]
      // Three executions appending in one turn: the store groups from then on.
      yield* Effect.all(ids.map((id) => store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 1 }), 0)), { concurrency: "unbounded" })
      const alarmsSeen: Array<number | undefined> = []
      const exits = yield* Effect.all([
        store.append("alarm-a", steps(2, 1, 2_000), 1),
        Effect.tap(store.setAlarm("alarm-b", 9_000), () =>
          Effect.sync(() => {
            const db = new DatabaseSync(path)
            alarmsSeen.push(db.prepare("SELECT at FROM alarms WHERE execution_id = 'alarm-b'").get()?.["at"] as number | undefined)
            db.close()
          })),
        store.setAlarm("nobody", 9_000), // no such execution: the foreign key refuses it
        store.deleteAlarm("alarm-c")
      ].map(Effect.exit), { concurrency: "unbounded" })
      assert.deepStrictEqual(exits.map((exit) => exit._tag), ["Success", "Success", "Failure", "Success"])
      assert.deepStrictEqual(alarmsSeen, [9_000], "acknowledged once durable")
      assert.strictEqual(seenByAnother(path).get("alarm-a"), 2)
      assert.strictEqual(yield* store.getAlarm("nobody"), undefined)
    }))

  it.effect("closing the store writes and answers the appends still waiting for their turn", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = yield* openSqliteStore({ path })
      const pending = Effect.runFork(store.append("at-close", startedLog("at-close", { functionName: "fn", at: 1_000, length: 1 }), 0))
      store.close()
      const exit = yield* Fiber.await(pending)
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(seenByAnother(path).get("at-close"), 1)
    }))

  it.effect("with groupCommit: false each append commits at once", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const store = openStore({ path, groupCommit: false })
      const appended = store.append("alone", startedLog("alone", { functionName: "fn", at: 1_000, length: 1 }), 0)
      Effect.runSync(appended) // synchronous: no turn to wait for
      assert.strictEqual(seenByAnother(path).get("alone"), 1)
    }))
})
