/**
 * An execution object that dies after its end is written but before its index row and its parent hear of it (a
 * deploy or a crash between the write and those calls) wakes within the engine's watchdog (30 s) and sends them: the
 * write's transaction kept its alarm that near, and no alarm went later while something was owed
 * (catch-up-alarm.ts). Before, a top-level execution's next alarm was its retention (14 days by default): its row
 * stayed RUNNING, and a parent that an end had not reached waited. Only the listing is read here, which wakes
 * neither object (a describe of either would).
 */
import { assert, describe, it } from "@effect/vitest"
import { serveTestWorker, until } from "./miniflare-fixture.ts"

const worker = serveTestWorker("crash-after-end")

const listedStatus = async (fn: string, id: string): Promise<string | undefined> =>
  (await worker.api.request("GET", `/v1/executions?function=${fn}&limit=100`)).body?.executions?.find((e: { executionId: string }) => e.executionId === id)?.status

describe("an object that dies after writing its end", () => {
  it("publishes its row and tells its parent within the engine's watchdog (30 s), even where its next alarm was its retention", async () => {
    // One nothing invoked (its next alarm after the end: its retention), and one a parent invoked (its watchdog's).
    assert.strictEqual((await worker.api.start("crashing-child", { id: "top-1" }, { executionName: "top-1" })).status, 201)
    assert.strictEqual((await worker.api.start("crashing-parent", { tag: "cp-1" }, { executionName: "cp-1" })).status, 201)
    // The end's transaction kept the alarm within the watchdog; 45 s is far below any retention.
    await until(async () => ((await listedStatus("crashing-child", "top-1")) === "SUCCEEDED" ? true : undefined), 45_000, "the top-level row to say SUCCEEDED")
    await until(async () => ((await listedStatus("crashing-child", "cp-1:invoke:1")) === "SUCCEEDED" ? true : undefined), 45_000, "the child's row to say SUCCEEDED")
    await until(async () => ((await listedStatus("crashing-parent", "cp-1")) === "SUCCEEDED" ? true : undefined), 45_000, "the parent to end")
  }, 120_000)
})
