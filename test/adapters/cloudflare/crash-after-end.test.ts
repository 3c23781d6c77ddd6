/**
 * An execution object that dies after its end is written but before its index row and its parent hear of it (a
 * deploy or a crash between the write and those calls) wakes within seconds and sends them: the write's transaction
 * brought its alarm near, and no alarm went later while something was owed (catch-up-alarm.ts). Before, its next
 * alarm was its retention (14 days by default): the row stayed RUNNING and the parent that invoked it waited. Only
 * the listing is read here, which wakes neither object (a describe of either would).
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, type Client, client, removeDir, startMiniflare, tempDir, until } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client

beforeAll(async () => {
  dir = tempDir("crash-after-end")
  mf = startMiniflare({ scriptPath: await bundle(entry, dir) })
  api = client(mf)
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

const listedStatus = async (fn: string, id: string): Promise<string | undefined> =>
  (await api.request("GET", `/v1/executions?function=${fn}&limit=100`)).body?.executions?.find((e: { executionId: string }) => e.executionId === id)?.status

describe("an object that dies after writing its end", () => {
  it("publishes its row and tells its parent within seconds", async () => {
    assert.strictEqual((await api.start("crashing-parent", { tag: "cp-1" }, { executionName: "cp-1" })).status, 201)
    // The catch-up alarm comes 5 s after the end (the retry delay); 20 s is far below any retention.
    await until(async () => ((await listedStatus("crashing-child", "cp-1:invoke:1")) === "SUCCEEDED" ? true : undefined), 20_000, "the child's row to say SUCCEEDED")
    await until(async () => ((await listedStatus("crashing-parent", "cp-1")) === "SUCCEEDED" ? true : undefined), 20_000, "the parent to end")
  }, 60_000)
})
