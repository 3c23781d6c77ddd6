/**
 * AWS-SDK handlers on reprise/postgres (the embedded PostgreSQL, HTTP on 127.0.0.1): the tour of wait, child
 * context, map, invoke and callback, with the server closed while the execution waits on its callback and served
 * again on the same database, where the callback (signed by the first host) completes it.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { servePostgres, type PostgresServer as Server } from "reprise/postgres"
import { type PostgresServer, startPostgres } from "../adapters/postgres/postgres-server.ts"
import { counters, double, tour } from "./fixtures/aws-handlers.ts"

let postgres: PostgresServer

beforeAll(async () => {
  postgres = await startPostgres()
}, 90_000)

afterAll(async () => {
  await postgres?.stop()
}, 40_000)

const call = async (server: Server, method: string, path: string, body?: unknown) => {
  const response = await fetch(server.url + path, {
    method,
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const until = async <A>(probe: () => Promise<A | undefined>, what: string, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe("awsHandler on PostgreSQL", () => {
  it("waits, invokes, survives a restart while it waits on a callback, and finishes on the callback", async () => {
    counters.clear()
    const options = { functions: [tour, double], url: postgres.url, schema: "aws", port: 0, handleSignals: false, evictEveryMs: 200 }
    let server = await servePostgres(options)
    try {
      const started = await call(server, "POST", "/v1/functions/aws-tour/executions", { input: { n: 2, pause: 1 }, executionName: "pg-tour" })
      assert.strictEqual(started.status, 201, JSON.stringify(started.body))
      const callbackId = await until(async () => {
        const view = (await call(server, "GET", "/v1/executions/pg-tour")).body
        return view.operations.find((op: any) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId as string | undefined
      }, "the callback")
      await server.close()
      server = await servePostgres(options)
      const sent = await call(server, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: "pg-ok" })
      assert.strictEqual(sent.status, 204, JSON.stringify(sent.body))
      const done = await until(async () => {
        const view = (await call(server, "GET", "/v1/executions/pg-tour")).body
        return view.status === "RUNNING" ? undefined : view
      }, "the end")
      assert.strictEqual(done.status, "SUCCEEDED", JSON.stringify(done.error))
      assert.deepStrictEqual(done.result, { base: 2, child: 30, squares: [1, 4, 9], doubled: 4, approval: "pg-ok", after: "done" })
      assert.strictEqual(counters.get("base"), 1, "the first step did not run again after the restart")
      assert.strictEqual(counters.get("submit"), 1)
      assert.strictEqual((await call(server, "GET", `/v1/executions/${encodeURIComponent("pg-tour:invoke:5")}`)).body.result, 4)
    } finally {
      await server.close()
    }
  }, 90_000)
})
