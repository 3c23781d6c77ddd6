/**
 * Issue 19, finding 9: a failed callback request is logged without its path's callback id (the capability), by
 * the default reporter and in the request any reporter is handed, for the API's routes and the console's proxy.
 */
import { afterEach, assert, describe, it, vi } from "@effect/vitest"
import { Exit } from "effect"
import { createApp } from "../../src/http/index.ts"
import { redactPath } from "../../src/http/redact.ts"

const SECRET_ID = "cb_c2VjcmV0LWNhcGFiaWxpdHktdG9rZW4"
const dying = { runPromiseExit: async () => Exit.die(new Error("store exploded")) }
const post = (app: ReturnType<typeof createApp>, path: string, headers: Record<string, string> = {}) =>
  app.request(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" })

afterEach(() => vi.restoreAllMocks())

describe("redacted error logs (issue 19, finding 9)", () => {
  it("logs a failed callback request with its id redacted, by default", async () => {
    const logged: Array<string> = []
    vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void logged.push(args.map(String).join(" ")))
    const app = createApp({ runtime: dying })
    for (const action of ["succeed", "fail", "heartbeat"]) {
      assert.strictEqual((await post(app, `/v1/callbacks/${SECRET_ID}/${action}`)).status, 500)
    }
    assert.strictEqual((await post(app, `/console/api/v1/callbacks/${SECRET_ID}/succeed`, { "x-reprise-console": "1" })).status, 500)
    assert.lengthOf(logged, 4)
    for (const line of logged) {
      assert.notInclude(line, SECRET_ID)
      assert.match(line, /POST \/v1\/callbacks\/\[redacted\]\/(succeed|fail|heartbeat) failed/)
    }
  })

  it("hands a custom reporter a redacted copy of the request: no callback id, query or credentials", async () => {
    const requests: Array<Request> = []
    const app = createApp({ runtime: dying, apiKey: "k-1", onError: (_, request) => void requests.push(request) })
    await post(app, `/v1/callbacks/${SECRET_ID}/succeed?x=1`)
    await post(app, "/v1/functions/echo/executions?wait=1", { authorization: "Bearer k-1", "idempotency-key": "k" })
    assert.lengthOf(requests, 2)
    assert.strictEqual(requests[0]!.url, "http://localhost/v1/callbacks/[redacted]/succeed")
    assert.strictEqual(requests[0]!.method, "POST")
    assert.strictEqual(requests[1]!.url, "http://localhost/v1/functions/echo/executions")
    assert.isNull(requests[1]!.headers.get("authorization"))
    assert.strictEqual(requests[1]!.headers.get("content-type"), "application/json")
  })

  it("redacts every callback id in a path, and nothing else", () => {
    assert.strictEqual(redactPath("/v1/callbacks/abc.def/fail"), "/v1/callbacks/[redacted]/fail")
    assert.strictEqual(redactPath("/console/api/v1/callbacks/x/heartbeat"), "/console/api/v1/callbacks/[redacted]/heartbeat")
    assert.strictEqual(redactPath("/v1/executions/e-1/stop"), "/v1/executions/e-1/stop")
  })
})
