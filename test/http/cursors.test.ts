/** Issue 19, finding 3: a cursor that no page gave is a 400, on the list and on the history (Node server on 127.0.0.1). */
import { assert, describe, it } from "@effect/vitest"
import { JSON_TYPE, rawRequest, withRealServer } from "./real-server.ts"

const BAD = ["garbage", "%00", "1700000000000.%00", "%00.x", "1700000000000.", ".abc", "1.a%20b", "-1.x", "1e3.x", "x".repeat(600)]

describe("page cursors (issue 19, finding 3)", () => {
  it("answers a garbage or null-byte cursor on the list and the history with 400, and follows real ones", async () => {
    await withRealServer(async (server) => {
      for (let i = 0; i < 3; i++) {
        const started = await rawRequest(server, "/v1/functions/echo/executions", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ executionName: `e-${i}`, input: i }) })
        assert.strictEqual(started.status, 201)
      }
      for (const cursor of BAD) {
        const list = await rawRequest(server, `/v1/executions?cursor=${cursor}`)
        assert.strictEqual(list.status, 400, `list cursor ${cursor}`)
        assert.strictEqual(list.json?.type, "https://reprise.dev/problems/invalid-request")
        assert.include(String(list.json?.detail), "cursor")
        const history = await rawRequest(server, `/v1/executions/e-0/history?cursor=${cursor}`)
        assert.strictEqual(history.status, 400, `history cursor ${cursor}`)
      }
      const seen: Array<string> = []
      let cursor: string | undefined
      for (let page = 0; page < 5; page++) {
        const res = await rawRequest(server, `/v1/executions?limit=1${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`)
        assert.strictEqual(res.status, 200)
        seen.push(...(res.json?.executions as Array<{ executionId: string }>).map((e) => e.executionId))
        cursor = res.json?.nextCursor as string | undefined
        if (cursor === undefined) break
      }
      assert.deepStrictEqual(seen.sort(), ["e-0", "e-1", "e-2"])
      const history = await rawRequest(server, "/v1/executions/e-0/history?limit=1")
      assert.strictEqual((await rawRequest(server, `/v1/executions/e-0/history?cursor=${String(history.json?.nextCursor)}`)).status, 200)
    })
  })
})
