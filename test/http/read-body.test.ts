import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { assertProblem, type Harness, makeHarness } from "./http-fixture.ts"

let h: Harness
beforeEach(() => {
  h = makeHarness({ maxBodyBytes: 4096 })
})
afterEach(() => h.dispose())

const START = "/v1/functions/echo/executions"

/** A body streamed in chunks, so the request has no Content-Length. */
const streamed = (chunks: number, chunkBytes: number) => {
  let sent = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ === chunks) return controller.close()
      controller.enqueue(new TextEncoder().encode("x".repeat(chunkBytes)))
    }
  })
}

const post = (init: RequestInit & { duplex?: "half" }, path = START) => h.app.request(path, { method: "POST", ...init })

describe("the HTTP API: request bodies", () => {
  it("answers malformed JSON and invalid UTF-8 with 400 invalid-json", async () => {
    for (const body of ["{\"input\": ", "{input: 1}", "nul", "{\"a\":1}}"]) {
      await assertProblem(await post({ body, headers: { "content-type": "application/json" } }), 400, "invalid-json")
    }
    await assertProblem(await post({ body: new Uint8Array([0x7b, 0xff, 0x7d]), headers: { "content-type": "application/json" } }), 400, "invalid-json")
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("refuses a number JSON can only read as Infinity (400 invalid-request: valid JSON), rather than storing it as null; takes large finite ones", async () => {
    for (const body of ['{"input":1e400}', '{"input":{"a":[1,-1E+999]}}', `{"input":${"9".repeat(400)}}`, `{"input":1${"0".repeat(250)}e99}`]) {
      const problem = await assertProblem(await post({ body, headers: { "content-type": "application/json" } }), 400, "invalid-request")
      assert.include(String(problem.detail), "out of range")
    }
    assert.deepStrictEqual(await h.snapshot(), {})
    for (const body of ['{"input":1e300}', '{"input":"e999 in a string"}', `{"input":[${"[".repeat(2000)}1${"]".repeat(2000)}, "1e999"]}`]) {
      assert.strictEqual((await post({ body, headers: { "content-type": "application/json" } })).status, 201, body.slice(0, 40))
    }
  })

  it("refuses an integer a number cannot hold exactly (400 invalid-request: valid JSON), rather than storing it rounded; takes exact ones", async () => {
    // 12345678901234567890 reads as 12345678901234567000: an id sent as a JSON number would be stored changed.
    // The last one after a string that ends in an escaped backslash: the tokens are read whole.
    for (const body of ['{"input":12345678901234567890}', '{"input":{"ids":[1,-9007199254740993]}}', '{"executionName":"x","input":[18446744073709551615]}', '{"input":["a\\\\",12345678901234567890]}']) {
      const problem = await assertProblem(await post({ body, headers: { "content-type": "application/json" } }), 400, "invalid-request")
      assert.include(String(problem.detail), "an integer beyond 2^53", body)
    }
    assert.deepStrictEqual(await h.snapshot(), {})
    // Exact however large (2^53, 10^20), written with an exponent or a fraction (read to the nearest double, as in
    // JavaScript), in a string (one holding an escaped quote too), or as a fraction's or an exponent's digits: taken as
    // they are.
    for (const body of ['{"input":9007199254740992}', '{"input":100000000000000000000}', '{"input":1.2345678901234567e19}', '{"input":12345678901234567890.5}', '{"input":"12345678901234567890"}', '{"input":"say \\"12345678901234567890\\" to 1"}', '{"input":[0.12345678901234567890,1e-12345678901234567890]}']) {
      assert.strictEqual((await post({ body, headers: { "content-type": "application/json" } })).status, 201, body)
    }
  })

  it("answers a body with a content coding (gzip) with 415 and Accept-Encoding: identity, reading none of it", async () => {
    const { gzipSync } = await import("node:zlib")
    const res = await post({ body: gzipSync('{"input":1}'), headers: { "content-type": "application/json", "content-encoding": "gzip" } })
    await assertProblem(res, 415, "unsupported-media-type")
    assert.strictEqual(res.headers.get("accept-encoding"), "identity")
    assert.strictEqual((await post({ body: '{"input":1}', headers: { "content-type": "application/json", "content-encoding": "identity" } })).status, 201)
  })

  it("answers another media type with 415 (and Accept-Post), but takes application/json with UTF-8 and +json", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/jsonx"]) {
      const res = await post({ body: "{}", headers: { "content-type": type } })
      await assertProblem(res, 415, "unsupported-media-type")
      assert.strictEqual(res.headers.get("accept-post"), "application/json")
    }
    await assertProblem(await post({ body: new Blob(["{}"]) }), 415, "unsupported-media-type")
    assert.deepStrictEqual(await h.snapshot(), {})
    for (const type of ["application/json; charset=UTF-8", "application/vnd.reprise+json", "Application/JSON"]) {
      assert.strictEqual((await post({ body: "{\"input\":1}", headers: { "content-type": type } })).status, 201, type)
    }
  })

  it("takes an empty application/json body as {}, but no other empty body (a cross-site form can send those)", async () => {
    assert.strictEqual((await post({ body: "", headers: { "content-type": "application/json" } })).status, 201)
    await assertProblem(await post({}), 415, "unsupported-media-type")
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      await assertProblem(await post({ body: "", headers: { "content-type": type, "content-length": "0" } }), 415, "unsupported-media-type")
    }
  })

  it("answers a body over the limit with 413, by Content-Length before reading it", async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode("{}"))
        controller.close()
      }
    }, { highWaterMark: 0 }) // pulled only when read
    const res = await post({ body, duplex: "half", headers: { "content-type": "application/json", "content-length": "5000" } })
    await assertProblem(res, 413, "payload-too-large")
    assert.strictEqual(pulled, 0, "the body was never read")
    await assertProblem(await post({ body: JSON.stringify({ input: "x".repeat(5000) }), headers: { "content-type": "application/json" } }), 413, "payload-too-large")
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("answers a streamed body without Content-Length with 413 as soon as it passes the limit", async () => {
    const res = await post({ body: streamed(100, 1000), duplex: "half", headers: { "content-type": "application/json" } })
    await assertProblem(res, 413, "payload-too-large")
    const fits = await post({ body: streamed(1, 10), duplex: "half", headers: { "content-type": "application/json" } })
    await assertProblem(fits, 400, "invalid-json") // read in full (10 x's), then found not to be JSON
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("answers an input over the engine's payload limit with 413 from the engine", async () => {
    const big = makeHarness({ maxPayloadBytes: 1000 })
    const res = await big.request("POST", START, { json: { input: "x".repeat(2000) } })
    const problem = await assertProblem(res, 413, "payload-too-large")
    assert.include(String(problem.detail), "1000-byte payload limit")
    assert.deepStrictEqual(await big.snapshot(), {})
    await big.dispose()
  })

  it("answers a body that does not match the schema with 400, naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ inputs: 1 }, "inputs"],
      [{ executionName: 5 }, "executionName"],
      [{ executionName: "" }, "executionName"],
      [{ executionName: "a/b" }, "executionName"],
      [{ executionName: "x".repeat(200) }, "executionName"],
      [[1, 2], ""],
      ["just a string", ""],
      [null, ""]
    ]
    for (const [body, field] of cases) {
      const problem = await assertProblem(await h.request("POST", START, { json: body }), 400, "invalid-request")
      assert.include(String(problem.detail), field)
      assert.strictEqual(problem.instance, START)
    }
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("holds the console's login and action bodies to the same limit", async () => {
    const login = await h.app.request("/console/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `key=${"x".repeat(5000)}`
    })
    await assertProblem(login, 413, "payload-too-large")
    const stop = await post({ body: streamed(10, 1000), duplex: "half", headers: { "content-type": "application/json", "x-reprise-console": "1" } }, "/console/api/v1/executions/abc/stop")
    await assertProblem(stop, 413, "payload-too-large")
  })

  it("uses the default 1 MiB limit when none is given", async () => {
    const plain = makeHarness()
    const res = await plain.request("POST", START, { body: "x".repeat(1024 * 1024 + 1), headers: { "content-type": "application/json" } })
    await assertProblem(res, 413, "payload-too-large")
    await plain.dispose()
  })
})
