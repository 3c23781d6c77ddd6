/**
 * Restart: Miniflare is disposed while an execution waits on its Durable Object alarm, and a new Miniflare on the
 * same persisted storage finishes it. The step that ran before the restart is not run again (side effects are
 * counted in a persisted KV namespace).
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, client, countEffects, removeDir, startMiniflare, tempDir, until, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
const dirs: Array<string> = []
const running: Array<Miniflare> = []

afterAll(async () => {
  for (const mf of running) await mf.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

describe("restarting workerd", () => {
  it("finishes an execution on the persisted storage without re-running completed steps", async () => {
    const build = tempDir("restart-build")
    const persist = tempDir("restart-data")
    dirs.push(build, persist)
    const scriptPath = await bundle(entry, build)

    const first = startMiniflare({ scriptPath, persistDir: persist })
    running.push(first)
    const api1 = client(first)
    const started = await api1.start("two-steps", { id: "r-1" }, { executionName: "restart-1" })
    assert.strictEqual(started.status, 201)
    await until(async () => {
      const view = (await api1.describe("restart-1")).body
      return view.operations.some((op: { type: string; status: string }) => op.type === "WAIT" && op.status === "STARTED") ? true : undefined
    }, 20_000, "the wait to start")
    assert.strictEqual(await countEffects(first, "r-1/first/"), 1)
    await first.dispose()
    running.pop()

    const second = startMiniflare({ scriptPath, persistDir: persist })
    running.push(second)
    const api2 = client(second)
    // Nothing is sent to the execution: its alarm, persisted with it, wakes it in the new runtime.
    const done = await untilStatus(api2, "restart-1", undefined, 30_000)
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.strictEqual(done.result, 3)
    assert.strictEqual(await countEffects(second, "r-1/first/"), 1, "the first step did not run again")
    assert.strictEqual(await countEffects(second, "r-1/second/"), 1)
    const events = (await api2.history("restart-1")).body.events as Array<{ _tag: string; name?: string }>
    assert.strictEqual(events.filter((e) => e._tag === "StepSucceeded" && e.name === "first").length, 1)
    const rows = async () =>
      (await api2.request("GET", "/v1/executions?function=two-steps")).body.executions.map((s: { executionId: string; status: string }) => [s.executionId, s.status])
    await until(async () => (JSON.stringify(await rows()) === JSON.stringify([["restart-1", "SUCCEEDED"]]) ? true : undefined), 20_000, "the index to show the end")
  }, 90_000)
})
