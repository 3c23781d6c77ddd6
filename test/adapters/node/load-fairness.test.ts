/**
 * The Node server under load (issue 19, items 4 and 7), on a real SQLite file over HTTP: health checks on fresh
 * connections are answered while executions run (the actors yield to the event loop), and starts past the
 * admission limit are refused with 503 and Retry-After, creating nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type ServeOptions, type Server } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const steps = durable("steps", async (n: number, ctx) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
})
/** Holds its start request (?wait) open until the test completes its callback. */
const held = durable("held", async (_: unknown, ctx) => await ctx.waitForCallback("go", async () => undefined))

const withServer = async (options: Partial<ServeOptions>, body: (server: Server) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-load-"))
  const server = await serve({ functions: [steps, held], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "warn" }, ...options })
  try {
    await body(server)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 })
/** One request; `fresh` opens a new connection for it (as a load balancer's health check does). */
const call = (server: Server, method: string, path: string, options: { body?: unknown; fresh?: boolean } = {}) =>
  new Promise<{ status: number; headers: Record<string, string | Array<string> | undefined>; body: any }>((resolve, reject) => {
    const text = options.body === undefined ? undefined : JSON.stringify(options.body)
    const headers: Record<string, string | number> = text === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(text) }
    const req = request(server.url + path, { method, headers, agent: options.fresh === true ? false : agent }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => {
        const raw = Buffer.concat(chunks).toString()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw === "" ? undefined : JSON.parse(raw) })
      })
    })
    req.on("error", reject)
    req.end(text)
  })

const statusOf = (server: Server, id: string) => Effect.runSync(server.store.summary(id))?.status

describe("the Node server under load", () => {
  it("answers a health check on a fresh connection while a long execution and many starts are in flight", async () => {
    await withServer({}, async (server) => {
      const long = call(server, "POST", "/v1/functions/steps/executions?wait=60", { body: { input: 5_000, executionName: "long" } })
      const many = Array.from({ length: 50 }, (_, i) => call(server, "POST", "/v1/functions/steps/executions?wait=60", { body: { input: 50, executionName: `short-${i}` } }))
      // The long execution's first write is on the file: it is running.
      for (let i = 0; i < 2000 && statusOf(server, "long") === undefined; i++) await new Promise((resolve) => setImmediate(resolve))
      assert.strictEqual(statusOf(server, "long"), "RUNNING")
      const health = await call(server, "GET", "/healthz", { fresh: true })
      assert.strictEqual(health.status, 200)
      // Answered while the work was still going on, not after it.
      assert.strictEqual(statusOf(server, "long"), "RUNNING", "the health check waited for the long execution to end")
      assert.strictEqual((await long).body.status, "SUCCEEDED")
      for (const start of await Promise.all(many)) assert.strictEqual(start.body.status, "SUCCEEDED")
    })
  })

  it("past the admission limit a start gets 503 with Retry-After and creates nothing; the queue is served in order", async () => {
    await withServer({ admission: { concurrent: 1, queued: 1, retryAfterSeconds: 2 } }, async (server) => {
      const first = call(server, "POST", "/v1/functions/held/executions?wait=60", { body: { executionName: "first" } })
      for (let i = 0; i < 2000 && statusOf(server, "first") === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 1))
      const queued = call(server, "POST", "/v1/functions/held/executions", { body: { executionName: "queued" } })
      // The queued start waits for the slot of the first, which holds it until its execution ends (?wait).
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
      assert.strictEqual(statusOf(server, "queued"), undefined)
      const refused = await call(server, "POST", "/v1/functions/held/executions", { body: { executionName: "refused" } })
      assert.strictEqual(refused.status, 503)
      assert.strictEqual(refused.headers["retry-after"], "2")
      assert.match(String(refused.headers["content-type"]), /application\/problem\+json/)
      assert.strictEqual(refused.body.status, 503)
      assert.strictEqual(statusOf(server, "refused"), undefined, "a refused start creates nothing")
      // Health and other routes are not held by the start queue.
      assert.strictEqual((await call(server, "GET", "/healthz", { fresh: true })).status, 200)
      const view = await call(server, "GET", "/v1/executions/first?operations=true")
      const callbackId = view.body.operations.find((op: { type: string }) => op.type === "CALLBACK").callbackId as string
      assert.strictEqual((await call(server, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { body: { result: "\"go\"" } })).status, 204)
      assert.strictEqual((await first).body.status, "SUCCEEDED")
      assert.strictEqual((await queued).status, 201, "the queued start ran once the slot was free")
      assert.strictEqual(statusOf(server, "queued"), "RUNNING")
    })
  })

  it("a ?wait start whose client has gone gives up its place at once: it does not hold it for the rest of the wait", async () => {
    await withServer({ admission: { concurrent: 1, queued: 0 } }, async (server) => {
      // The client asks for up to 60 s and leaves once its execution exists; the execution stays (only the wait ends).
      const gone = request(server.url + "/v1/functions/held/executions?wait=60", { method: "POST", headers: { "content-type": "application/json" }, agent: false })
      gone.on("error", () => undefined)
      gone.end(JSON.stringify({ executionName: "gone" }))
      for (let i = 0; i < 2000 && statusOf(server, "gone") === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 1))
      assert.strictEqual(statusOf(server, "gone"), "RUNNING")
      gone.destroy()
      // Bounded: before the fix the place stayed taken for 60 s, so every try here was refused (503).
      let next = await call(server, "POST", "/v1/functions/steps/executions", { body: { input: 1, executionName: "next" } })
      for (let i = 0; i < 100 && next.status === 503; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        next = await call(server, "POST", "/v1/functions/steps/executions", { body: { input: 1, executionName: "next" } })
      }
      assert.strictEqual(next.status, 201, "the abandoned ?wait start still held the only place")
      assert.strictEqual(statusOf(server, "gone"), "RUNNING", "the execution itself goes on")
    })
  })
})
