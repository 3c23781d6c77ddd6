/**
 * Stop reaches children across Durable Objects: stopping the parent's object stops the child in its own object
 * (the invoker's stop is an RPC to it); `{ children: false }` leaves the child running.
 */
import { assert, describe, it } from "@effect/vitest"
import { serveTestWorker, until } from "./miniflare-fixture.ts"

const worker = serveTestWorker("stop-children")

/** Starts the parent and waits (bounded) until its child runs in its own object. */
const startParent = async (name: string) => {
  const started = await worker.api.start("stopping-parent", { tag: name }, { executionName: name })
  assert.strictEqual(started.status, 201)
  const childId = `${name}:invoke:1`
  await until(async () => ((await worker.api.describe(childId)).body?.status === "RUNNING" ? true : undefined), 20_000, "the child to start")
  return childId
}

describe("stop reaches children across objects", () => {
  it("stops the child in its own object", async () => {
    const childId = await startParent("sp-1")
    const stopped = await worker.api.request("POST", "/v1/executions/sp-1/stop", { json: {} })
    assert.strictEqual(stopped.status, 200)
    assert.strictEqual(stopped.body.status, "STOPPED")
    const child = (await worker.api.describe(childId)).body
    assert.strictEqual(child.status, "STOPPED")
    assert.strictEqual(child.error.errorType, "ParentStopped")
  }, 60_000)

  it("leaves the child running with children: false", async () => {
    const childId = await startParent("sp-2")
    const stopped = await worker.api.request("POST", "/v1/executions/sp-2/stop", { json: { children: false } })
    assert.strictEqual(stopped.body.status, "STOPPED")
    assert.strictEqual((await worker.api.describe(childId)).body.status, "RUNNING")
  }, 60_000)
})
