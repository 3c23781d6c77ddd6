import { assert, describe, it } from "@effect/vitest"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll } from "vitest"
import { durable, FetchError, type FetchResponse } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

interface Seen {
  readonly method: string
  readonly url: string
  readonly authorization: string | undefined
  readonly body: string
}

/** A real HTTP server on 127.0.0.1 that records each request it gets. */
let server: Server
let base: string
const seen: Array<Seen> = []
const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = ""
    request.on("data", (chunk) => (text += chunk))
    request.on("end", () => resolve(text))
  })

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const body = await readBody(request)
    seen.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body })
    if (request.url === "/hang") return // never answers: the timeout's case
    if (request.url === "/boom") {
      response.writeHead(503, { "content-type": "text/plain", "x-reason": "maintenance" })
      return response.end("come back later")
    }
    response.writeHead(200, { "content-type": "application/json", "x-request": request.url! })
    response.end(JSON.stringify({ method: request.method, body }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const requestsTo = (path: string) => seen.filter((s) => s.url === path)

const SECRET = "Bearer sk-live-do-not-log-7f3a"

describe("ctx.fetch", () => {
  it("resolves with status, ok, headers and body, for a success and for a 503 alike", async () => {
    const fn = durable("fetch-statuses", async (_: unknown, ctx) => {
      const created = await ctx.fetch("create", `${base}/items?x=1`, {
        method: "post",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "a" })
      })
      const down = await ctx.fetch(`${base}/boom`)
      return { created, down }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("fetch-statuses")
    assert.strictEqual(execution.status, "SUCCEEDED")
    const { created, down } = execution.result as { created: FetchResponse; down: FetchResponse }
    assert.strictEqual(created.status, 200)
    assert.strictEqual(created.ok, true)
    assert.strictEqual(created.headers["x-request"], "/items?x=1")
    assert.deepStrictEqual(JSON.parse(created.body), { method: "POST", body: `{"name":"a"}` })
    assert.deepStrictEqual({ status: down.status, ok: down.ok, body: down.body, reason: down.headers["x-reason"] }, {
      status: 503,
      ok: false,
      body: "come back later",
      reason: "maintenance"
    })
    const ops = execution.operations
    assert.deepStrictEqual(ops.map((op) => [op.type, op.subType, op.name ?? null, op.status]), [
      ["STEP", "Fetch", "create", "SUCCEEDED"],
      ["STEP", "Fetch", null, "SUCCEEDED"]
    ])
    await runner.dispose()
  })

  it("does not send the request again on replay once its response is recorded", async () => {
    const fn = durable("fetch-replay", async (_: unknown, ctx) => {
      const first = await ctx.fetch("once", `${base}/once`)
      const answer = await ctx.waitForCallback("approve", async () => {})
      return { status: first.status, body: JSON.parse(first.body), answer }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("fetch-replay")
    assert.strictEqual(execution.status, "RUNNING")
    assert.strictEqual(requestsTo("/once").length, 1)
    await execution.evict() // the next message replays the handler from the log
    await execution.sendCallbackSuccess("approve", "yes")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.isAbove(execution.invocations, 1)
    assert.deepStrictEqual(execution.result, { status: 200, body: { method: "GET", body: "" }, answer: "yes" })
    assert.strictEqual(requestsTo("/once").length, 1)
    await runner.dispose()
  })

  it("sends the authorization header but never writes it to the history", async () => {
    const fn = durable("fetch-secret", async (_: unknown, ctx) => {
      const response = await ctx.fetch(`${base}/private`, { headers: { Authorization: SECRET, accept: "application/json" } })
      // A password in the URL is refused before anything is sent or recorded, and the message does not quote it.
      const withPassword = await ctx.fetch(`http://user:hunter2@127.0.0.1:${new URL(base).port}/private`).then(() => "sent", (e: Error) => e.message)
      return { status: response.status, withPassword }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("fetch-secret")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, {
      status: 200,
      withPassword: "fetch's URL must not carry credentials: send them in the authorization header"
    })
    assert.strictEqual(requestsTo("/private").length, 1)
    assert.strictEqual(requestsTo("/private")[0]?.authorization, SECRET)
    const history = JSON.stringify(execution.history)
    assert.notInclude(history, "sk-live-do-not-log-7f3a")
    assert.notInclude(history, "hunter2")
    // The request is in the history, with its other headers, so the log still says what was called.
    const recorded = execution.history.find((e) => e._tag === "StepSucceeded") as { result: string }
    const { request } = JSON.parse(recorded.result)
    assert.deepStrictEqual(request.headers, { Authorization: "[redacted]", accept: "application/json" })
    assert.strictEqual(request.method, "GET")
    assert.strictEqual(request.url, `${base}/private`)
    await runner.dispose()
  })

  it("keeps the authorization header out of a recorded transport failure that quotes it", async () => {
    const fn = durable("fetch-secret-failure", async (_: unknown, ctx) => {
      await ctx.fetch("call", "https://api.example.test/", { headers: { authorization: SECRET } })
    })
    const runner = createTestRunner({
      functions: [fn],
      fetch: async (_url, init) => {
        throw new TypeError(`could not send ${JSON.stringify(init.headers)}`, { cause: new Error(`header ${SECRET}`) })
      }
    })
    const execution = await runner.run("fetch-secret-failure")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "FetchError")
    assert.include(execution.error?.errorMessage, "could not send")
    assert.notInclude(JSON.stringify(execution.history), "sk-live-do-not-log-7f3a")
    assert.include(JSON.stringify(execution.history), "[redacted]")
    await runner.dispose()
  })

  it("rejects with FetchError, once and not retried, when no response comes: refused connection, or the timeout", async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const fn = durable("fetch-failures", async (_: unknown, ctx) => {
      const outcome = async (call: Promise<unknown>) => {
        try {
          await call
          return "resolved"
        } catch (error) {
          return { name: (error as Error).name, isFetchError: error instanceof FetchError, message: (error as Error).message }
        }
      }
      return {
        refused: await outcome(ctx.fetch("refused", `http://127.0.0.1:${deadPort}/`)),
        hung: await outcome(ctx.fetch("hung", `${base}/hang`, { timeout: { seconds: 1 } }))
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("fetch-failures")
    assert.strictEqual(execution.status, "SUCCEEDED")
    const result = execution.result as Record<string, { name: string; isFetchError: boolean; message: string }>
    assert.deepInclude(result["refused"], { name: "FetchError", isFetchError: true })
    assert.deepInclude(result["hung"], { name: "FetchError", isFetchError: true })
    assert.match(result["hung"]!.message, /timed out/)
    assert.deepStrictEqual(execution.operations.map((op) => [op.name, op.status, op.attempt]), [
      ["refused", "FAILED", 1],
      ["hung", "FAILED", 1]
    ])
    assert.strictEqual(requestsTo("/hang").length, 1)
    await runner.dispose()
  })

  it("refuses a URL it cannot fetch with a ConfigurationError, recording nothing", async () => {
    const fn = durable("fetch-bad-url", async (_: unknown, ctx) => {
      const errors: Array<string> = []
      for (const url of ["/relative", "ftp://127.0.0.1/file", 42 as unknown as string]) {
        try {
          await ctx.fetch(url)
        } catch (error) {
          errors.push(`${(error as Error).name}: ${(error as Error).message}`)
        }
      }
      return errors
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("fetch-bad-url")
    assert.deepStrictEqual(execution.result, [
      `ConfigurationError: fetch needs an absolute URL, got "/relative"`,
      `ConfigurationError: fetch supports http and https URLs, got "ftp:"`,
      "ConfigurationError: fetch needs a URL string, got number"
    ])
    assert.deepStrictEqual(execution.operations, [])
    await runner.dispose()
  })

  it("goes through the test runner's fetch transport when one is given", async () => {
    const calls: Array<string> = []
    const fn = durable("fetch-transport", async (_: unknown, ctx) => (await ctx.fetch("quote", "https://api.example.test/quote")).body)
    const runner = createTestRunner({
      functions: [fn],
      fetch: async (url, init) => {
        calls.push(`${init.method} ${url}`)
        return new Response("42", { status: 200 })
      }
    })
    const execution = await runner.run("fetch-transport")
    assert.strictEqual(execution.result, "42")
    assert.deepStrictEqual(calls, ["GET https://api.example.test/quote"])
    await runner.dispose()
  })
})
