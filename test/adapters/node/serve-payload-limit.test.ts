/**
 * `serve({ maxPayloadBytes, maxBodyBytes })`: the largest payload an execution stores and the largest request body,
 * as `createWorker` takes them. A handler written for AWS may return more than 256 KiB (Lambda returns up to 6 MB).
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type ServeOptions } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const echo = durable("echo", async (input: { text: string }, ctx) => {
  const doubled = await ctx.step("double", async () => input.text + input.text)
  return doubled.length
})
const big = durable("big", async (input: { kib: number }) => "x".repeat(input.kib * 1024))

const withServer = async (options: Partial<ServeOptions>, body: (url: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-payload-"))
  const server = await serve({ functions: [echo, big], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" }, ...options })
  try {
    await body(server.url)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const start = async (url: string, fn: string, input: unknown) => {
  const response = await fetch(`${url}/v1/functions/${fn}/executions?wait=30`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input })
  })
  // An execution view or a problem+json answer.
  const body = (await response.json()) as { status?: string; result?: any; error?: { errorType: string }; detail?: string }
  return { status: response.status, type: response.headers.get("content-type"), body }
}

describe("serve() payload limits", () => {
  it("by default holds payloads to 256 KiB: a larger input is 413, a larger result fails the execution", async () => {
    await withServer({}, async (url) => {
      const refused = await start(url, "echo", { text: "a".repeat(300 * 1024) })
      assert.strictEqual(refused.status, 413)
      assert.strictEqual(refused.type, "application/problem+json")
      const failed = await start(url, "big", { kib: 300 })
      assert.strictEqual(failed.body.status, "FAILED")
      assert.strictEqual(failed.body.error?.errorType, "PayloadTooLargeError")
    })
  })

  it("with maxPayloadBytes raised takes and returns larger payloads, and the body limit follows it", async () => {
    await withServer({ maxPayloadBytes: 3 * 1024 * 1024 }, async (url) => {
      // 1.1 MiB of input, over the default 1 MiB body limit (which follows to twice maxPayloadBytes); its step's
      // result is 2.2 MiB.
      const doubled = await start(url, "echo", { text: "a".repeat(1100 * 1024) })
      assert.strictEqual(doubled.status, 201, JSON.stringify(doubled.body).slice(0, 300))
      assert.strictEqual(doubled.body.status, "SUCCEEDED")
      assert.strictEqual(doubled.body.result, 2200 * 1024)
      const large = await start(url, "big", { kib: 2500 })
      assert.strictEqual(large.body.status, "SUCCEEDED")
      assert.strictEqual(large.body.result.length, 2500 * 1024)
    })
  })

  it("an explicit maxBodyBytes still bounds the request body", async () => {
    await withServer({ maxPayloadBytes: 2 * 1024 * 1024, maxBodyBytes: 100 * 1024 }, async (url) => {
      const refused = await start(url, "echo", { text: "a".repeat(200 * 1024) })
      assert.strictEqual(refused.status, 413)
      assert.match(refused.body.detail ?? "", /102400/)
    })
  })

  it("takes a payload limit as large as a number can say (the body limit it implies stays a safe integer)", async () => {
    await withServer({ maxPayloadBytes: Number.MAX_SAFE_INTEGER }, async (url) => {
      const doubled = await start(url, "echo", { text: "a".repeat(1100 * 1024) })
      assert.strictEqual(doubled.body.status, "SUCCEEDED")
    })
  })

  it("refuses a limit that is not a positive integer before it serves anything, and frees the port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-payload-"))
    try {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        const error = await serve({ functions: [echo], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, maxPayloadBytes: bad }).then(
          () => undefined,
          (e: unknown) => e
        )
        assert.instanceOf(error, TypeError)
        assert.match(String(error), /maxPayloadBytes must be a positive integer/)
      }
      // The file is not held by a server that refused to start.
      const server = await serve({ functions: [echo], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" } })
      await server.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
