/** `ctx.fetch` on the Node server (SQLite): the host sends it through `serve({ fetch })` and records it as a step. */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

describe("ctx.fetch on the Node server", () => {
  it("goes through the server's fetch transport, and the history keeps the exchange without the authorization header", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-fetch-"))
    const sent: Array<string> = []
    const fn = durable("quote", async (_: unknown, ctx) => {
      const response = await ctx.fetch("price", "https://prices.example.test/kettle", { headers: { authorization: "Bearer node-secret-33" } })
      return { status: response.status, price: JSON.parse(response.body).price }
    })
    const server = await serve({
      functions: [fn],
      dbPath: join(dir, "reprise.db"),
      port: 0,
      handleSignals: false,
      logging: { level: "none" },
      fetch: async (url, init) => {
        sent.push(`${init.method} ${url} ${new Headers(init.headers).get("authorization")}`)
        return Response.json({ price: 42 }, { status: 200 })
      }
    })
    try {
      const started = await fetch(`${server.url}/v1/functions/quote/executions?wait=10`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executionName: "quote-1" })
      })
      const view = (await started.json()) as { status: string; result: unknown }
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.deepStrictEqual(view.result, { status: 200, price: 42 })
      assert.deepStrictEqual(sent, ["GET https://prices.example.test/kettle Bearer node-secret-33"])
      const history = await (await fetch(`${server.url}/v1/executions/quote-1/history`)).text()
      assert.include(history, "Fetch")
      assert.include(history, "[redacted]")
      assert.notInclude(history, "node-secret-33")
    } finally {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
