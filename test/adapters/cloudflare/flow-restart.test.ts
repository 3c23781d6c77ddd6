/**
 * Flow control across a restart of workerd (Miniflare disposed, a new one on the same persisted storage): the
 * FlowObject's queue and slots are in its storage, so the executions queued before the restart all run afterwards,
 * one at a time as before, each started (dequeued) once.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, client, removeDir, startMiniflare, tempDir, until } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/flow-worker.ts", import.meta.url))
const objects = { FLOW_CONTROL: "FlowObject", METER: "Meter" }
const dirs: Array<string> = []
const running: Array<Miniflare> = []

afterAll(async () => {
  for (const mf of running) await mf.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

describe("flow control across a restart of workerd", () => {
  it("loses nothing queued and starts nothing twice", async () => {
    const build = tempDir("flow-restart-build")
    const persist = tempDir("flow-restart-data")
    dirs.push(build, persist)
    const scriptPath = await bundle(entry, build)
    const ids = ["rs-1", "rs-2", "rs-3", "rs-4", "rs-5", "rs-6"]

    const first = startMiniflare({ scriptPath, persistDir: persist, extraObjects: objects })
    running.push(first)
    const api1 = client(first)
    // rs-1 takes the one slot and holds it in its step (until the gate opens); the others wait in the queue.
    for (const id of ids) {
      const res = await api1.request("POST", "/v1/functions/gated/executions", { json: { input: { id, gate: "restart" }, executionName: id } })
      assert.strictEqual(res.status, 201)
    }
    await until(async () => ((await api1.request("GET", "/test/meter")).body.running.gated?.includes("rs-1") ? true : undefined), 10_000, "rs-1 in its step")
    for (const [i, id] of ids.slice(1).entries()) {
      const view = (await api1.describe(id)).body
      assert.strictEqual(view.status, "QUEUED")
      assert.strictEqual(view.queuePosition, i + 1)
    }
    await first.dispose() // rs-1's step body is cut short
    running.pop()

    const second = startMiniflare({ scriptPath, persistDir: persist, extraObjects: objects })
    running.push(second)
    const api2 = client(second)
    assert.strictEqual((await api2.describe("rs-4")).body.queuePosition, 3, "the queue is as it was")
    await api2.request("POST", "/test/gate/restart")
    // rs-1 is woken by its watchdog alarm (30 s), replays, finds its slot still counted, and runs its step again.
    const done = await until(async () => {
      const views = await Promise.all(ids.map(async (id) => (await api2.describe(id)).body))
      return views.every((v) => v.status === "SUCCEEDED") ? views : undefined
    }, 90_000, "every execution to succeed")
    assert.strictEqual(done.length, 6)

    const stats = (await api2.request("GET", "/test/meter")).body
    assert.strictEqual(stats.max.gated, 1, "one at a time, before and after the restart")
    for (const id of ids.slice(1)) {
      const log = (await api2.history(id)).body.events as Array<{ _tag: string; name?: string }>
      assert.strictEqual(log.filter((e) => e._tag === "ExecutionDequeued").length, 1, `${id} left the queue once`)
      assert.strictEqual(log.filter((e) => e._tag === "StepSucceeded" && e.name === "hold").length, 1)
      assert.strictEqual(stats.entered[id], 2, `${id}: each of its 2 step bodies ran once`)
    }
    // rs-1's first step was cut short by the restart: run again (a step runs at least once), recorded once.
    assert.strictEqual(stats.entered["rs-1"], 3)
  }, 150_000)
})
