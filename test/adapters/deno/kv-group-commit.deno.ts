/**
 * Group commit on the Deno KV store (adapters/deno/kv-group-commit.ts), on a real KV file: appends of many
 * executions share commits within KV's limits, and a refused or failing group answers each append as it would
 * have been answered alone. The KV handle is watched (every commit's checks and outcome recorded), not replaced.
 */
import { Effect } from "effect"
import type { AtomicCheck, AtomicOperation, EnqueueOptions, Kv, KvCommitError, KvCommitResult, KvKey } from "../../../adapters/deno/deno-api.ts"
import { makeDenoKvStore, openDenoKvStore } from "../../../adapters/deno/kv-store.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { executionStarted, executionSucceeded, freshId, steps, t } from "../../../src/store/conformance-events.ts"
import { assert, Deno, runEffect, tempDir } from "./deno-test-api.ts"

interface CommitSeen {
  readonly checks: number
  readonly outcome: "ok" | "refused" | "threw"
}

class WatchedOperation implements AtomicOperation {
  #checks = 0
  readonly op: AtomicOperation
  readonly seen: Array<CommitSeen>
  constructor(op: AtomicOperation, seen: Array<CommitSeen>) {
    this.op = op
    this.seen = seen
  }
  check(...checks: ReadonlyArray<AtomicCheck>): this {
    this.#checks += checks.length
    this.op.check(...checks)
    return this
  }
  set(key: KvKey, value: unknown, options?: { readonly expireIn?: number }): this {
    this.op.set(key, value, options)
    return this
  }
  delete(key: KvKey): this {
    this.op.delete(key)
    return this
  }
  enqueue(value: unknown, options?: EnqueueOptions): this {
    this.op.enqueue(value, options)
    return this
  }
  async commit(): Promise<KvCommitResult | KvCommitError> {
    try {
      const result = await this.op.commit()
      this.seen.push({ checks: this.#checks, outcome: result.ok ? "ok" : "refused" })
      return result
    } catch (error) {
      this.seen.push({ checks: this.#checks, outcome: "threw" })
      throw error
    }
  }
}

/** The store on the KV file at `path`, every atomic commit recorded in `seen`. */
const openWatched = async (path: string) => {
  const kv = await Deno.openKv(path)
  const seen: Array<CommitSeen> = []
  const watched: Kv = {
    get: (key, options) => kv.get(key, options),
    getMany: (keys) => kv.getMany(keys),
    list: (selector, options) => kv.list(selector, options),
    set: (key, value) => kv.set(key, value),
    delete: (key) => kv.delete(key),
    atomic: () => new WatchedOperation(kv.atomic(), seen),
    enqueue: (value, options) => kv.enqueue(value, options),
    listenQueue: (handler) => kv.listenQueue(handler),
    close: () => kv.close()
  }
  return { store: makeDenoKvStore(watched), seen }
}

const start = (id: string, functionName = "grouped"): Array<LogEvent> => [executionStarted(id, { functionName, at: t(1) })]
const ALARM = t(1_000)

const temp = await tempDir("reprise-kv-group-")
let files = 0
const freshPath = () => `${temp.dir}/group-${++files}.kv`

Deno.test({
  name: "appends of 60 executions at once share commits; each log, listing row and alarm is written whole",
  fn: async () => {
    const { store, seen } = await openWatched(freshPath())
    try {
      const ids = Array.from({ length: 60 }, () => freshId("many"))
      const expected = ids.map((id) => [...start(id), ...steps(2, 3, t(2)), executionSucceeded(5, t(3))])
      await runEffect(Effect.gen(function*() {
        yield* Effect.forEach(ids, (id, i) => store.append(id, expected[i]!.slice(0, 1), 0, { alarmAt: ALARM }), { concurrency: "unbounded" })
        for (let seq = 2; seq <= 5; seq++) {
          yield* Effect.forEach(ids, (id, i) => store.append(id, expected[i]!.slice(seq - 1, seq), seq - 1), { concurrency: "unbounded" })
        }
        for (let i = 0; i < ids.length; i++) {
          assert.deepEqual((yield* store.load(ids[i]!))?.events, expected[i])
          assert.equal(yield* store.getAlarm(ids[i]!), ALARM)
        }
        const listed = yield* store.list({ functionName: "grouped", status: "SUCCEEDED", limit: 100 })
        assert.deepEqual(listed.items.map((s) => s.executionId).sort(), [...ids].sort())
      }))
      const appends = 5 * ids.length
      assert.atMost(seen.length, appends / 4, `${appends} appends took ${seen.length} commits`)
      assert.atMost(Math.max(...seen.map((c) => c.checks)), 100, "no commit holds more than KV's 100 checks")
      assert.ok(seen.every((c) => c.outcome === "ok"), "no commit was refused or threw")
    } finally {
      store.close()
    }
  }
})

Deno.test({
  name: "150 starts at once (two checks each) go in groups of at most 100 checks, each filled to it",
  fn: async () => {
    const { store, seen } = await openWatched(freshPath())
    try {
      const ids = Array.from({ length: 150 }, () => freshId("limits"))
      await runEffect(Effect.forEach(ids, (id) => store.append(id, start(id), 0, { alarmAt: ALARM }), { concurrency: "unbounded" }))
      // The first goes alone; the 149 that came meanwhile fill groups of 50 starts (100 checks), 50 and 49.
      assert.equal(seen[0]?.checks, 2)
      assert.equal(seen.reduce((sum, c) => sum + c.checks, 0), 300)
      assert.atMost(Math.max(...seen.map((c) => c.checks)), 100, "no commit holds more than KV's 100 checks")
      assert.atMost(seen.length, 5, `150 starts took ${seen.length} commits`)
      const loaded = await runEffect(Effect.forEach(ids, (id) => store.load(id)))
      assert.ok(loaded.every((log) => log?.seq === 1), "every start was written")
    } finally {
      store.close()
    }
  }
})

Deno.test({
  name: "a group with a stale head or a taken id: only those appends get SeqConflict, the others are written",
  fn: async () => {
    const path = freshPath()
    const { store, seen } = await openWatched(path)
    const other = await openDenoKvStore(path)
    try {
      const [first, stale, fine, taken, fresh] = ["first", "stale", "fine", "taken", "fresh"].map(freshId)
      await runEffect(Effect.gen(function*() {
        for (const id of [first!, stale!, fine!]) yield* store.append(id, start(id), 0)
        yield* other.append(stale!, steps(2, 1, t(2)), 1) // `store` still remembers seq 1
        yield* other.append(taken!, start(taken!), 0) // `store` takes the id to be free
        seen.length = 0
        const outcomes = yield* Effect.forEach(
          [
            store.append(first!, steps(2, 1, t(3)), 1), // goes at once, alone
            store.append(stale!, steps(2, 1, t(3)), 1), // these four wait for it, and go together
            store.append(fine!, steps(2, 1, t(3)), 1),
            store.append(taken!, start(taken!), 0),
            store.append(fresh!, start(fresh!), 0)
          ],
          (append) => Effect.result(append),
          { concurrency: "unbounded" }
        )
        assert.deepEqual(outcomes.map((o) => o._tag === "Success" ? "written" : o.failure._tag), ["written", "SeqConflict", "written", "SeqConflict", "written"])
        assert.deepEqual(seen[1], { checks: 4, outcome: "refused" }, "the group of four was refused as a whole")
        // The heads read on the way are remembered (nothing loaded since): the next appends go without a refusal.
        seen.length = 0
        yield* store.append(stale!, steps(3, 1, t(4)), 2)
        yield* store.append(taken!, steps(2, 1, t(4)), 1)
        assert.deepEqual(seen, [{ checks: 1, outcome: "ok" }, { checks: 1, outcome: "ok" }])
        assert.equal((yield* store.load(stale!))?.seq, 3)
        assert.equal((yield* store.load(fine!))?.seq, 2)
        assert.equal((yield* store.load(taken!))?.seq, 2)
        assert.equal((yield* store.load(fresh!))?.seq, 1)
      }))
    } finally {
      other.close()
      store.close()
    }
  }
})

Deno.test({
  name: "a group whose commit throws (a key over KV's limit): only the append that caused it fails",
  fn: async () => {
    const { store, seen } = await openWatched(freshPath())
    try {
      const [first, bad, good1, good2] = ["first", "bad", "good", "good"].map(freshId)
      // Its listing keys hold the function name: 3,000 characters make them longer than KV's 2 KiB key limit.
      const badStart = start(bad!, "f".repeat(3_000))
      const outcomes = await runEffect(Effect.forEach(
        [store.append(first!, start(first!), 0), store.append(bad!, badStart, 0), store.append(good1!, start(good1!), 0), store.append(good2!, start(good2!), 0)],
        (append) => Effect.result(append),
        { concurrency: "unbounded" }
      ))
      assert.deepEqual(outcomes.map((o) => o._tag === "Success" ? "written" : o.failure._tag), ["written", "StoreFailure", "written", "written"])
      assert.deepEqual(seen[1], { checks: 3, outcome: "threw" }, "the group of three threw as a whole")
      await runEffect(Effect.gen(function*() {
        assert.equal(yield* store.load(bad!), undefined)
        assert.equal((yield* store.load(good1!))?.seq, 1)
        assert.equal((yield* store.load(good2!))?.seq, 1)
      }))
    } finally {
      store.close()
    }
  }
})

Deno.test({
  name: "groups stay within KV's 80 KiB of keys: 100 executions with 100-character ids append 9 events each at once",
  fn: async () => {
    const { store, seen } = await openWatched(freshPath())
    try {
      const ids = Array.from({ length: 100 }, (_, i) => `${"k".repeat(90)}-${String(i).padStart(9, "0")}`)
      await runEffect(Effect.forEach(ids, (id) => store.append(id, start(id), 0), { concurrency: "unbounded" }))
      seen.length = 0
      await runEffect(Effect.forEach(ids, (id) => store.append(id, steps(2, 9, t(2)), 1), { concurrency: "unbounded" }))
      // 100 checks and 1,000 mutations would fit one group; ~160 KB of keys do not.
      assert.deepEqual(seen.filter((c) => c.outcome !== "ok"), [], "no group was refused or threw")
      assert.atLeast(seen.length, 3)
      assert.atMost(seen.length, 10, `the 100 appends took ${seen.length} commits`)
      const loaded = await runEffect(Effect.forEach(ids, (id) => store.load(id)))
      assert.ok(loaded.every((log) => log?.seq === 10), "every append was written")
    } finally {
      store.close()
    }
  }
})

Deno.test({
  name: "(cleanup)",
  fn: () => temp.remove()
})
