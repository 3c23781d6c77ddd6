/**
 * A HEAD of an event stream route answers its headers and leaves nothing running: Hono serves a HEAD with the GET
 * route and drops the body unread, so each HEAD's stream watched its execution (with its keep-alive and its
 * maxSeconds timers) for up to 600 s.
 */
import { assert, describe, it } from "@effect/vitest"
import { Hono } from "hono"
import { cancelHeadBodies } from "../../src/http/head-requests.ts"
import { JSON_TYPE, rawRequest, withRealServer } from "./real-server.ts"

/** The process's pending timers: each open stream keeps two (its keep-alive and its maxSeconds). */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length

describe("HEAD requests", () => {
  it("cancel the body their GET route made", async () => {
    let cancelled = 0
    const app = new Hono()
    app.use(cancelHeadBodies())
    app.get("/stream", () => new Response(new ReadableStream({ cancel: () => void cancelled++ })))
    const head = await app.request("/stream", { method: "HEAD" })
    assert.strictEqual(head.status, 200)
    assert.strictEqual(cancelled, 1)
    await (await app.request("/stream")).body?.cancel() // a GET's body is the client's to read
    assert.strictEqual(cancelled, 2)
  })

  it("of the event stream routes leave no stream running on the Node server", async () => {
    await withRealServer(async (server) => {
      // An approval waits for its callback: RUNNING, so its streams would stay open.
      const started = await rawRequest(server, "/v1/functions/approval/executions", { method: "POST", headers: JSON_TYPE, body: "{\"input\":{\"amount\":1}}" })
      const id = String(started.json?.executionId)
      const paths = [`/v1/executions/${id}/events`, `/v1/executions/${id}/emissions`, "/v1/events"]
      for (const path of paths) assert.strictEqual((await rawRequest(server, path, { method: "HEAD" })).status, 200, path)
      const before = timers()
      for (let i = 0; i < 10; i++) for (const path of paths) await rawRequest(server, path, { method: "HEAD" })
      let after = timers()
      for (let i = 0; i < 50 && after > before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        after = timers()
      }
      // 30 streams left running would be 60 more timers; a few may come and go with the server's own work.
      assert.isBelow(after - before, 10, `${after - before} more timers after 30 HEAD requests`)
      assert.strictEqual((await rawRequest(server, `/v1/executions/${id}`)).json?.status, "RUNNING")
    })
  })
})
