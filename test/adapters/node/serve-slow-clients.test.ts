/**
 * `serve({ headersTimeoutMs, requestTimeoutMs })`: a client that sends its request slowly is cut off. The callback
 * routes need no key, and with Node's own limits (60 s for the headers, 300 s for the request, checked every 30 s)
 * anyone who reached the port could hold connections for minutes. The answer is not bounded: a `?wait` longer than
 * the request timeout still gets its execution.
 */
import { assert, describe, it } from "@effect/vitest"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type ServeOptions } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const slowStep = durable("slow-step", async (input: { ms: number }, ctx) =>
  ctx.step("sleep", () => new Promise<string>((resolve) => setTimeout(() => resolve("done"), input.ms))))

const withServer = async (options: Partial<ServeOptions>, body: (port: number, url: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-slow-"))
  const server = await serve({ functions: [slowStep], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" }, ...options })
  try {
    await body(server.port, server.url)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Far below Node's own 60 s, far above the 300 ms set here: the socket must have closed well before it. */
const BOUND_MS = 10_000

/** Connects, writes `sent`, then sends nothing more: what the server wrote back, and whether it closed within BOUND_MS. */
const stall = (port: number, sent: string) =>
  new Promise<{ closed: boolean; received: string }>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    let received = ""
    const bound = setTimeout(() => {
      socket.destroy()
      resolve({ closed: false, received })
    }, BOUND_MS)
    socket.on("data", (chunk) => (received += chunk.toString("latin1")))
    socket.on("error", (error: NodeJS.ErrnoException) => error.code === "ECONNRESET" ? undefined : reject(error))
    socket.on("close", () => {
      clearTimeout(bound)
      resolve({ closed: true, received })
    })
    socket.on("connect", () => socket.write(sent))
  })

describe("serve() slow clients", () => {
  it("closes a connection whose headers stop halfway, after headersTimeoutMs, with a 408 problem", async () => {
    await withServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, async (port) => {
      const { closed, received } = await stall(port, "POST /v1/callbacks/some-id/succeed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
      assert.isTrue(closed, "the stalled connection was still open")
      assert.match(received, /^HTTP\/1\.1 408 /)
      assert.include(received, "request-timeout")
    })
  })

  it("closes a connection whose body stops short of its Content-Length, after requestTimeoutMs", async () => {
    await withServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, async (port) => {
      const head = "POST /v1/callbacks/some-id/fail HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
      const { closed, received } = await stall(port, head + "{\"error\":")
      assert.isTrue(closed, "the connection with a stalled body was still open")
      assert.match(received, /^HTTP\/1\.1 408 /)
      assert.include(received, "request-timeout")
    })
  })

  it("answers 408 to a request whose body stalls on a kept-alive connection that was answered before", async () => {
    await withServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, async (port) => {
      const first = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      const head = "POST /v1/callbacks/some-id/fail HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
      const { closed, received } = await stall(port, first + head + "{\"error\":")
      assert.isTrue(closed, "the connection with a stalled body was still open")
      assert.match(received, /^HTTP\/1\.1 200 /, "the first request was answered")
      assert.match(received, /^HTTP\/1\.1 200 [^]*HTTP\/1\.1 408 [^]*request-timeout/, `the second was not told 408: ${received}`)
    })
  })

  it("still answers a ?wait start that takes longer than requestTimeoutMs: the timeout bounds the request, not its answer", async () => {
    await withServer({ headersTimeoutMs: 200, requestTimeoutMs: 300 }, async (_port, url) => {
      const response = await fetch(`${url}/v1/functions/slow-step/executions?wait=20`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: { ms: 1_500 } })
      })
      const view = (await response.json()) as { status: string; result: unknown }
      assert.strictEqual(response.status, 201)
      assert.deepStrictEqual({ status: view.status, result: view.result }, { status: "SUCCEEDED", result: "done" })
    })
  })

  it("refuses a bad timeout at start, naming it, before the database file is made", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-slow-"))
    const dbPath = join(dir, "reprise.db")
    try {
      const base = { functions: [slowStep], dbPath, port: 0, handleSignals: false, logging: { level: "none" as const } }
      const refusal = (options: Partial<ServeOptions>) => serve({ ...base, ...options }).then(() => assert.fail("served"), (error: Error) => error.message)
      assert.strictEqual(await refusal({ requestTimeoutMs: 0 }), "requestTimeoutMs must be a whole number of milliseconds from 1 to 3600000, not 0")
      assert.match(await refusal({ headersTimeoutMs: 40_000 }), /^the headers timeout \(40000 ms\) must not be longer than the request timeout \(30000 ms\)/)
      assert.isFalse(existsSync(dbPath))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
