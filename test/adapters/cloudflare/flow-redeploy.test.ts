/**
 * A deploy that changes a function's flow control while executions of it wait QUEUED in its FlowObject (workerd
 * restarted on the same persisted storage with another bundle, fixtures/flow-deploy-worker.ts):
 *
 * - `batch` and `listed` deployed again without their `concurrency: 1`: the queued executions run, each once,
 *   without waiting for the FlowObject's 30 s backstop, once one of them is described (its object dequeues itself)
 *   or listed (the Worker asks the FlowObject for its place). Before, the FlowObject had no limits to open and did
 *   nothing, and they stayed QUEUED for good;
 * - `held` removed altogether: its queued execution stays QUEUED, and a stop ends it STOPPED and takes it out of
 *   the FlowObject's queue (the stop was answered before too; the FlowObject kept it for good).
 */
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundleTo, client, type Client, countEffects, removeDir, startMiniflare, tempDir, until } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/flow-deploy-worker.ts", import.meta.url))
const objects = { FLOW_CONTROL: "FlowObject" }
const dirs: Array<string> = []
let running: Miniflare | undefined

afterAll(async () => {
  await running?.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

/** Runs `before` on the "limited" deploy, then workerd again on the same storage with the "unlimited" one. */
const redeploy = async (before: (api: Client, start: Start) => Promise<void>): Promise<Client> => {
  const build = tempDir("flow-redeploy-build")
  const persist = tempDir("flow-redeploy-data")
  dirs.push(build, persist)
  const bundleOf = (deploy: string) => bundleTo(entry, join(build, deploy, "worker.mjs"), { define: { REPRISE_TEST_DEPLOY: JSON.stringify(deploy) } })
  const [limited, unlimited] = await Promise.all([bundleOf("limited"), bundleOf("unlimited")])
  running = startMiniflare({ scriptPath: limited, persistDir: persist, extraObjects: objects })
  const api = client(running)
  await before(api, async (fn, id, hold = false) => {
    const res = await api.request("POST", `/v1/functions/${fn}/executions`, { json: { input: { id, hold }, executionName: id } })
    assert.strictEqual(res.status, 201, JSON.stringify(res.body))
  })
  await running.dispose() // the first of a function is cut short in its step, holding its slot
  running = startMiniflare({ scriptPath: unlimited, persistDir: persist, extraObjects: objects })
  return client(running)
}

type Start = (fn: string, id: string, hold?: boolean) => Promise<void>

describe("a deploy that drops or removes a function with flow control, on Durable Objects", () => {
  it("runs the executions queued under a dropped limit, each once, without waiting for the backstop", async () => {
    const api = await redeploy(async (api, start) => {
      // The first takes the one slot and keeps it (its step never ends under this deploy); the rest queue.
      await start("batch", "job-0", true)
      await start("batch", "job-1")
      await start("batch", "job-2")
      await start("listed", "list-0", true)
      await start("listed", "list-1")
      for (const id of ["job-1", "job-2", "list-1"]) assert.strictEqual((await api.describe(id)).body.status, "QUEUED", id)
    })
    const listing = async (fn: string) =>
      ((await api.request("GET", `/v1/executions?function=${fn}&limit=10`)).body as { executions: Array<{ executionId: string; status: string }> }).executions
    // Listed only (its object never reached): the Worker asks the FlowObject for its place, which lets it go.
    await until(async () => ((await listing("listed")).find((v) => v.executionId === "list-1")?.status === "SUCCEEDED" ? true : undefined), 10_000, "list-1 to succeed")
    // Touching one of them is enough: its object dequeues it, and its FlowObject (told) lets the rest go too.
    await until(async () => ((await api.describe("job-1")).body.status === "SUCCEEDED" ? true : undefined), 10_000, "job-1 to succeed")
    // job-2 is not touched: the listing (the index its object publishes to) shows it ended.
    await until(async () => ((await listing("batch")).find((v) => v.executionId === "job-2")?.status === "SUCCEEDED" ? true : undefined), 10_000, "job-2 to succeed")
    for (const id of ["job-1", "job-2", "list-1"]) {
      const events = (await api.history(id)).body.events as Array<{ _tag: string }>
      assert.strictEqual(events.filter((e) => e._tag === "ExecutionDequeued").length, 1, `${id} left the queue once`)
      assert.strictEqual(await countEffects(running!, `ran/${id}/`), 1, `${id} ran its step once`)
    }
    for (const fn of ["batch", "listed"]) assert.deepStrictEqual((await api.request("GET", `/test/queued/${fn}`)).body, [], `the FlowObject of ${fn} forgot its queue`)
  }, 60_000)

  it("stops an execution left QUEUED by a function the deploy removed", async () => {
    const api = await redeploy(async (api, start) => {
      await start("held", "h-first", true)
      await start("held", "h-queued")
      assert.strictEqual((await api.describe("h-queued")).body.status, "QUEUED")
    })
    // `held` is gone: its queued execution stays QUEUED until stopped.
    assert.strictEqual((await api.describe("h-queued")).body.status, "QUEUED")
    assert.deepStrictEqual((await api.request("GET", "/test/queued/held")).body, ["h-queued"])
    const stopped = await api.request("POST", "/v1/executions/h-queued/stop", { json: {} })
    assert.strictEqual(stopped.status, 200, JSON.stringify(stopped.body))
    assert.strictEqual((await api.describe("h-queued")).body.status, "STOPPED")
    assert.deepStrictEqual((await api.request("GET", "/test/queued/held")).body, [], "the FlowObject of held forgot it")
    assert.strictEqual(await countEffects(running!, "ran/h-queued/"), 0)
  }, 60_000)
})
