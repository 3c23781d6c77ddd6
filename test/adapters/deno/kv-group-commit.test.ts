/**
 * The Deno KV group committer's own rules (adapters/deno/kv-group-commit.ts), on a scripted KV whose commits answer
 * by what each operation holds: which writes share a group, and how a refused or throwing group is answered. The
 * store on a real KV file is tested under deno (kv-group-commit.deno.ts).
 */
import { assert, describe, it } from "vitest"
import type { AtomicCheck, AtomicOperation, Kv, KvKey } from "../../../adapters/deno/deno-api.ts"
import { type GroupedWrite, makeKvGroupCommitter, takeGroup } from "../../../adapters/deno/kv-group-commit.ts"
import { KV_LIMITS } from "../../../adapters/deno/kv-keys.ts"

/** A commit seen by the scripted KV: the ids it held, and how it ended. */
interface Commit {
  readonly ids: ReadonlyArray<string>
  readonly outcome: "ok" | "refused" | "threw"
}

/**
 * A KV whose operations refuse when they check a key in `stale`, and throw when they set a key in `poisoned`;
 * each commit settles on a later macrotask, so that writes submitted meanwhile queue behind it.
 */
const scriptedKv = (options: { stale?: ReadonlyArray<string>; poisoned?: ReadonlyArray<string>; atomicThrows?: () => boolean } = {}) => {
  const commits: Array<Commit> = []
  let stamp = 0
  const kv = {
    atomic: (): AtomicOperation => {
      if (options.atomicThrows?.() === true) throw new Error("KV is closed")
      const ids: Array<string> = []
      let refused = false
      let poisoned = false
      const op: AtomicOperation = {
        check: (...checks: ReadonlyArray<AtomicCheck>) => {
          for (const check of checks) if (options.stale?.includes(String(check.key[1])) === true) refused = true
          return op
        },
        set: (key: KvKey) => {
          ids.push(String(key[1]))
          if (options.poisoned?.includes(String(key[1])) === true) poisoned = true
          return op
        },
        delete: () => op,
        enqueue: () => op,
        commit: () =>
          new Promise((resolve, reject) =>
            setTimeout(() => {
              const outcome = poisoned ? "threw" : refused ? "refused" : "ok"
              commits.push({ ids, outcome })
              if (outcome === "threw") reject(new Error(`value for ${ids.join(",")} is too large`))
              else resolve(outcome === "ok" ? { ok: true, versionstamp: String(++stamp).padStart(20, "0") } : { ok: false })
            }, 1))
      }
      return op
    }
  }
  return { kv: kv as unknown as Kv, commits }
}

/** A write of execution `id` that checks and sets its one key ("w", id, n). */
const write = (id: string, n = 0, sizes: Partial<Pick<GroupedWrite, "checks" | "mutations" | "bytes" | "keyBytes">> = {}): GroupedWrite => ({
  executionId: id,
  checks: 1,
  mutations: 1,
  bytes: 100,
  keyBytes: 50,
  ...sizes,
  write: (op) => void op.check({ key: ["w", id], versionstamp: null }).set(["w", id, n], n)
})

const outcome = (result: Promise<{ readonly ok: boolean }>) => result.then((r) => (r.ok ? "ok" : "refused"), (e: Error) => `threw: ${e.message}`)

describe("the Deno KV group committer", () => {
  it("sends a write that comes while none is committing at once, and groups those that come meanwhile", async () => {
    const { kv, commits } = scriptedKv()
    const committer = makeKvGroupCommitter(kv)
    const results = await Promise.all(["a", "b", "c", "d"].map((id) => outcome(committer.commit(write(id)))))
    assert.deepStrictEqual(results, ["ok", "ok", "ok", "ok"])
    assert.deepStrictEqual(commits.map((c) => c.ids), [["a"], ["b", "c", "d"]])
  })

  it("commits each write of a refused group again on its own: only the stale one is refused", async () => {
    const { kv, commits } = scriptedKv({ stale: ["c"] })
    const committer = makeKvGroupCommitter(kv)
    const results = await Promise.all(["a", "b", "c", "d"].map((id) => outcome(committer.commit(write(id)))))
    assert.deepStrictEqual(results, ["ok", "ok", "refused", "ok"])
    assert.deepStrictEqual(commits.map((c) => `${c.ids.join("")}:${c.outcome}`), ["a:ok", "bcd:refused", "b:ok", "c:refused", "d:ok"])
  })

  it("commits each write of a group that threw again on its own: only the one that throws fails", async () => {
    const { kv } = scriptedKv({ poisoned: ["c"] })
    const committer = makeKvGroupCommitter(kv)
    const results = await Promise.all(["a", "b", "c", "d"].map((id) => outcome(committer.commit(write(id)))))
    assert.deepStrictEqual(results, ["ok", "ok", "threw: value for c is too large", "ok"])
  })

  it("never puts two writes of one execution in a group, and commits them in their order", async () => {
    const { kv, commits } = scriptedKv()
    const committer = makeKvGroupCommitter(kv)
    const results = await Promise.all([write("a", 1), write("b", 1), write("a", 2), write("c", 1), write("a", 3)].map((w) => outcome(committer.commit(w))))
    assert.deepStrictEqual(results, ["ok", "ok", "ok", "ok", "ok"])
    assert.deepStrictEqual(commits.map((c) => c.ids.join("")), ["a", "bac", "a"])
  })

  it("answers every write when KV fails before a commit starts (a closed handle), and commits again afterwards", async () => {
    let closed = true
    const { kv } = scriptedKv({ atomicThrows: () => closed })
    const committer = makeKvGroupCommitter(kv)
    const results = await Promise.all(["a", "b", "c"].map((id) => outcome(committer.commit(write(id)))))
    assert.deepStrictEqual(results, ["threw: KV is closed", "threw: KV is closed", "threw: KV is closed"])
    assert.strictEqual(committer.waiting, 0)
    closed = false
    assert.strictEqual(await outcome(committer.commit(write("d"))), "ok")
  })
})

describe("takeGroup", () => {
  const waiting = (w: GroupedWrite) => ({ write: w })
  const ids = (group: ReadonlyArray<{ write: GroupedWrite }>) => group.map((w) => w.write.executionId).join("")

  it("fills a group up to each of KV's limits, in order, and leaves the rest queued", () => {
    for (const [limit, size] of [
      ["checks", { checks: KV_LIMITS.checks / 2 }],
      ["mutations", { mutations: KV_LIMITS.mutations / 2 }],
      ["bytes", { bytes: 300_000 }],
      ["keyBytes", { keyBytes: 36_000 }]
    ] as const) {
      const queue = ["a", "b", "c", "d"].map((id) => waiting(write(id, 0, size)))
      assert.strictEqual(ids(takeGroup(queue)), "ab", `two writes fill a group by ${limit}`)
      assert.strictEqual(ids(queue), "cd")
    }
  })

  it("always takes the first write, however large, and stops at the first that does not fit", () => {
    const queue = [waiting(write("a", 0, { bytes: 5_000_000 })), waiting(write("b")), waiting(write("c"))]
    assert.strictEqual(ids(takeGroup(queue)), "a")
    const next = [waiting(write("a")), waiting(write("b", 0, { keyBytes: 100_000 })), waiting(write("c"))]
    assert.strictEqual(ids(takeGroup(next)), "a")
    assert.strictEqual(ids(next), "bc")
  })
})
