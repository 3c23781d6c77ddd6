/**
 * The SQLite store's remembered heads (adapters/node/sqlite-heads.ts): an append checks the head its connection's
 * last commit left instead of reading it, and that head is never stale: another connection's commit, a rolled-back
 * transaction, a delete and an earlier append in the same group are all accounted for.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { makeHeadCache } from "../../../adapters/node/sqlite-heads.ts"
import { executionSucceeded, startedLog, steps } from "../../../src/store/conformance-events.ts"
import type { LogHead } from "../../../src/store/index.ts"
import { openStore, tempDbPath } from "./sqlite-fixture.ts"

const failureTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) => {
  const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
  return reason?._tag === "Fail" ? reason.error._tag : exit._tag
}

describe("the SQLite store's remembered heads", () => {
  it.effect("an append after another connection moved the head checks the moved head", () =>
    Effect.gen(function*() {
      const path = tempDbPath()
      const one = openStore({ path })
      const two = openStore({ path })
      yield* one.append("moved", startedLog("moved", { functionName: "fn", at: 1_000, length: 2 }), 0) // one knows seq 2
      yield* two.append("moved", steps(3, 2, 2_000), 2) // now at 4, behind one's back
      const behind = yield* Effect.exit(one.append("moved", steps(3, 1, 3_000), 2))
      assert.strictEqual(failureTag(behind), "SeqConflict", "not a constraint failure from writing seq 3 again")
      yield* one.append("moved", [executionSucceeded(5, 4_000)], 4)
      assert.strictEqual((yield* two.load("moved"))?.seq, 5)
      assert.strictEqual((yield* two.summary("moved"))?.status, "SUCCEEDED")
    }))

  it.effect("a deleted execution's id can start again from seq 0", () =>
    Effect.gen(function*() {
      const store = openStore({ path: tempDbPath(), groupCommit: false })
      yield* store.append("again", startedLog("again", { functionName: "fn", at: 1_000, length: 3 }), 0)
      yield* store.delete("again")
      yield* store.append("again", startedLog("again", { functionName: "other", at: 5_000, length: 1 }), 0)
      const log = yield* store.load("again")
      assert.strictEqual(log?.seq, 1)
      assert.strictEqual((yield* store.summary("again"))?.functionName, "other")
    }))

  it.effect("two appends of one execution in one group: the second checks the head the first left", () =>
    Effect.gen(function*() {
      const store = openStore({ path: tempDbPath() })
      // Two executions appending in one turn make the store group; the next turn's appends share one transaction.
      yield* Effect.all(["pair", "company"].map((id) => store.append(id, startedLog(id, { functionName: "fn", at: 1_000, length: 1 }), 0)), {
        concurrency: "unbounded"
      })
      const exits = yield* Effect.all([
        Effect.exit(store.append("pair", steps(2, 1, 2_000), 1)),
        Effect.exit(store.append("pair", steps(3, 1, 3_000), 2)),
        Effect.exit(store.append("company", steps(2, 1, 2_000), 1))
      ], { concurrency: "unbounded" })
      assert.deepStrictEqual(exits.map(failureTag), ["Success", "Success", "Success"])
      assert.strictEqual((yield* store.load("pair"))?.seq, 3)
      yield* store.append("pair", [executionSucceeded(4, 4_000)], 3)
      assert.strictEqual((yield* store.summary("pair"))?.status, "SUCCEEDED")
    }))

  it.effect("an ended execution's remembered summary still refuses an event after its end", () =>
    Effect.gen(function*() {
      const store = openStore({ path: tempDbPath(), groupCommit: false })
      yield* store.append("ended", [...startedLog("ended", { functionName: "fn", at: 1_000, length: 1 }), executionSucceeded(2, 2_000)], 0)
      const after = yield* Effect.exit(store.append("ended", steps(3, 1, 3_000), 2))
      assert.strictEqual(failureTag(after), "LogCorrupted")
    }))
})

describe("the head cache", () => {
  const head = (seq: number): LogHead => ({ seq, summary: undefined })

  it("takes in a transaction's heads at its commit, shows them to that transaction meanwhile, and drops them at a rollback", () => {
    const heads = makeHeadCache(10)
    heads.begin(1)
    heads.stage("a", head(1))
    assert.deepStrictEqual(heads.get("a"), head(1))
    heads.rollback()
    assert.isUndefined(heads.get("a"))
    heads.begin(1)
    heads.stage("a", head(2))
    heads.commit()
    heads.begin(1)
    assert.deepStrictEqual(heads.get("a"), head(2))
  })

  it("forgets every head once another connection has committed (data_version moved), and one that was deleted", () => {
    const heads = makeHeadCache(10)
    heads.begin(7)
    heads.stage("a", head(1))
    heads.stage("b", head(1))
    heads.commit()
    heads.forget("b")
    heads.begin(7)
    assert.deepStrictEqual([heads.get("a"), heads.get("b")], [head(1), undefined])
    heads.begin(8)
    assert.isUndefined(heads.get("a"))
  })

  it("keeps at most max heads, forgetting the first remembered", () => {
    const heads = makeHeadCache(2)
    heads.begin(1)
    heads.stage("a", head(1))
    heads.stage("b", head(1))
    heads.commit()
    heads.begin(1)
    heads.stage("c", head(1))
    heads.commit()
    assert.deepStrictEqual([heads.get("a"), heads.get("b"), heads.get("c")], [undefined, head(1), head(1)])
  })

  it("puts back what a rolled-back transaction replaced", () => {
    const heads = makeHeadCache(10)
    heads.begin(1)
    heads.stage("a", head(1))
    heads.commit()
    heads.begin(1)
    heads.stage("a", head(2))
    heads.stage("a", head(3))
    heads.stage("b", head(1))
    assert.deepStrictEqual(heads.get("a"), head(3))
    heads.rollback()
    assert.deepStrictEqual([heads.get("a"), heads.get("b")], [head(1), undefined])
  })
})
