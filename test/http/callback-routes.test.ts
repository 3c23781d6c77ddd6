import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { assertProblem, type Harness, makeHarness, until } from "./http-fixture.ts"

let h: Harness
beforeEach(() => {
  h = makeHarness({ apiKey: "operator-key" })
})
afterEach(() => h.dispose())

const finished = (executionId: string) =>
  until(async () => {
    const view = await h.engine((e) => e.describe(executionId))
    return view.status === "RUNNING" ? undefined : view
  })

/** Flips one character of the id at `index` to another character of the base64url alphabet. */
const alter = (id: string, index: number) => `${id.slice(0, index)}${id[index] === "A" ? "B" : "A"}${id.slice(index + 1)}`

describe("the HTTP API: callbacks", () => {
  it("completes a callback with the raw result string, with no API key (a capability): 204", async () => {
    const { executionId, callbackId } = await h.startApproval(12)
    const res = await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: `{"approved":true}` }, anonymous: true })
    assert.strictEqual(res.status, 204)
    assert.strictEqual(await res.text(), "")
    await finished(executionId)
    const view = await (await h.request("GET", `/v1/executions/${executionId}?operations=true`)).json() as Record<string, any>
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(view.result, { amount: 12, answer: `{"approved":true}` })
    assert.strictEqual(view.operations.find((op: any) => op.type === "CALLBACK").status, "SUCCEEDED")
  })

  it("succeeds a callback with no body (result undefined)", async () => {
    const { executionId, callbackId } = await h.startApproval()
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { anonymous: true, headers: { "content-type": "application/json" } })).status, 204)
    const view = await finished(executionId)
    assert.deepStrictEqual(view.result, JSON.stringify({ amount: 10 }))
  })

  it("fails a callback: the function sees a CallbackError and the execution fails", async () => {
    const { executionId, callbackId } = await h.startApproval()
    const res = await h.request("POST", `/v1/callbacks/${callbackId}/fail`, {
      json: { errorType: "Rejected", errorMessage: "budget exceeded", errorData: "{\"limit\":5}" },
      anonymous: true
    })
    assert.strictEqual(res.status, 204)
    const view = await finished(executionId)
    assert.strictEqual(view.status, "FAILED")
    const history = await h.engine((e) => e.history(executionId))
    const failed = history.find((e) => e._tag === "CallbackFailed")
    assert.deepStrictEqual(failed?._tag === "CallbackFailed" ? failed.error : undefined, {
      errorType: "Rejected",
      errorMessage: "budget exceeded",
      errorData: "{\"limit\":5}"
    })
  })

  it("fails a callback with no error at all, as AWS's SendDurableExecutionCallbackFailure takes one: \"Callback failed\" of type Error", async () => {
    const cases = [
      { body: { json: {} }, recorded: "Callback failed" },
      { body: { headers: { "content-type": "application/json" } }, recorded: "Callback failed" },
      // An empty message is kept as sent; the function's error says "Callback failed", as AWS's SDK's does.
      { body: { json: { errorMessage: "" } }, recorded: "" }
    ]
    for (const { body, recorded } of cases) {
      const { executionId, callbackId } = await h.startApproval()
      assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/fail`, { ...body, anonymous: true })).status, 204)
      const view = await finished(executionId)
      assert.strictEqual(view.status, "FAILED")
      assert.deepStrictEqual([view.error?.errorType, view.error?.errorMessage], ["CallbackExternalError", "Callback failed"])
      const history = await h.engine((e) => e.history(executionId))
      const failed = history.find((e) => e._tag === "CallbackFailed")
      assert.deepStrictEqual(failed?._tag === "CallbackFailed" ? failed.error : undefined, { errorType: "Error", errorMessage: recorded })
    }
  })

  it("records a heartbeat, with or without an empty JSON body", async () => {
    const { executionId, callbackId } = await h.startApproval()
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { anonymous: true, headers: { "content-type": "application/json" } })).status, 204)
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { json: {}, anonymous: true })).status, 204)
    const history = await h.engine((e) => e.history(executionId))
    assert.strictEqual(history.filter((e) => e._tag === "CallbackHeartbeat").length, 2)
    await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { json: { beat: 1 } }), 400, "invalid-request")
  })

  it("answers a heartbeat of a callback without a heartbeat timeout with 204, writing nothing (it would move nothing)", async () => {
    h.dispose()
    const open = durable("open-ended", async (_input: unknown, ctx) => ctx.waitForCallback("reply", async () => undefined))
    h = makeHarness({ apiKey: "operator-key", functions: [open] })
    assert.strictEqual((await h.request("POST", "/v1/functions/open-ended/executions", { json: { executionName: "open-1" } })).status, 201)
    const callbackId = await until(async () => {
      await h.engine((e) => e.settle("open-1"))
      return (await h.engine((e) => e.describe("open-1"))).operations.find((op) => op.type === "CALLBACK")?.callbackId
    })
    const before = (await h.engine((e) => e.history("open-1"))).length
    for (let i = 0; i < 5; i++) assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { json: {}, anonymous: true })).status, 204)
    assert.strictEqual((await h.engine((e) => e.history("open-1"))).length, before)
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "\"done\"" }, anonymous: true })).status, 204)
    assert.strictEqual((await finished("open-1")).status, "SUCCEEDED")
    await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { json: {} }), 409, "callback-already-completed")
  })

  it("answers a second completion with 409 and keeps the first result", async () => {
    const { executionId, callbackId } = await h.startApproval()
    assert.strictEqual((await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "first" } })).status, 204)
    await finished(executionId)
    const before = await h.snapshot()
    const again = await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "second" } }), 409, "callback-already-completed")
    assert.include(String(again.detail), "SUCCEEDED")
    await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/fail`, { json: { errorMessage: "late" } }), 409, "callback-already-completed")
    await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { headers: { "content-type": "application/json" } }), 409, "callback-already-completed")
    assert.deepStrictEqual(await h.snapshot(), before)
    assert.deepStrictEqual((await h.engine((e) => e.describe(executionId))).result, JSON.stringify({ amount: 10, answer: "first" }))
  })

  it("answers forged, altered and unknown callback ids with 404, writing nothing", async () => {
    const { callbackId } = await h.startApproval()
    const before = await h.snapshot()
    const [inner, signature] = callbackId.split(".") as [string, string]
    const forged = [
      inner, // unsigned
      `${inner}.${"A".repeat(43)}`, // a made-up signature
      alter(callbackId, 5), // the execution id altered
      alter(callbackId, inner.length - 3), // the token altered
      alter(callbackId, callbackId.length - 1), // the signature altered (its last character too)
      `${inner}.${signature.slice(0, -1)}`, // truncated
      `${callbackId}x`,
      "not-a-callback-id",
      "%00"
    ]
    for (const id of forged) {
      for (const action of ["succeed", "fail", "heartbeat"]) {
        const res = await h.request("POST", `/v1/callbacks/${encodeURIComponent(id)}/${action}`, {
          json: action === "fail" ? { errorMessage: "forged" } : {}
        })
        await assertProblem(res, 404, "callback-not-found")
      }
    }
    assert.deepStrictEqual(await h.snapshot(), before)
  })

  it("refuses a callback result over the engine's payload limit with 413, writing nothing", async () => {
    const small = makeHarness({ maxPayloadBytes: 1000 })
    const { callbackId } = await small.startApproval()
    const before = await small.snapshot()
    await assertProblem(await small.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "x".repeat(2000) } }), 413, "payload-too-large")
    assert.deepStrictEqual(await small.snapshot(), before)
    await small.dispose()
  })

  it("refuses a callback error over the engine's payload limit with 413 too, writing nothing", async () => {
    const small = makeHarness({ maxPayloadBytes: 1000 })
    const { callbackId } = await small.startApproval()
    const before = await small.snapshot()
    await assertProblem(await small.request("POST", `/v1/callbacks/${callbackId}/fail`, { json: { errorMessage: "x".repeat(2000) } }), 413, "payload-too-large")
    await assertProblem(await small.request("POST", `/v1/callbacks/${callbackId}/fail`, { json: { errorMessage: "m", errorData: "y".repeat(2000) } }), 413, "payload-too-large")
    assert.deepStrictEqual(await small.snapshot(), before)
    // One within the limit still fails the callback.
    assert.strictEqual((await small.request("POST", `/v1/callbacks/${callbackId}/fail`, { json: { errorMessage: "declined" } })).status, 204)
    await small.dispose()
  })

  it("validates callback bodies, writing nothing", async () => {
    const { callbackId } = await h.startApproval()
    const before = await h.snapshot()
    const cases: Array<[string, unknown]> = [
      ["succeed", { value: "x" }], // an unknown field
      ["fail", { message: "m" }], // an unknown field: no error is {} itself
      ["fail", { errorMessage: 5 }],
      ["fail", { errorMessage: "m", errorType: "" }]
    ]
    for (const [action, body] of cases) {
      await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/${action}`, { json: body }), 400, "invalid-request")
    }
    // A result sent bare, where it belongs under "result": the answer says so.
    const bare = await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { parcelId: "p-1" } }), 400, "invalid-request")
    assert.include(String(bare.detail), `The callback's result goes under "result": {"result": <your JSON>}`)
    await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { body: "{oops", headers: { "content-type": "application/json" } }), 400, "invalid-json")
    // Too deep to write back as JSON (JSON.parse reads it; JSON.stringify overflows the stack): 400, not 500.
    const deep = `{"result":${"[".repeat(100_000)}${"]".repeat(100_000)}}`
    const refused = await assertProblem(await h.request("POST", `/v1/callbacks/${callbackId}/succeed`, { body: deep, headers: { "content-type": "application/json" } }), 400, "invalid-request")
    assert.match(String(refused.detail), /^The result is not serialisable as JSON/)
    assert.deepStrictEqual(await h.snapshot(), before)
  })
})
