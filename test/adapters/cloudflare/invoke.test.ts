/**
 * `ctx.invoke` across Durable Objects: the child execution lives in its own object (named by its id), the parent
 * suspends, and resumes when the child's object hands it the child's outcome (the parent's actor takes it while
 * warm, without replaying its log).
 */
import { assert, describe, it } from "@effect/vitest"
import { countEffects, serveTestWorker, until, untilStatus } from "./miniflare-fixture.ts"

const worker = serveTestWorker("invoke")

const effects = (prefix: string) => countEffects(worker.mf, prefix)

describe("invoke across objects", () => {
  it("runs the child in its own object and resumes the parent when the child ends", async () => {
    const started = await worker.api.start("parent", { n: 21, tag: "p-1" }, { executionName: "parent-1" })
    assert.strictEqual(started.status, 201)
    const done = await untilStatus(worker.api, "parent-1", undefined, 30_000)
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.deepStrictEqual(done.result, { doubled: 42 })

    const childId = "parent-1:invoke:2"
    const invoke = done.operations.find((op: { type: string }) => op.type === "CHAINED_INVOKE")
    assert.strictEqual(invoke.status, "SUCCEEDED")
    const invoked = (await worker.api.history("parent-1")).body.events.find((e: { _tag: string }) => e._tag === "InvokeStarted")
    assert.strictEqual(invoked.childExecutionId, childId, "the child is named by the parent and the operation")
    const child = (await worker.api.describe(childId)).body
    assert.strictEqual(child.status, "SUCCEEDED")
    assert.strictEqual(child.result, 42)
    assert.isBelow(Date.parse(child.endedAt), Date.parse(done.endedAt) + 1)

    const events = (await worker.api.history("parent-1")).body.events as Array<{ _tag: string }>
    const tags = events.map((e) => e._tag)
    assert.isBelow(tags.indexOf("InvokeStarted"), tags.indexOf("InvokeSucceeded"))
    assert.strictEqual(await effects("p-1/before/"), 1, "the step before the invoke ran once")
    assert.strictEqual(await effects("p-1/after/"), 1)
    assert.strictEqual(await effects("p-1/invocation/"), 1, "the child's outcome reached the live parent: no replay")
    await until(async () => {
      const listed = (await worker.api.request("GET", "/v1/executions?function=child")).body.executions
      return listed.some((s: { executionId: string; status: string }) => s.executionId === childId && s.status === "SUCCEEDED") ? true : undefined
    }, 20_000, "the child in the listing")

    // Deleted, the parent takes its child with it (their objects alike): a start under its name would find it.
    assert.strictEqual((await worker.api.request("DELETE", "/v1/executions/parent-1")).status, 204)
    assert.strictEqual((await worker.api.describe(childId)).status, 404, "the child went with its parent")
    assert.strictEqual((await worker.api.describe("parent-1")).status, 404)
  }, 60_000)

  it("starts a child once, however often the parent is started", async () => {
    const [a, b] = await Promise.all([
      worker.api.start("parent", { n: 1, tag: "p-2" }, { executionName: "parent-2" }),
      worker.api.start("parent", { n: 1, tag: "p-2" }, { executionName: "parent-2" })
    ])
    assert.sameMembers([a.status, b.status], [200, 201])
    const done = await untilStatus(worker.api, "parent-2", undefined, 30_000)
    assert.deepStrictEqual(done.result, { doubled: 2 })
    const child = (await worker.api.history("parent-2:invoke:2")).body.events as Array<{ _tag: string }>
    assert.strictEqual(child.filter((e) => e._tag === "ExecutionStarted").length, 1)
    assert.strictEqual(await effects("p-2/before/"), 1)
  }, 60_000)
})
