import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { serve, type Server, SHUTDOWN_GRACE_MS } from "../../../adapters/node/serve.ts"
import { fakeOrderServices, makeOrderFulfilment } from "../../../examples/order-fulfilment.ts"
import { durable } from "../../../src/index.ts"

const order = { orderId: "o-7", email: "ada@example.com", amountCents: 4200, lines: [{ sku: "kettle", quantity: 1 }] }

const withServer = async (body: (server: Server, services: ReturnType<typeof fakeOrderServices>) => Promise<void>, apiKey?: string) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-serve-"))
  const services = fakeOrderServices({ paymentOutages: 0 })
  const server = await serve({
    functions: [makeOrderFulfilment(services)],
    dbPath: join(dir, "reprise.db"),
    port: 0,
    handleSignals: false,
    ...(apiKey === undefined ? {} : { apiKey })
  })
  try {
    await body(server, services)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const call = async (server: Server, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(server.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: text === "" ? undefined : JSON.parse(text) }
}

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("reprise/node serve()", () => {
  it("runs the order workflow over HTTP on a SQLite file: start, complete the warehouse callback, read result and history", async () => {
    await withServer(async (server, services) => {
      const started = await call(server, "POST", "/v1/functions/order-fulfilment/executions", { input: order })
      assert.strictEqual(started.status, 201)
      const id = started.body.executionId as string
      await until(async () => services.warehouseInbox.length === 1, "the warehouse to be asked")
      const callbackId = services.warehouseInbox[0]!.callbackId // the id the function handed out

      const completed = await call(server, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: JSON.stringify({ parcelId: "p-1", weightKg: 2 }) })
      assert.strictEqual(completed.status, 204)
      await until(async () => (await call(server, "GET", `/v1/executions/${id}`)).body.status !== "RUNNING", "the order to finish")

      const view = await call(server, "GET", `/v1/executions/${id}`)
      assert.strictEqual(view.body.status, "SUCCEEDED")
      assert.strictEqual(view.body.result.status, "shipped")
      assert.strictEqual(view.body.result.orderId, "o-7")
      assert.deepStrictEqual({ charge: services.calls.charge, ship: services.calls.ship, email: services.calls.email }, { charge: 1, ship: 1, email: 1 })
      const history = await call(server, "GET", `/v1/executions/${id}/history`)
      const tags = (history.body.events as Array<{ _tag: string }>).map((e) => e._tag)
      assert.strictEqual(tags[0], "ExecutionStarted")
      assert.include(tags, "CallbackSucceeded")
      assert.strictEqual(tags.at(-1), "ExecutionSucceeded")

      const again = await call(server, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: "late" })
      assert.strictEqual(again.status, 409)
      assert.strictEqual(again.body.type, "https://reprise.dev/problems/callback-already-completed")
    })
  })

  it("deletes an ended execution from the SQLite file: its row, events and alarm go, and it stays gone after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-serve-"))
    const dbPath = join(dir, "reprise.db")
    const signUp = durable("sign-up", async (input: { email: string }, ctx) => ctx.step("welcome", async () => `welcome ${input.email}`))
    const open = () => serve({ functions: [signUp], dbPath, port: 0, handleSignals: false })
    let server = await open()
    try {
      const ended = await call(server, "POST", "/v1/functions/sign-up/executions?wait=10", { input: { email: "ada@example.com" }, executionName: "erase-1" })
      assert.strictEqual(ended.body.status, "SUCCEEDED")
      assert.deepStrictEqual(await call(server, "DELETE", "/v1/executions/erase-1"), { status: 204, type: "", body: undefined })
      const file = new DatabaseSync(dbPath, { readOnly: true })
      try {
        for (const table of ["executions", "events", "alarms"]) {
          const { n } = file.prepare(`SELECT count(*) AS n FROM ${table} WHERE execution_id = ?`).get("erase-1") as { n: number }
          assert.strictEqual(n, 0, `no ${table} row is left`)
        }
      } finally {
        file.close()
      }
      await server.close()
      server = await open()
      assert.strictEqual((await call(server, "GET", "/v1/executions/erase-1")).status, 404, "still gone after a restart")
      assert.deepStrictEqual((await call(server, "GET", "/v1/executions")).body.executions, [])
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("closes with an event stream open: the stream ends at once, cleanly, instead of holding the process until its maxSeconds", async () => {
    await withServer(async (server) => {
      const started = await call(server, "POST", "/v1/functions/order-fulfilment/executions", { input: order })
      const id = started.body.executionId as string
      // No Accept header, as `curl -N` sends it: the route alone says it is a stream.
      const stream = await fetch(`${server.url}/v1/executions/${encodeURIComponent(id)}/events?maxSeconds=60`)
      assert.strictEqual(stream.status, 200)
      const reader = stream.body!.getReader()
      await reader.read() // the stream is open and has sent its first events
      const drained = (async () => {
        for (let i = 0; i < 10_000; i++) if ((await reader.read()).done) return "ended"
        return "still open"
      })().catch((error: unknown) => `cut off: ${String(error)}`) // a client such as curl reports a cut-off body as an error
      // The stream would hold close() for its 60 s, or (ended by the grace instead) for SHUTDOWN_GRACE_MS: ending it at
      // once is what closes well inside that grace. A bound far from either, not a measure of speed.
      const outcome = await Promise.race([server.close().then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("held"), SHUTDOWN_GRACE_MS / 2))])
      assert.strictEqual(outcome, "closed")
      assert.strictEqual(await drained, "ended")
    })
  }, 30_000)

  it("closes with a start's ?wait= open: it is answered 202 with the execution as it stands, and the close does not wait for it", async () => {
    await withServer(async (server) => {
      // The order waits for the warehouse's callback: ?wait=60 would hold the request a minute.
      const waiting = call(server, "POST", "/v1/functions/order-fulfilment/executions?wait=60", { input: order, executionName: "o-wait" })
      for (let i = 0; i < 200 && (await call(server, "GET", "/v1/executions/o-wait")).status !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      const outcome = await Promise.race([server.close().then(() => "closed"), new Promise((resolve) => setTimeout(() => resolve("held"), SHUTDOWN_GRACE_MS / 2))])
      assert.strictEqual(outcome, "closed", "not held until the grace cuts the connection")
      const answer = await waiting
      assert.strictEqual(answer.status, 202)
      assert.strictEqual(answer.body.status, "RUNNING")
    })
  }, 30_000)

  it("answers bad input with problem+json and a stable type, writing nothing", async () => {
    await withServer(async (server) => {
      const cases: Array<[string, Promise<Awaited<ReturnType<typeof call>>>, number, string]> = [
        ["malformed JSON", call(server, "POST", "/v1/functions/order-fulfilment/executions", "{not json"), 400, "invalid-json"],
        ["wrong content type", call(server, "POST", "/v1/functions/order-fulfilment/executions", "x", { "content-type": "text/plain" }), 415, "unsupported-media-type"],
        ["oversized body", call(server, "POST", "/v1/functions/order-fulfilment/executions", { input: "x".repeat(2 * 1024 * 1024) }), 413, "payload-too-large"],
        ["unknown function", call(server, "POST", "/v1/functions/nope/executions", {}), 404, "function-not-found"],
        ["unknown execution", call(server, "GET", "/v1/executions/nope"), 404, "execution-not-found"],
        ["forged callback id", call(server, "POST", "/v1/callbacks/forged-id/succeed", {}), 404, "callback-not-found"]
      ]
      for (const [label, pending, status, kind] of cases) {
        const response = await pending
        assert.strictEqual(response.status, status, label)
        assert.include(response.type, "application/problem+json", label)
        assert.strictEqual(response.body.type, `https://reprise.dev/problems/${kind}`, label)
      }
      const list = await call(server, "GET", "/v1/executions")
      assert.deepStrictEqual(list.body.executions, [])
    })
  })

  it("answers headers over Node's limit and a request it cannot parse with problem+json, not a bare status", async () => {
    await withServer(async (server) => {
      const big = await fetch(server.url + "/v1/executions", { headers: { "x-padding": "x".repeat(20_000) } })
      assert.strictEqual(big.status, 431)
      assert.strictEqual(big.headers.get("content-type"), "application/problem+json")
      const problem = await big.json() as { type: string; instance: string }
      assert.strictEqual(problem.type, "https://reprise.dev/problems/headers-too-large")
      assert.strictEqual(problem.instance, "/v1/executions")
      // A request line that is not HTTP/1.1, over a raw socket.
      const { connect } = await import("node:net")
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(server.url).port), "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"))
        let text = ""
        socket.setTimeout(5_000, () => socket.destroy(new Error("no answer in 5 s")))
        socket.on("data", (chunk) => (text += chunk.toString()))
        socket.on("end", () => resolve(text))
        socket.on("error", reject)
      })
      assert.match(raw, /^HTTP\/1\.1 400 /)
      assert.include(raw, "content-type: application/problem+json")
      assert.include(raw, "https://reprise.dev/problems/invalid-request")
      // What @hono/node-server refuses before it makes a Request: no Host, a bad Host, a backslash, `*`.
      for (const request of ["GET /v1/functions HTTP/1.1\r\n", "GET /healthz HTTP/1.1\r\nHost: [::1\r\n", "GET /v1\\functions HTTP/1.1\r\nHost: 127.0.0.1\r\n", "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n"]) {
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = connect(Number(new URL(server.url).port), "127.0.0.1", () => socket.write(`${request}Connection: close\r\n\r\n`))
          let text = ""
          socket.setTimeout(5_000, () => socket.destroy(new Error("no answer in 5 s")))
          socket.on("data", (chunk) => (text += chunk.toString()))
          socket.on("end", () => resolve(text))
          socket.on("error", reject)
        })
        assert.match(answer, /^HTTP\/1\.1 400 /, request)
        assert.match(answer, /content-type: application\/problem\+json/i, request)
        assert.include(answer, "https://reprise.dev/problems/invalid-request", request)
        // Its path as `instance`, as every problem has (a target that is not a path: "/").
        const instance = (JSON.parse(answer.slice(answer.indexOf("{"))) as { instance?: unknown }).instance
        assert.strictEqual(instance, /^\S+ (\/\S*) /.exec(request)?.[1] ?? "/", request)
      }
      // What Node answers itself with a bare status, or (CONNECT) a cut connection; and two Host headers, which Node
      // passed on with the first (the Host check and a proxy could read different names): problem+json too.
      const cases: ReadonlyArray<readonly [string, RegExp, string]> = [
        ["POST /v1/functions/x/executions HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: later\r\nContent-Length: 2\r\n", /^HTTP\/1\.1 417 /, "expectation-failed"],
        ["CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1\r\n", /^HTTP\/1\.1 400 /, "invalid-request"],
        ["GET /v1/functions HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: elsewhere.example\r\n", /^HTTP\/1\.1 400 /, "invalid-request"]
      ]
      for (const [request, status, kind] of cases) {
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = connect(Number(new URL(server.url).port), "127.0.0.1", () => socket.write(`${request}Connection: close\r\n\r\n`))
          let text = ""
          socket.setTimeout(5_000, () => socket.destroy(new Error("no answer in 5 s")))
          socket.on("data", (chunk) => (text += chunk.toString()))
          socket.on("end", () => resolve(text))
          socket.on("close", () => resolve(text))
          socket.on("error", reject)
        })
        assert.match(answer, status, request)
        assert.match(answer, /content-type: application\/problem\+json/i, request)
        assert.include(answer, `https://reprise.dev/problems/${kind}`, request)
      }
      assert.strictEqual((await call(server, "GET", "/healthz")).status, 200, "the server goes on")
    })
  })

  it("requires the API key on management routes when one is set", async () => {
    await withServer(async (server) => {
      assert.isTrue(server.authenticated)
      assert.strictEqual((await call(server, "GET", "/v1/executions")).status, 401)
      assert.strictEqual((await call(server, "GET", "/v1/executions", undefined, { authorization: "Bearer wrong" })).status, 401)
      assert.strictEqual((await call(server, "GET", "/v1/executions", undefined, { authorization: "Bearer s3cret-key" })).status, 200)
    }, "s3cret-key")
  })
})
