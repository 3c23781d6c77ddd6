/**
 * AWS-SDK handlers in Durable Objects (Miniflare's workerd, nodejs_compat for the SDK's node: imports): each
 * execution in its own object, its wait on the object's alarm, the invoke in the child's object, the callback
 * completed over the Worker's HTTP API, retries on alarms.
 */
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { API_KEY, bundleTo, CALLBACK_SECRET, client, type Client, COMPATIBILITY_DATE, removeDir, tempDir, untilCallback, untilStatus } from "../adapters/cloudflare/miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/aws-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client

/** As the Workers fixture bundles, with Node's built-ins left to workerd's nodejs_compat (AWS's SDK imports them). */
const bundle = (outdir: string) =>
  bundleTo(entry, join(outdir, "worker.mjs"), {
    // The SDK loads @aws-sdk/client-lambda only when it talks to Lambda itself, never here.
    external: ["node:*", "events", "crypto", "module", "path", "url", "@aws-sdk/client-lambda"]
  })

let scriptPath: string

const start = (persistDir?: string) =>
  new Miniflare(convertV4MiniflareOptions({
    modules: true,
    scriptPath,
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: {
      EXECUTIONS: { className: "ExecutionObject", useSQLite: true },
      EXECUTION_INDEX: { className: "IndexObject", useSQLite: true }
    },
    bindings: { REPRISE_API_KEY: API_KEY, REPRISE_CALLBACK_SECRET: CALLBACK_SECRET },
    ...(persistDir === undefined ? {} : { resourcePersistencePath: persistDir })
  }))

beforeAll(async () => {
  dir = tempDir("aws")
  scriptPath = await bundle(dir)
  mf = start()
  api = client(mf)
  await mf.ready
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  if (dir !== undefined) removeDir(dir)
})

describe("awsHandler in Durable Objects", () => {
  it("waits on the object's alarm, invokes across objects, and resumes on a callback sent over HTTP", async () => {
    const started = await api.start("aws-tour", { n: 3, pause: 1 }, { executionName: "tour-do" })
    assert.strictEqual(started.status, 201, JSON.stringify(started.body))
    const callbackId = await untilCallback(api, "tour-do")
    const sent = await api.request("POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { json: { result: "fine" }, anonymous: true })
    assert.strictEqual(sent.status, 204, JSON.stringify(sent.body))
    const done = await untilStatus(api, "tour-do", undefined, 20_000)
    assert.strictEqual(done.status, "SUCCEEDED", JSON.stringify(done.error))
    assert.deepStrictEqual(done.result, { base: 3, child: 40, squares: [1, 4, 9], doubled: 6, approval: "fine", after: "done" })
    const child = (await api.describe("tour-do:invoke:5")).body
    assert.strictEqual(child.functionName, "aws-double")
    assert.strictEqual(child.result, 6)
  }, 40_000)

  it("retries a failing step on the object's alarm", async () => {
    await api.start("aws-flaky", { id: "d-1" }, { executionName: "flaky-do" })
    const done = await untilStatus(api, "flaky-do", undefined, 30_000)
    assert.strictEqual(done.status, "SUCCEEDED", JSON.stringify(done.error))
    assert.deepStrictEqual(done.result, { charged: "charged-d-1-on-3" })
    assert.strictEqual(done.operations.find((op: { name?: string }) => op.name === "charge").attempt, 3)
  }, 40_000)

  it("resumes in a new workerd on the persisted storage, replaying without running a recorded step again", async () => {
    const persist = tempDir("aws-persist")
    const running: Array<Miniflare> = []
    try {
      const first = start(persist)
      running.push(first)
      const started = await client(first).start("aws-tour", { n: 7, pause: 1 }, { executionName: "tour-restart" })
      assert.strictEqual(started.status, 201, JSON.stringify(started.body))
      const callbackId = await untilCallback(client(first), "tour-restart")
      await first.dispose()
      running.pop()

      // A new runtime on the same storage: the callback's completion loads the object, whose driver replays.
      const second = start(persist)
      running.push(second)
      const api2 = client(second)
      const sent = await api2.request("POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { json: { result: "after restart" }, anonymous: true })
      assert.strictEqual(sent.status, 204, JSON.stringify(sent.body))
      const done = await untilStatus(api2, "tour-restart", undefined, 20_000)
      assert.strictEqual(done.status, "SUCCEEDED", JSON.stringify(done.error))
      assert.deepStrictEqual(done.result, { base: 7, child: 80, squares: [1, 4, 9], doubled: 14, approval: "after restart", after: "done" })
      // A recorded step that ran again would have been checkpointed again: each is in the log once.
      const events = (await api2.history("tour-restart")).body.events as Array<{ _tag: string; id?: string }>
      const steps = events.filter((e) => e._tag === "StepSucceeded").map((e) => e.id)
      assert.deepStrictEqual(steps, [...new Set(steps)])
      assert.includeMembers(steps, ["1", "3-1", "3-2", "6-2", "7"])
    } finally {
      for (const instance of running) await instance.dispose().catch(() => undefined)
      removeDir(persist)
    }
  }, 60_000)
})
