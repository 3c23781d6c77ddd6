/** What the API shows of an execution's operations once it has ended: nothing still STARTED, no timer to come. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { type Harness, makeHarness, until } from "./http-fixture.ts"

const waits = durable("waits", async (_input: unknown, ctx) => {
  const [answer] = await ctx.createCallback("approval", { timeout: { days: 2 } })
  await ctx.wait("cooling-off", { days: 1 })
  return await answer
})

/** Calls a wait on its first run and a step on every replay: a replay is non-deterministic. */
let runs = 0
const fickle = durable("fickle", async (_input: unknown, ctx) => {
  runs++
  if (runs === 1) await ctx.wait("nap", { hours: 3 })
  else await ctx.step("nap", async () => 1)
})

let h: Harness | undefined
afterEach(() => h?.dispose())

const get = async (harness: Harness, executionId: string) =>
  await (await harness.request("GET", `/v1/executions/${executionId}?operations=true`)).json() as { status: string; endedAt?: string; operations: Array<Record<string, unknown>> }

const startAndSettle = async (harness: Harness, name: string) => {
  const res = await harness.request("POST", `/v1/functions/${name}/executions`, { json: {} })
  const { executionId } = await res.json() as { executionId: string }
  await until(async () => {
    await harness.engine((e) => e.settle(executionId))
    return (await get(harness, executionId)).operations.some((op) => op.type === "WAIT") ? true : undefined
  })
  return executionId
}

const assertClosed = (view: Awaited<ReturnType<typeof get>>) => {
  for (const op of view.operations) {
    assert.notInclude(["STARTED", "PENDING"], op.status, `operation ${op.id} of an ended execution`)
    assert.isUndefined(op.timeoutAt, `operation ${op.id}: no timeout to come`)
    assert.isUndefined(op.waitUntil, `operation ${op.id}: no wait to come`)
    assert.isUndefined(op.nextAttemptAt, `operation ${op.id}: no retry to come`)
    assert.strictEqual(op.endedAt, view.endedAt)
  }
}

describe("operations of an ended execution", () => {
  it("after a stop: the callback and the wait it left are CANCELLED, with no future timeout", async () => {
    h = makeHarness({ functions: [waits] })
    const executionId = await startAndSettle(h, "waits")
    assert.strictEqual((await h.request("POST", `/v1/executions/${executionId}/stop`, { json: {} })).status, 200)
    const view = await get(h, executionId)
    assert.strictEqual(view.status, "STOPPED")
    assert.deepStrictEqual(view.operations.map((op) => op.status), ["CANCELLED", "CANCELLED"])
    assertClosed(view)
  })

  it("after a non-determinism failure: the wait the replay diverged at is not left STARTED", async () => {
    h = makeHarness({ functions: [fickle] })
    runs = 0
    const executionId = await startAndSettle(h, "fickle")
    await h.engine((e) => e.evict(executionId))
    await h.engine((e) => e.alarm(executionId)) // loads it: the replay calls a step where the log has a wait
    const view = await until(async () => {
      const current = await get(h!, executionId)
      return current.status === "RUNNING" ? undefined : current
    })
    assert.strictEqual(view.status, "FAILED")
    assertClosed(view)
  })

  it("an invoke names the execution it started, whose own failure can then be read", async () => {
    const target = durable("target", async () => {
      throw new Error("target broke")
    })
    const caller = durable("caller", async (_input: unknown, ctx) => await ctx.invoke("call", "target", {}))
    h = makeHarness({ functions: [caller, target] })
    const res = await h.request("POST", "/v1/functions/caller/executions", { json: { executionName: "c-1" } })
    assert.strictEqual(res.status, 201)
    const view = await until(async () => {
      await h!.engine((e) => e.settle("c-1"))
      const view = await get(h!, "c-1")
      return view.status === "FAILED" ? view : undefined
    })
    const child = view.operations.find((op) => op.type === "CHAINED_INVOKE")?.childExecutionId
    assert.strictEqual(child, "c-1:invoke:1")
    assert.strictEqual((await get(h, String(child))).status, "FAILED")
  })
})
