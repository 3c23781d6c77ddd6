/**
 * A step body's promise that rejects with nothing to handle it ended the Deno server's process, as it ended Node's,
 * and each restart resumed the execution that did it. The server logs it and stays up.
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { assert, Deno, tempDir } from "./deno-test-api.ts"
import { call } from "./server-fixture.ts"

const careless = durable("careless", async (_: unknown, ctx) =>
  ctx.step("notify", async () => {
    void Promise.reject(new TypeError("the notification was never awaited")) // a floating fetch that failed, say
    await new Promise((resolve) => setTimeout(resolve, 50))
    return "sent"
  }))

Deno.test({
  name: "a promise rejected with nothing to handle it is a line of the log at error level; the server stays up and the execution ends",
  fn: async () => {
    const temp = await tempDir("reprise-deno-rejection-")
    const lines: Array<string> = []
    const server = await serve({
      functions: [careless],
      dbPath: `${temp.dir}/reprise.db`,
      port: 0,
      logging: { format: "json", level: "error", write: (line) => void lines.push(line) }
    })
    try {
      const started = await call(server.url, "POST", "/v1/functions/careless/executions?wait=20", {})
      assert.equal(started.body.status, "SUCCEEDED")
      for (let i = 0; i < 200 && !lines.some((line) => line.includes("never awaited")); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      const line = JSON.parse(lines.find((text) => text.includes("never awaited")) ?? "{}")
      assert.equal(line.message, "a promise was rejected and nothing handled it: the notification was never awaited")
      assert.equal(line.errorType, "TypeError")
      assert.equal((await fetch(`${server.url}/healthz`).then(async (r) => (await r.body?.cancel(), r.status))), 200)
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})
