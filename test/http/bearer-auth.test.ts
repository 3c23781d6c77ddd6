import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Layer, ManagedRuntime } from "effect"
import { Engine } from "../../src/engine/index.ts"
import { createApp } from "../../src/http/index.ts"
import { layerMemoryStore } from "../../src/store/memory-store.ts"
import { assertProblem, type Harness, makeHarness } from "./http-fixture.ts"

const KEY = "s3cret-operator-key"
let h: Harness
beforeEach(() => {
  h = makeHarness({ apiKey: KEY })
})
afterEach(() => h.dispose())

const MANAGEMENT: Array<[string, string]> = [
  ["GET", "/v1/functions"],
  ["POST", "/v1/functions/echo/executions"],
  ["GET", "/v1/executions"],
  ["GET", "/v1/executions/abc"],
  ["GET", "/v1/executions/abc/history"],
  ["POST", "/v1/executions/abc/stop"],
  ["GET", "/v1/unknown"]
]

describe("the HTTP API: bearer auth", () => {
  it("answers every management route without a key with 401, a challenge, and nothing written", async () => {
    for (const [method, path] of MANAGEMENT) {
      const res = await h.request(method, path, { anonymous: true, ...(method === "POST" ? { json: { input: 1 } } : {}) })
      await assertProblem(res, 401, "unauthorized")
      assert.strictEqual(res.headers.get("www-authenticate"), `Bearer realm="reprise"`)
    }
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("answers a wrong key or scheme with 401 invalid_token", async () => {
    const wrong = [`Bearer ${KEY}x`, `Bearer ${KEY.slice(0, -1)}`, "Bearer ", "Bearer", `Basic ${btoa(`user:${KEY}`)}`, KEY, `Bearer ${KEY} extra`]
    for (const authorization of wrong) {
      const res = await h.request("POST", "/v1/functions/echo/executions", { anonymous: true, json: {}, headers: { authorization } })
      await assertProblem(res, 401, "unauthorized")
      assert.include(res.headers.get("www-authenticate") ?? "", `error="invalid_token"`)
    }
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("answers a request without a key with 401 before looking at its size", async () => {
    const big = makeHarness({ apiKey: KEY, maxBodyBytes: 100 })
    const res = await big.request("POST", "/v1/functions/echo/executions", { anonymous: true, json: { input: "x".repeat(500) } })
    await assertProblem(res, 401, "unauthorized")
    await assertProblem(await big.request("POST", "/v1/functions/echo/executions", { json: { input: "x".repeat(500) } }), 413, "payload-too-large")
    await big.dispose()
  })

  it("lets the right key in (the scheme is case-insensitive), and /healthz in without one", async () => {
    assert.strictEqual((await h.request("GET", "/v1/functions")).status, 200)
    assert.strictEqual((await h.request("GET", "/v1/functions", { anonymous: true, headers: { authorization: `bearer ${KEY}` } })).status, 200)
    assert.strictEqual((await h.request("GET", "/healthz", { anonymous: true })).status, 200)
  })

  it("lets callback routes in without a key: the callback id is the capability", async () => {
    const { callbackId } = await h.startApproval()
    const res = await h.request("POST", `/v1/callbacks/${callbackId}/heartbeat`, { anonymous: true, headers: { "content-type": "application/json" } })
    assert.strictEqual(res.status, 204)
    await assertProblem(await h.request("POST", "/v1/callbacks/forged/succeed", { anonymous: true, headers: { "content-type": "application/json" } }), 404, "callback-not-found")
  })

  it("refuses an empty or unpresentable API key at creation (unset means no auth)", async () => {
    const runtime = ManagedRuntime.make(Engine.layer({ functions: [] }).pipe(Layer.provide(layerMemoryStore)))
    assert.throws(() => createApp({ runtime, apiKey: "" }), /apiKey/)
    assert.throws(() => createApp({ runtime, apiKey: "with space" }), /apiKey/)
    assert.throws(() => createApp({ runtime, apiKey: "p@ss!" }), /apiKey/, "outside RFC 6750's b64token")
    const tokenish = createApp({ runtime, apiKey: "a-Z_0.9~+/==" })
    assert.strictEqual((await tokenish.request("/v1/functions", { headers: { authorization: "Bearer a-Z_0.9~+/==" } })).status, 200)
    const open = createApp({ runtime })
    assert.strictEqual((await open.request("/v1/functions")).status, 200)
    await runtime.dispose()
  })
})
