/**
 * Pause and resume over HTTP on the Node server (SQLite, real time), and with `reprise pause|resume` (the real bin
 * in a child process). The must-show: pause during a running step, the step recorded once, nothing new starting,
 * a wait that fell due while paused firing right after the resume, a callback completed while paused kept; and
 * every wrong request answered with problem+json, changing nothing.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { durable } from "reprise"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { reprise } from "./cli/cli-fixture.ts"

const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}
const slowGate = gate()
const slowStarted = gate()
const ran: Array<string> = []
const callbacks: Array<string> = []

const work = durable("held", async (_: unknown, ctx) => {
  const approval = ctx.waitForCallback("approval", (id) => void callbacks.push(id))
  const cooldown = ctx.wait("cooldown", { seconds: 1 })
  await ctx.step("slow", async () => {
    ran.push("slow")
    slowStarted.open()
    await slowGate.promise
  })
  await ctx.step("next", () => void ran.push("next"))
  await cooldown
  return { approval: await approval }
})
const quick = durable("quick", async (_: unknown, ctx) => ctx.step("only", () => "done"))
const waiting = durable("waiting", async (_: unknown, ctx) => ctx.waitForCallback("never", () => undefined))

let dir: string
let server: Server

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-pause-"))
  server = await serve({ functions: [work, quick, waiting], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const call = async (method: string, path: string, body?: string) => {
  const response = await fetch(server.url + path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body })
  })
  const text = await response.text()
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: text === "" ? undefined : JSON.parse(text) }
}
const history = async (id: string) =>
  ((await call("GET", `/v1/executions/${id}/history`)).body.events as Array<{ _tag: string; name?: string; at: number }>)
const tags = (events: Array<{ _tag: string; name?: string }>) => events.map((e) => (e.name === undefined ? e._tag : `${e._tag}:${e.name}`))
const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}
const problem = (answer: { status: number; type: string; body: { type?: string } }, status: number, kind: string) => {
  assert.strictEqual(answer.status, status)
  assert.include(answer.type, "application/problem+json")
  assert.strictEqual(answer.body.type, `https://reprise.dev/problems/${kind}`)
}

describe("pause and resume on the Node server", () => {
  it("holds new work, keeps the running step's outcome and callbacks, and fires the due wait on resume", async () => {
    const started = await call("POST", "/v1/functions/held/executions", JSON.stringify({ executionName: "held-1" }))
    assert.strictEqual(started.status, 201)
    await slowStarted.promise
    const paused = await call("POST", "/v1/executions/held-1/pause", "{}")
    assert.deepStrictEqual([paused.status, paused.body.status], [200, "PAUSED"])
    slowGate.open()
    await until(async () => tags(await history("held-1")).includes("StepSucceeded:slow"), "the running step to be recorded")
    await until(async () => callbacks.length === 1, "the callback id")
    // Complete the callback while paused: accepted and kept.
    const completed = await call("POST", `/v1/callbacks/${encodeURIComponent(callbacks[0]!)}/succeed`, JSON.stringify({ result: "granted" }))
    assert.strictEqual(completed.status, 204)
    // The one-second wait falls due while paused, and does not fire; nothing new starts.
    const startedAt = (await history("held-1"))[0]!.at
    await until(async () => Date.now() > startedAt + 1500, "the wait's due time to pass")
    const whilePaused = tags(await history("held-1"))
    assert.notInclude(whilePaused, "WaitSucceeded:cooldown")
    assert.notInclude(whilePaused.join(" "), "next")
    assert.include(whilePaused, "CallbackSucceeded") // the callback inside waitForCallback("approval")
    assert.deepStrictEqual(ran, ["slow"])
    const view = (await call("GET", "/v1/executions/held-1")).body
    assert.strictEqual(view.status, "PAUSED")
    const listed = (await call("GET", "/v1/executions?status=PAUSED")).body.executions
    assert.deepStrictEqual(listed.map((e: { executionId: string; status: string }) => [e.executionId, e.status]), [["held-1", "PAUSED"]])

    // Resume with the CLI.
    const resumed = await reprise(["resume", "held-1", "--url", server.url])
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    assert.strictEqual(resumed.stdout.trim(), "resumed held-1 (RUNNING)")
    await until(async () => (await call("GET", "/v1/executions/held-1")).body.status === "SUCCEEDED", "the end")
    const end = (await call("GET", "/v1/executions/held-1")).body
    assert.deepStrictEqual(end.result, { approval: "granted" })
    assert.deepStrictEqual(ran, ["slow", "next"])
    const order = tags(await history("held-1"))
    assert.strictEqual(order.filter((t) => t === "StepSucceeded:slow").length, 1)
    const resumedAt = order.indexOf("ExecutionResumed")
    assert.isAbove(order.indexOf("WaitSucceeded:cooldown"), resumedAt)
    assert.isAbove(order.indexOf("StepSucceeded:next"), resumedAt)
    assert.isBelow(order.indexOf("CallbackSucceeded"), resumedAt)
  })

  it("answers wrong requests with problem+json and changes nothing; the CLI pauses and reports errors", async () => {
    problem(await call("POST", "/v1/executions/nobody/pause", "{}"), 404, "execution-not-found")
    problem(await call("POST", "/v1/executions/nobody/resume", "{}"), 404, "execution-not-found")

    const done = await call("POST", "/v1/functions/quick/executions?wait=5", JSON.stringify({ executionName: "quick-1" }))
    assert.strictEqual(done.body.status, "SUCCEEDED")
    const before = (await history("quick-1")).length
    problem(await call("POST", "/v1/executions/quick-1/pause", "{}"), 409, "execution-not-running")
    problem(await call("POST", "/v1/executions/quick-1/resume", "{}"), 409, "execution-not-paused")
    assert.strictEqual((await history("quick-1")).length, before)

    assert.strictEqual((await call("POST", "/v1/functions/waiting/executions", JSON.stringify({ executionName: "waiting-1" }))).status, 201)
    await until(async () => tags(await history("waiting-1")).some((t) => t.startsWith("CallbackStarted")), "the execution to wait")
    const length = (await history("waiting-1")).length
    problem(await call("POST", "/v1/executions/waiting-1/resume", "{}"), 409, "execution-not-paused")
    problem(await call("POST", "/v1/executions/waiting-1/pause", JSON.stringify({ force: true })), 400, "invalid-request")
    problem(await call("POST", "/v1/executions/waiting-1/pause", "{not json"), 400, "invalid-json")
    assert.strictEqual((await history("waiting-1")).length, length)
    assert.strictEqual((await call("GET", "/v1/executions/waiting-1")).body.status, "RUNNING")

    const pausedByCli = await reprise(["pause", "waiting-1", "--url", server.url, "--json"])
    assert.strictEqual(pausedByCli.code, 0, pausedByCli.stderr)
    assert.strictEqual(JSON.parse(pausedByCli.stdout).status, "PAUSED")
    const again = await reprise(["pause", "waiting-1", "--url", server.url])
    assert.strictEqual(again.code, 1)
    assert.include(again.stderr, "is PAUSED, not RUNNING")
    const missing = await reprise(["resume", "nobody", "--url", server.url])
    assert.strictEqual(missing.code, 5)
    const usage = await reprise(["pause", "--url", server.url])
    assert.strictEqual(usage.code, 2)
    // A paused execution can still be stopped.
    assert.strictEqual((await call("POST", "/v1/executions/waiting-1/stop", "{}")).body.status, "STOPPED")
  })
})
