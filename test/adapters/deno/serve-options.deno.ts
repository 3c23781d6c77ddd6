/**
 * The host's options that reprise/node's serve takes are served by reprise/deno's too: the payload and body limits,
 * the development aids, the log. Before, Deno's serve dropped them (a JavaScript caller's were silently ignored: the
 * 256 KiB limit could not be changed, and `devTools: true` left "fire" refused with 403).
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { assert, Deno, tempDir, until } from "./deno-test-api.ts"
import { call } from "./server-fixture.ts"

const dozing = durable("dozing", async (input: string, ctx) => {
  await ctx.wait("doze", { hours: 1 })
  return input
})

for (const store of ["kv", "sqlite"] as const) {
  Deno.test({
    name: `serve on ${store === "kv" ? "Deno KV" : "a SQLite file"} takes maxPayloadBytes, maxBodyBytes, devTools and logging`,
    fn: async () => {
      const temp = await tempDir("reprise-deno-options-")
      const lines: Array<string> = []
      const where = store === "kv" ? { kvPath: `${temp.dir}/reprise.kv` } : { dbPath: `${temp.dir}/reprise.db` }
      const server = await serve({
        functions: [dozing],
        ...where,
        port: 0,
        handleSignals: false,
        maxPayloadBytes: 1000,
        maxBodyBytes: 4000,
        devTools: true,
        // A level of its own: under vitest, REPRISE_LOG_LEVEL is none (the option comes first).
        logging: { format: "json", level: "info", write: (line) => void lines.push(line) }
      })
      try {
        const tooBig = await call(server.url, "POST", "/v1/functions/dozing/executions", { input: "x".repeat(2000) })
        assert.equal(tooBig.status, 413)
        assert.equal(tooBig.body.detail, "The input is over the 1000-byte payload limit")
        const overBody = await call(server.url, "POST", "/v1/functions/dozing/executions", { input: "x".repeat(5000) })
        assert.equal(overBody.status, 413, "a body over maxBodyBytes")

        const started = await call(server.url, "POST", "/v1/functions/dozing/executions", { input: "ok", executionName: "d-1" })
        assert.equal(started.status, 201)
        await until(async () => (await call(server.url, "GET", "/v1/executions/d-1")).body.operationCounts.total === 1, 10_000, "the wait to begin")
        const fired = await call(server.url, "POST", "/v1/executions/d-1/timers/1/fire", {})
        assert.equal(fired.status, 200, `fire with devTools: ${JSON.stringify(fired.body)}`)
        await until(async () => (await call(server.url, "GET", "/v1/executions/d-1")).body.status === "SUCCEEDED", 10_000, "the fired wait's end")

        assert.ok(lines.some((line) => JSON.parse(line).executionId === "d-1" && JSON.parse(line).message === "started"), `the log went to logging.write: ${lines.join("\n")}`)
      } finally {
        await server.close()
        await temp.remove()
      }
    }
  })
}
