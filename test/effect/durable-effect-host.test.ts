/**
 * reprise/effect in a Node host on a real SQLite file: a function's fiber that leaves memory (the host's idle
 * eviction, the host closing) is interrupted, so its finalizers run, and the execution goes on by replay.
 */
import { assert, describe, it } from "@effect/vitest"
import { sqlitePorts } from "../../adapters/node/sqlite-ports.ts"
import { startHost } from "../../src/host/index.ts"
import { openStore, tempDbPath } from "../adapters/node/sqlite-fixture.ts"
import { scopedFunction, until } from "./scoped-function.ts"

describe("reprise/effect in a Node host on SQLite", () => {
  it("evicted while it waits: the fiber's layer is released, and the wake-up's replay acquires it again and ends", async () => {
    const { fn, events } = scopedFunction({ seconds: 1 })
    const errors: Array<unknown> = []
    const host = await startHost({ functions: [fn], env: () => undefined, evictEveryMs: 60_000, onError: (error) => void errors.push(error) }, sqlitePorts(openStore()))
    try {
      await host.recovered
      await host.engine((e) => e.start({ functionName: "scoped", executionId: "e1", input: null }))
      await host.engine((e) => e.settle("e1"))
      assert.deepStrictEqual(events, ["acquire"])
      assert.strictEqual(await host.engine((e) => e.evictIdle()), 1)
      await until(() => events.length === 3, "the release")
      assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release"])
      const view = await host.engine((e) => e.awaitEnd("e1"))
      assert.deepStrictEqual([view.status, view.result], ["SUCCEEDED", JSON.stringify("row")])
      await until(() => events.length === 5, "the replay's release")
      assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release", "acquire", "release"])
      assert.deepStrictEqual(errors, [])
    } finally {
      await host.close()
    }
  })

  it("the host closing while a fiber waits releases its layer; a host on the same file finishes the execution", async () => {
    const { fn, events } = scopedFunction({ seconds: 1 })
    const path = tempDbPath()
    const first = await startHost({ functions: [fn], env: () => undefined }, sqlitePorts(openStore({ path })))
    await first.recovered
    await first.engine((e) => e.start({ functionName: "scoped", executionId: "e2", input: null }))
    await first.engine((e) => e.settle("e2"))
    await first.close()
    await until(() => events.length === 3, "the release at close")
    assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release"])
    const second = await startHost({ functions: [fn], env: () => undefined }, sqlitePorts(openStore({ path })))
    try {
      const view = await second.engine((e) => e.awaitEnd("e2"))
      assert.deepStrictEqual([view.status, view.result], ["SUCCEEDED", JSON.stringify("row")])
      await until(() => events.length === 5, "the second host's release")
      assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release", "acquire", "release"], "the second host replayed it")
    } finally {
      await second.close()
    }
  })
})
