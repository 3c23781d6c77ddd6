/**
 * The host's options that reprise/node's serve takes are served by reprise/deno's too: the payload and body limits,
 * the development aids, the log. Before, Deno's serve dropped them (a JavaScript caller's were silently ignored: the
 * 256 KiB limit could not be changed, and `devTools: true` left "fire" refused with 403).
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { assert, Deno, tempDir, until } from "./deno-test-api.ts"
import { call, napping } from "./server-fixture.ts"

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

Deno.test({
  name: "$REPRISE_REQUEST_TIMEOUT_MS sets the body deadline, as on Node: a body that stalls is 408 after it",
  fn: async () => {
    const temp = await tempDir("reprise-deno-request-timeout-")
    Deno.env.set("REPRISE_REQUEST_TIMEOUT_MS", "300")
    try {
      const server = await serve({ functions: [napping], dbPath: `${temp.dir}/reprise.db`, port: 0, handleSignals: false })
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port })
        const head = `POST /v1/callbacks/some-id/fail HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
          "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"error\":"
        await conn.write(new TextEncoder().encode(head))
        let answer = ""
        const buffer = new Uint8Array(4096)
        // Far past 300 ms and far below the default: a server that did not read the variable has not answered by then.
        let cut = false
        const bound = setTimeout(() => (cut = true, conn.close()), 10_000)
        try {
          for (let i = 0; i < 100 && !answer.includes("request-timeout"); i++) {
            const read = await conn.read(buffer)
            if (read === null) break
            answer += new TextDecoder().decode(buffer.subarray(0, read))
          }
        } catch (error) {
          if (!cut) throw error
        } finally {
          clearTimeout(bound)
        }
        if (!cut) conn.close()
        assert.match(answer, /^HTTP\/1\.1 408/)
        assert.match(answer, /request-timeout/)
      } finally {
        await server.close()
      }
    } finally {
      Deno.env.delete("REPRISE_REQUEST_TIMEOUT_MS")
      await temp.remove()
    }
  }
})

Deno.test({
  name: "a bad $REPRISE_REQUEST_TIMEOUT_MS is refused at start, naming it, before the file is opened (as on Node)",
  fn: async () => {
    const temp = await tempDir("reprise-deno-request-timeout-env-")
    Deno.env.set("REPRISE_REQUEST_TIMEOUT_MS", "30s")
    try {
      const refusal = await serve({ functions: [napping], dbPath: `${temp.dir}/reprise.db`, port: 0, handleSignals: false }).then(() => "served", String)
      assert.match(refusal, /REPRISE_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 1 to 3600000, not "30s"/)
      assert.equal(await Deno.stat(`${temp.dir}/reprise.db`).then(() => "created", () => "absent"), "absent")
    } finally {
      Deno.env.delete("REPRISE_REQUEST_TIMEOUT_MS")
      await temp.remove()
    }
  }
})
