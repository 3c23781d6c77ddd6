/**
 * The Deno KV listing of a KV file written by an old release (commit 78efb3a), whose index rows were written before
 * they kept why an execution failed: listing still says why each FAILED execution failed, as SQLite's and
 * PostgreSQL's migrations make their old rows say (an old STOPPED row shows none: see withEndErrors). The fixture and
 * how to regenerate it: fixtures/make-old-release-kv.ts.
 */
import type { Kv, KvEntry, KvListOptions, KvListSelector } from "../../../adapters/deno/deno-api.ts"
import { makeDenoKvStore, openDenoKvStore } from "../../../adapters/deno/kv-store.ts"
import { assert, Deno, runEffect, tempDir } from "./deno-test-api.ts"

const fixtures = new URL("./fixtures/", import.meta.url).pathname
const fixture = JSON.parse(await Deno.readTextFile(`${fixtures}old-release-78efb3a.json`)) as { failed: string; stopped: string }

Deno.test({
  name: "listing says why an execution failed under an old release whose rows kept no error",
  fn: async () => {
    const temp = await tempDir("reprise-kv-old-")
    const path = `${temp.dir}/reprise.kv`
    await Deno.copyFile(`${fixtures}old-release-78efb3a.kv`, path)
    const store = await openDenoKvStore(path)
    try {
      const errors = async (query: object) =>
        Object.fromEntries((await runEffect(store.list({ limit: 10, ...query }))).items.map((row) => [row.executionId, row.error]))
      const failed = { [fixture.failed]: { errorType: "StepError", errorMessage: "card declined" } }
      const all = await errors({})
      assert.deepEqual(Object.keys(all).sort(), [fixture.failed, fixture.stopped].sort())
      assert.deepEqual(all[fixture.failed], failed[fixture.failed])
      assert.equal(all[fixture.stopped], undefined)
      assert.deepEqual(await errors({ status: "FAILED" }), failed)
      assert.deepEqual(await errors({ functionName: "failing", status: "FAILED" }), failed)
    } finally {
      store.close()
      await temp.remove()
    }
  }
})

/** The KV, counting the log events its lists yield (keys `[root, "events", id, gen, seq]`). */
const countingEvents = (kv: Kv) => {
  const counted = { events: 0 }
  const list = async function*<T>(selector: KvListSelector, options?: KvListOptions): AsyncIterable<KvEntry<T>> {
    for await (const entry of kv.list<T>(selector, options)) {
      if (entry.key[1] === "events") counted.events++
      yield entry
    }
  }
  const wrapped = new Proxy(kv, {
    get: (target, name) => {
      if (name === "list") return list
      const value = Reflect.get(target, name) as unknown
      return typeof value === "function" ? value.bind(target) : value
    }
  })
  return { kv: wrapped, counted }
}

Deno.test({
  name: "listing an old FAILED row reads its log's last event, not the whole log",
  fn: async () => {
    const temp = await tempDir("reprise-kv-old-")
    const path = `${temp.dir}/reprise.kv`
    await Deno.copyFile(`${fixtures}old-release-78efb3a.kv`, path)
    const { kv, counted } = countingEvents(await Deno.openKv(path))
    const store = makeDenoKvStore(kv)
    try {
      const page = await runEffect(store.list({ status: "FAILED", limit: 10 }))
      assert.deepEqual(page.items.map((row) => row.error?.errorMessage), ["card declined"])
      assert.equal(counted.events, 1, "one event read for the one old FAILED row")
    } finally {
      store.close()
      await temp.remove()
    }
  }
})
