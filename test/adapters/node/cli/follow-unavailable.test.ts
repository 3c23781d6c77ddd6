/**
 * Following a stream through a proxy whose server restarts: 502, 503 and 504 answers are retried as an unreachable
 * server is (they ended the follow at once, exit 1), until the stream answers.
 */
import { assert, describe, it } from "@effect/vitest"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { makeClient } from "../../../../adapters/node/cli/client.ts"
import { followStream } from "../../../../adapters/node/cli/follow-stream.ts"

describe("following a stream", () => {
  it("retries a 503 (then a 502 and a 504) and goes on once the stream answers", async () => {
    const answers = [503, 502, 504, 200, 204]
    const server = createServer((_request, response) => {
      const status = answers.shift() ?? 204
      if (status === 200) {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.end("id: 1\nevent: ExecutionSucceeded\ndata: {}\n\n")
        return
      }
      // 204 once the stream has told everything: the execution has ended.
      response.writeHead(status, { "content-type": "text/plain" }).end(status === 204 ? undefined : "not now")
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const { port } = server.address() as AddressInfo
      const client = makeClient({ url: `http://127.0.0.1:${port}` })
      const frames: Array<string | undefined> = []
      const outcome = await followStream(client, "/v1/executions/x/events", Date.now() + 10_000, (frame) => {
        frames.push(frame.event)
      })
      assert.strictEqual(answers.length, 0, "every unavailable answer was retried")
      assert.deepStrictEqual(frames, ["ExecutionSucceeded"])
      assert.strictEqual(outcome, "ended")
    } finally {
      server.close()
    }
  })
})
