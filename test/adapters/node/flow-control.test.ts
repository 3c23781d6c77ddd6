/**
 * Flow control over HTTP on the Node server (SQLite, real time), and `reprise start|get|list` (the real bin): a queued
 * execution shows QUEUED and its position, a start's priority orders the queue, a stop of a QUEUED execution ends
 * it without running anything, a refusing rate limit answers 429 with Retry-After, and a bad priority is a 400.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { durable } from "reprise"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { reprise } from "./cli/cli-fixture.ts"

let release!: () => void
const blocker = new Promise<void>((resolve) => (release = resolve))
const ran: Array<string> = []

const single = durable("single-file", async (input: string, ctx) => {
  await ctx.step("work", async () => {
    ran.push(input)
    if (input === "blocker") await blocker
  })
  return input
}, { concurrency: 1 })
const refusing = durable("refusing", async () => "ok", { rateLimit: { limit: 1, period: { minutes: 1 }, whenLimited: "refuse" } })

let dir: string
let server: Server

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-flow-"))
  server = await serve({ functions: [single, refusing], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
})
afterAll(async () => {
  release()
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(server.url + path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) }
}
const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("flow control on the Node server", () => {
  it("queues behind the limit, orders by priority, shows QUEUED and the position, and stops a queued one", async () => {
    assert.strictEqual((await call("POST", "/v1/functions/single-file/executions", { input: "blocker", executionName: "f-blocker" })).status, 201)
    await until(async () => ran.includes("blocker"), "the blocker to run")
    const low = await call("POST", "/v1/functions/single-file/executions", { input: "low", executionName: "f-low" })
    assert.strictEqual(low.status, 201)
    assert.strictEqual(low.body.status, "QUEUED")
    assert.strictEqual(low.body.queuePosition, 1)
    const high = await reprise(["start", "single-file", "--input", "\"high\"", "--name", "f-high", "--priority", "10", "--json", "--url", server.url])
    assert.strictEqual(high.code, 0, high.stderr)
    assert.strictEqual(JSON.parse(high.stdout).queuePosition, 1) // ahead of the earlier start of lower priority
    assert.strictEqual((await call("POST", "/v1/functions/single-file/executions", { input: "gone", executionName: "f-gone" })).body.queuePosition, 3)

    const listed = await call("GET", "/v1/executions?function=single-file&status=QUEUED")
    assert.sameDeepMembers(listed.body.executions.map((e: { executionId: string; queuePosition: number }) => [e.executionId, e.queuePosition]), [
      ["f-high", 1],
      ["f-low", 2],
      ["f-gone", 3]
    ])
    const get = await reprise(["get", "f-low", "--url", server.url])
    assert.strictEqual(get.code, 0, get.stderr)
    assert.match(get.stdout, /status\s+QUEUED \(#2 in its function's queue\)/)
    const list = await reprise(["list", "--status", "QUEUED", "--url", server.url])
    assert.strictEqual(list.code, 0, list.stderr)
    assert.match(list.stdout, /f-gone\s+single-file\s+QUEUED #3/)

    const stopped = await call("POST", "/v1/executions/f-gone/stop", {})
    assert.strictEqual(stopped.status, 200)
    assert.strictEqual(stopped.body.status, "STOPPED")
    const paused = await call("POST", "/v1/executions/f-low/pause", {})
    assert.strictEqual(paused.status, 409)

    release()
    await until(async () => (await call("GET", "/v1/executions/f-low")).body.status === "SUCCEEDED", "the queue to drain")
    assert.deepStrictEqual(ran, ["blocker", "high", "low"])
    const history = await call("GET", "/v1/executions/f-gone/history")
    assert.deepStrictEqual(history.body.events.map((e: { _tag: string }) => e._tag), ["ExecutionStarted", "ExecutionStopped"])
  })

  it("a refusing rate limit answers 429 with Retry-After and writes nothing; a bad priority is a 400", async () => {
    assert.strictEqual((await call("POST", "/v1/functions/refusing/executions", { executionName: "r-1" })).status, 201)
    const refused = await call("POST", "/v1/functions/refusing/executions", { executionName: "r-2" })
    assert.strictEqual(refused.status, 429)
    assert.strictEqual(refused.body.type, "https://reprise.dev/problems/too-many-requests")
    const retryAfter = Number(refused.headers.get("retry-after"))
    assert.isAbove(retryAfter, 0)
    assert.isAtMost(retryAfter, 60)
    assert.strictEqual((await call("GET", "/v1/executions/r-2")).status, 404)
    const bad = await call("POST", "/v1/functions/single-file/executions", { executionName: "p-bad", priority: 2.5 })
    assert.strictEqual(bad.status, 400)
    assert.strictEqual((await call("GET", "/v1/executions/p-bad")).status, 404)
  })
})
