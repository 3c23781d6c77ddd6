/**
 * Issue 19, finding 3: a body over the limit is refused (413) without breaking the client's pooled keep-alive
 * connection: the next request on the same Agent is answered. Node server on 127.0.0.1, node:http with keepAlive.
 */
import { assert, describe, it } from "@effect/vitest"
import http from "node:http"
import { DRAIN_LIMIT_BYTES } from "../../../adapters/node/unread-body.ts"
import { JSON_TYPE, rawRequest, withRealServer } from "../../http/real-server.ts"

const MIB = 1024 * 1024

describe("reprise/node: bodies the app did not read", () => {
  it("answers a 2 MiB body to a console action (and to the API) with 413 and keeps the connection for the next request", async () => {
    await withRealServer(async (server) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const body = new Uint8Array(2 * MIB).fill(0x20)
        for (const path of ["/console/api/v1/executions/x/stop", "/v1/functions/echo/executions"]) {
          const refused = await rawRequest(server, path, { method: "POST", headers: { ...JSON_TYPE, "x-reprise-console": "1" }, body, agent })
          assert.strictEqual(refused.status, 413, path)
          assert.strictEqual(refused.json?.type, "https://reprise.dev/problems/payload-too-large")
          assert.notStrictEqual(refused.headers.connection, "close")
          const next = await rawRequest(server, "/healthz", { agent })
          assert.strictEqual(next.status, 200, `the request after ${path}`)
          assert.strictEqual(next.socket, refused.socket, "the same keep-alive connection")
        }
        const small = await rawRequest(server, "/v1/functions/echo/executions", { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(64 * 1024), agent })
        assert.strictEqual(small.status, 415)
        const after = await rawRequest(server, "/v1/functions/echo/executions", { method: "POST", headers: JSON_TYPE, body: "{}", agent })
        assert.strictEqual(after.status, 201)
        assert.strictEqual(after.socket, small.socket)
      } finally {
        agent.destroy()
      }
    })
  })

  it("closes the connection, announced, after a body too long to drain; the Agent's next request gets a new one", async () => {
    await withRealServer(async (server) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      try {
        const body = new Uint8Array(DRAIN_LIMIT_BYTES + MIB).fill(0x20)
        const refused = await rawRequest(server, "/v1/functions/echo/executions", { method: "POST", headers: JSON_TYPE, body, agent })
        assert.strictEqual(refused.status, 413)
        assert.strictEqual(refused.headers.connection, "close")
        const next = await rawRequest(server, "/healthz", { agent })
        assert.strictEqual(next.status, 200)
      } finally {
        agent.destroy()
      }
    })
  })
})
