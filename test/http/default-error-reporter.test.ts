/**
 * An app given no reporter (a Worker's, Lambda's HTTP API, one built alone) logs a request that failed on the
 * server's side as one JSON line in the host log's shape, the error's type, message and stack as fields: not
 * console.error's multi-line dump of the error. (A host hands the app its own log's reporter:
 * test/adapters/node/server-error-log.test.ts.)
 */
import { afterEach, assert, describe, it, vi } from "@effect/vitest"
import { Exit } from "effect"
import { createApp } from "../../src/http/index.ts"

afterEach(() => vi.restoreAllMocks())

describe("the app's default error reporter", () => {
  it("writes one JSON line with the method, the path, errorType, errorMessage and stackTrace", async () => {
    const written: Array<Array<unknown>> = []
    vi.spyOn(console, "error").mockImplementation((...args: Array<unknown>) => void written.push(args))
    const app = createApp({ runtime: { runPromiseExit: async () => Exit.die(new RangeError("store exploded")) } })
    const answer = await app.request("/v1/executions/e-1/stop", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
    assert.strictEqual(answer.status, 500)
    assert.lengthOf(written, 1)
    assert.lengthOf(written[0]!, 1, "one string: the line")
    const line = JSON.parse(String(written[0]![0])) as Record<string, unknown>
    assert.include(line, {
      level: "error",
      method: "POST",
      path: "/v1/executions/e-1/stop",
      message: "POST /v1/executions/e-1/stop failed: store exploded",
      errorType: "RangeError",
      errorMessage: "store exploded"
    })
    assert.isString(line.time)
    assert.match((line.stackTrace as Array<string>)[0]!, /^RangeError: store exploded$/)
  })
})
