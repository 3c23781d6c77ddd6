/** Callback payloads over HTTP: any JSON value as the result, and a function's payload Schema checked on arrival. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { durable } from "../../src/index.ts"
import { assertProblem, type Harness, makeHarness, until } from "./http-fixture.ts"

const Parcel = Schema.Struct({ parcelId: Schema.String, weight: Schema.Number })

/** The handler gets a decoded Parcel: `weight + 1` only works on a number. */
const shipping = durable("shipping", async (_input: unknown, ctx) => {
  const parcel = await ctx.waitForCallback("warehouse", async () => undefined, { schema: Parcel })
  return { parcelId: parcel.parcelId, heavier: parcel.weight + 1 }
})

const pickup = durable("pickup", async (_input: unknown, ctx) => {
  const [parcel, callbackId] = await ctx.createCallback("courier", { schema: Parcel })
  await ctx.step("hand-out", async () => callbackId)
  return await parcel
})

/** Leaves its callback behind in a child context that returned: a replay never reaches it again. */
const abandons = durable("abandons", async (_input: unknown, ctx) => {
  const callbackId = await ctx.runInChildContext("hand-out", async (child) => {
    const [, id] = await child.createCallback("left-behind", { schema: Parcel })
    return id
  })
  await ctx.step("publish", async () => callbackId)
  await ctx.wait("forever", { days: 300 })
})

let h: Harness | undefined
afterEach(() => h?.dispose())

const finished = (harness: Harness, executionId: string) =>
  until(async () => {
    const view = await harness.engine((e) => e.describe(executionId))
    return view.status === "RUNNING" ? undefined : view
  })

const started = async (harness: Harness, name: string) => {
  const res = await harness.request("POST", `/v1/functions/${name}/executions`, { json: {} })
  const { executionId } = await res.json() as { executionId: string }
  const callbackId = await until(async () => {
    await harness.engine((e) => e.settle(executionId))
    const view = await harness.engine((e) => e.describe(executionId))
    const ready = view.operations.every((op) => op.type !== "STEP" || op.status === "SUCCEEDED")
    return ready ? view.operations.find((op) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId : undefined
  })
  return { executionId, callbackId }
}

describe("callback results: any JSON value", () => {
  it("passes a JSON object as its JSON text, and keeps a string the raw string", async () => {
    h = makeHarness()
    const object = await h.startApproval(1)
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${object.callbackId}/succeed`, { json: { result: { approved: true } } })).status, 204)
    assert.deepStrictEqual((await finished(h, object.executionId)).result, JSON.stringify({ amount: 1, answer: `{"approved":true}` }))

    const text = await h.startApproval(2)
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${text.callbackId}/succeed`, { json: { result: "yes" } })).status, 204)
    assert.deepStrictEqual((await finished(h, text.executionId)).result, JSON.stringify({ amount: 2, answer: "yes" }))

    const number = await h.startApproval(3)
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${number.callbackId}/succeed`, { json: { result: 42 } })).status, 204)
    assert.deepStrictEqual((await finished(h, number.executionId)).result, JSON.stringify({ amount: 3, answer: "42" }))
  })
})

describe("callback payload Schemas", () => {
  it("waitForCallback(…, { schema }): the handler gets the decoded value; a mismatch is a 400 naming the field and writes nothing", async () => {
    h = makeHarness({ functions: [shipping] })
    const { executionId, callbackId } = await started(h, "shipping")
    const before = await h.engine((e) => e.history(executionId))
    const bad = await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: { parcelId: "p-1", weight: "heavy" } } })
    const problem = await assertProblem(bad, 400, "invalid-request")
    assert.match(String(problem.detail), /weight/)
    const notJson = await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "not json" } })
    assert.match(String((await assertProblem(notJson, 400, "invalid-request")).detail), /not JSON/)
    assert.deepStrictEqual(await h.engine((e) => e.history(executionId)), before, "a refused completion writes nothing")

    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: { parcelId: "p-1", weight: 2 } } })).status, 204)
    const view = await finished(h, executionId)
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(view.result!), { parcelId: "p-1", heavier: 3 })
  })

  it("a cold actor is loaded (replayed up to the callback) before the completion is checked", async () => {
    h = makeHarness({ functions: [pickup] })
    const { executionId, callbackId } = await started(h, "pickup")
    await h.engine((e) => e.evict(executionId))
    const bad = await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: { parcelId: 7, weight: 1 } } })
    assert.match(String((await assertProblem(bad, 400, "invalid-request")).detail), /parcelId/)
    await h.engine((e) => e.evict(executionId))
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: { parcelId: "p-2", weight: 5 } } })).status, 204)
    const view = await finished(h, executionId)
    assert.deepStrictEqual(JSON.parse(view.result!), { parcelId: "p-2", weight: 5 })
  })

  it("a completion of a callback no replay reaches again is not held forever: it goes through unchecked", async () => {
    h = makeHarness({ functions: [abandons] })
    const res = await h.request("POST", "/v1/functions/abandons/executions", { json: {} })
    const { executionId } = await res.json() as { executionId: string }
    const callbackId = await until(async () => {
      await h!.engine((e) => e.settle(executionId))
      const view = await h!.engine((e) => e.describe(executionId))
      return view.operations.some((op) => op.name === "forever") ? view.operations.find((op) => op.type === "CALLBACK")?.callbackId : undefined
    })
    await h.engine((e) => e.evict(executionId))
    const answer = await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "anything" } })
    assert.strictEqual(answer.status, 204)
  })

  it("the test runner's sendCallbackSuccess is checked the same way", async () => {
    const { createTestRunner } = await import("../../src/testing/index.ts")
    const runner = createTestRunner({ functions: [shipping] })
    try {
      const execution = await runner.start("shipping", {})
      await execution.sendCallbackSuccess("warehouse", JSON.stringify({ parcelId: "p" })).then(
        () => assert.fail("a payload without weight was accepted"),
        (error: Error) => assert.match(error.message, /weight/)
      )
      await execution.sendCallbackSuccess("warehouse", JSON.stringify({ parcelId: "p", weight: 1 }))
      assert.strictEqual(execution.status, "SUCCEEDED")
      assert.deepStrictEqual(execution.result, { parcelId: "p", heavier: 2 })
    } finally {
      await runner.dispose()
    }
  })
})
