/**
 * withBodyDeadline: a body that does not arrive in full within its deadline is a 408 (servers without a deadline of
 * their own: Deno.serve), one cut by the server's shutdown a 503; one that arrives in time is read as usual.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { withBodyDeadline } from "../../src/http/body-deadline.ts"
import { assertProblem, makeHarness } from "./http-fixture.ts"

let h: ReturnType<typeof makeHarness> | undefined
afterEach(async () => {
  await h?.dispose()
  h = undefined
})

/** A start whose body sends its first bytes, then `rest` after `delayMs` (never, when undefined). */
const start = (rest: string | undefined, delayMs = 0) => {
  const encoder = new TextEncoder()
  let timer: ReturnType<typeof setTimeout> | undefined
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      controller.enqueue(encoder.encode("{\"input\":"))
      if (rest !== undefined) {
        timer = setTimeout(() => {
          controller.enqueue(encoder.encode(rest))
          controller.close()
        }, delayMs)
      }
    },
    cancel: () => clearTimeout(timer)
  })
  return new Request("http://localhost/v1/functions/echo/executions?wait=5", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half"
  } as RequestInit)
}

describe("withBodyDeadline", () => {
  it("answers 408 request-timeout when the body stops arriving, and writes nothing", async () => {
    h = makeHarness()
    const before = await h.snapshot()
    const began = Date.now()
    const res = await h.app.request(withBodyDeadline(start(undefined), 150))
    const problem = await assertProblem(res, 408, "request-timeout")
    assert.match(String(problem.detail), /did not arrive within 150 ms/)
    assert.isAtLeast(Date.now() - began, 140)
    assert.deepStrictEqual(await h.snapshot(), before)
  })

  it("reads a body that arrives within it, in parts", async () => {
    h = makeHarness()
    const res = await h.app.request(withBodyDeadline(start("{\"n\":1}}", 30), 2_000))
    assert.strictEqual(res.status, 201, await res.clone().text())
    assert.deepStrictEqual((await res.json() as { result: unknown }).result, { echoed: { n: 1 } })
  })

  it("answers 408 too when the body has a Content-Length (the route reads it, not the body limit)", async () => {
    h = makeHarness()
    const stalled = start(undefined)
    const announced = new Request(stalled, { headers: { "content-type": "application/json", "content-length": "20" }, duplex: "half" } as RequestInit)
    const res = await h.app.request(withBodyDeadline(announced, 100))
    await assertProblem(res, 408, "request-timeout")
    assert.deepStrictEqual(h.serverErrors, [], "nothing reported")
  })

  it("answers 503 with Retry-After, not 400, for a body that fails once the server closes (Deno.serve drops it)", async () => {
    h = makeHarness()
    const before = await h.snapshot()
    const closing = new AbortController()
    let fail!: (error: Error) => void
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        controller.enqueue(new TextEncoder().encode("{\"input\":"))
        fail = (error) => controller.error(error)
      }
    })
    const request = new Request("http://localhost/v1/functions/echo/executions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half"
    } as RequestInit)
    const answering = h.app.request(withBodyDeadline(request, 5_000, closing.signal))
    closing.abort()
    fail(new Error("Cannot read body as underlying resource unavailable")) // what Deno.serve's shutdown does
    const res = await answering
    await assertProblem(res, 503, "server-busy")
    assert.strictEqual(res.headers.get("retry-after"), "1")
    assert.deepStrictEqual(await h.snapshot(), before)
  })

  it("copies a request without a body as it was, its signal read from the original only when asked (Deno.serve warns on a read)", () => {
    const gone = new AbortController()
    let reads = 0
    const get = new Request("http://localhost/healthz", { headers: { accept: "application/json" }, signal: gone.signal })
    const signal = get.signal
    Object.defineProperty(get, "signal", { get: () => (reads++, signal) })
    const copy = withBodyDeadline(get, 10)
    assert.deepStrictEqual([copy.url, copy.method, copy.headers.get("accept"), copy.body], [get.url, "GET", "application/json", null])
    assert.strictEqual(reads, 0, "the copy read the original's signal before anyone asked")
    gone.abort()
    // A `?wait` start reads it: the client gone (Deno.serve aborts the signal then) ends its wait.
    assert.isTrue(copy.signal.aborted)
    assert.strictEqual(reads, 1)
  })
})
