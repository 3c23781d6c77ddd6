/**
 * The store conformance kit inside workerd: each check runs in the test Worker (GET /test/conformance/<i>) against
 * Durable Object storage (makeDurableObjectKV under the generic KV store, one object per execution) and the
 * sharded listing index.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { storeConformance } from "../../../src/store/conformance.ts"
import { bundle, removeDir, startMiniflare, tempDir } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare

beforeAll(async () => {
  dir = tempDir("conformance")
  mf = startMiniflare({ scriptPath: await bundle(entry, dir), extraObjects: { STORES: "StoreObject" } })
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

describe("the store conformance kit on Durable Object storage, in workerd", () => {
  it("the Worker runs the same kit", async () => {
    const res = await mf.dispatchFetch("http://reprise.test/test/conformance/list")
    assert.deepStrictEqual(((await res.json()) as { checks: Array<string> }).checks, storeConformance.map((c) => c.name))
  })

  storeConformance.forEach((check, i) => {
    it(check.name, async () => {
      const res = await mf.dispatchFetch(`http://reprise.test/test/conformance/${i}`)
      const result = (await res.json()) as { name: string; ok: boolean; error?: string }
      assert.strictEqual(result.name, check.name)
      assert.isTrue(result.ok, result.error)
    }, 30_000)
  })
})

describe("Durable Object storage: an alarm set in a transaction", () => {
  it("rolls back with the transaction's keys, and commits with them", async () => {
    const res = await mf.dispatchFetch("http://reprise.test/test/alarm-rollback")
    assert.deepStrictEqual(await res.json(), { afterRollback: 4_000_000_000_000, believedAfterRollback: null, afterCommit: 4_100_000_000_001 })
  })
})
