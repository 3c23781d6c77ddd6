/**
 * A stop of a `ctx.continueAsNew` chain's earlier run stops the chain's current run, which lives in another Durable
 * Object, as the engine does in one process (README: "a stop of any run stops the current one"); a parent's stop
 * reaches an invoked child that continued as new the same way. Before, the first run's object answered 409
 * execution-not-running (it was CONTINUED_AS_NEW) and the current run went on.
 */
import { assert, describe, it } from "@effect/vitest"
import { serveTestWorker, until } from "./miniflare-fixture.ts"

const worker = serveTestWorker("stop-chain")

/** Waits (bounded) until `id`'s second run waits in its own object. */
const untilSecondRun = (id: string) =>
  until(async () => ((await worker.api.describe(`${id}~2`)).body?.status === "RUNNING" ? true : undefined), 20_000, `${id}~2 to run`)

describe("a stop reaches the current run of a continue-as-new chain", () => {
  it("stopping the first run stops the run that carries the execution on", async () => {
    assert.strictEqual((await worker.api.start("relay", { n: 1, last: 2 }, { executionName: "rl-1" })).status, 201)
    await untilSecondRun("rl-1")
    const stopped = await worker.api.request("POST", "/v1/executions/rl-1/stop", { json: { error: { errorMessage: "enough" } } })
    assert.strictEqual(stopped.status, 200)
    assert.strictEqual(stopped.body.status, "CONTINUED_AS_NEW") // the run asked for, as the engine answers
    const current = (await worker.api.describe("rl-1~2")).body
    assert.strictEqual(current.status, "STOPPED")
    assert.strictEqual(current.error.errorMessage, "enough")
  }, 60_000)

  it("a parent's stop reaches its child's current run", async () => {
    assert.strictEqual((await worker.api.start("relay-parent", {}, { executionName: "rp-1" })).status, 201)
    await untilSecondRun("rp-1:invoke:1")
    const stopped = await worker.api.request("POST", "/v1/executions/rp-1/stop", { json: {} })
    assert.strictEqual(stopped.body.status, "STOPPED")
    const child = (await worker.api.describe("rp-1:invoke:1~2")).body
    assert.strictEqual(child.status, "STOPPED")
    assert.strictEqual(child.error.errorType, "ParentStopped")
  }, 60_000)
})
