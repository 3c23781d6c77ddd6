/**
 * GET /v1/events: every execution's lifecycle changes, filtered by function and status. On a real Node server
 * (serve() on 127.0.0.1, a SQLite file) from the engine's own feed; on an ExecutionClient without an engine (as the
 * Worker's and Lambda's are) from the listing, polled.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { durable, retryPresets } from "../../src/index.ts"
import { Engine, ExecutionClient } from "../../src/engine/index.ts"
import { createApp } from "../../src/http/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { openSse, type SseFrame, type SseStream } from "./sse-client.ts"

const ok = durable("ok", async (_: unknown, ctx) => ctx.step("one", async () => 1))
const bad = durable("bad", async (_: unknown, ctx) =>
  ctx.step("boom", async () => {
    throw new Error("boom")
  }, { retryStrategy: retryPresets.noRetry }))
const held = durable("held", async (_: unknown, ctx) => {
  await ctx.wait({ seconds: 2 })
  return "done"
})

/** One at a time (flow control): a second start waits QUEUED until the first's gated step lets it go. */
const gatedSingle = (name: string) => {
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  const fn = durable(name, async (_: unknown, ctx) => ctx.step("gated", async () => {
    await gate
    return 1
  }), { concurrency: 1 })
  return { fn, open: () => open() }
}
const { fn: single, open: openGate } = gatedSingle("single")
const { fn: singleToo, open: openSecondGate } = gatedSingle("single-too")
const { fn: singleThree, open: openThirdGate } = gatedSingle("single-three")

interface Change {
  readonly executionId: string
  readonly functionName: string
  readonly status: string
  readonly event: string
}
const changes = (frames: ReadonlyArray<SseFrame>): Array<Change> => frames.map((frame) => {
  assert.strictEqual(frame.event, "lifecycle")
  return JSON.parse(frame.data) as Change
})
/** Reads frames until `count` came (bounded by the stream's own maxSeconds). */
const take = async (stream: SseStream, count: number): Promise<Array<SseFrame>> => {
  const frames: Array<SseFrame> = []
  while (frames.length < count) {
    const frame = await stream.next()
    if (frame === undefined) break
    frames.push(frame)
  }
  return frames
}

let dir: string
let server: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-lifecycle-"))
  server = await serve({ functions: [ok, bad, held, single], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" } })
})
afterAll(async () => {
  openGate()
  openSecondGate()
  openThirdGate()
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const start = async (base: string, fn: string, name: string) => {
  const response = await fetch(`${base}/v1/functions/${fn}/executions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ executionName: name })
  })
  assert.strictEqual(response.status, 201)
}

describe("GET /v1/events on Node", () => {
  it("streams each execution's changes as they happen, filtered by function and by status", async () => {
    const all = await openSse(`${server.url}/v1/events?maxSeconds=20`)
    const endings = await openSse(`${server.url}/v1/events?status=SUCCEEDED,FAILED&maxSeconds=20`)
    const onlyHeld = await openSse(`${server.url}/v1/events?function=held&maxSeconds=20`)
    for (const stream of [all, endings, onlyHeld]) assert.strictEqual(stream.response.headers.get("content-type"), "text/event-stream")
    await start(server.url, "ok", "ok-1")
    await start(server.url, "bad", "bad-1")
    await start(server.url, "held", "held-1")

    const seen = changes(await take(all, 6))
    const of = (id: string) => seen.filter((c) => c.executionId === id).map((c) => `${c.event} ${c.status}`)
    assert.deepStrictEqual(of("ok-1"), ["ExecutionStarted RUNNING", "ExecutionSucceeded SUCCEEDED"])
    assert.deepStrictEqual(of("bad-1"), ["ExecutionStarted RUNNING", "ExecutionFailed FAILED"])
    assert.deepStrictEqual(of("held-1"), ["ExecutionStarted RUNNING", "ExecutionSucceeded SUCCEEDED"])
    assert.strictEqual(seen.find((c) => c.executionId === "bad-1")?.functionName, "bad")

    const ended = changes(await take(endings, 3))
    assert.deepStrictEqual(ended.map((c) => `${c.executionId} ${c.status}`).sort(), ["bad-1 FAILED", "held-1 SUCCEEDED", "ok-1 SUCCEEDED"])
    const held = changes(await take(onlyHeld, 2))
    assert.deepStrictEqual(held.map((c) => `${c.executionId} ${c.status}`), ["held-1 RUNNING", "held-1 SUCCEEDED"])
    for (const stream of [all, endings, onlyHeld]) await stream.close()
  }, 30_000)

  it("a queued start is QUEUED, and its leaving the queue is a change into RUNNING", async () => {
    const stream = await openSse(`${server.url}/v1/events?function=single&maxSeconds=20`)
    await start(server.url, "single", "single-1")
    await start(server.url, "single", "single-2")
    const first = changes(await take(stream, 2))
    assert.deepStrictEqual(first.map((c) => `${c.executionId} ${c.event} ${c.status}`), ["single-1 ExecutionStarted RUNNING", "single-2 ExecutionStarted QUEUED"])
    openGate()
    const rest = changes(await take(stream, 3))
    assert.deepStrictEqual(rest.map((c) => `${c.executionId} ${c.event} ${c.status}`), [
      "single-1 ExecutionSucceeded SUCCEEDED",
      "single-2 ExecutionDequeued RUNNING",
      "single-2 ExecutionSucceeded SUCCEEDED"
    ])
    await stream.close()
  }, 30_000)

  it("refuses a status that is not one, with a problem", async () => {
    const response = await fetch(`${server.url}/v1/events?status=DONE`)
    assert.strictEqual(response.status, 400)
    assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
    assert.include(await response.text(), "RUNNING, PAUSED")
  })
})

/**
 * The HTTP app over an engine whose ExecutionClient has no watchLifecycle, as the Worker's and Lambda's have none:
 * GET /v1/events polls the listing. `local` serves requests in this process, `post` checks they are accepted.
 */
const pollingApp = (functions: Parameters<typeof Engine.layer>[0]["functions"]) => {
  const engine = Engine.layer({ functions }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())))
  const clientOnly = Layer.effect(ExecutionClient, Effect.map(Engine, ({ watchLifecycle: _, ...client }) => client)).pipe(Layer.provide(engine))
  const runtime = ManagedRuntime.make(Layer.merge(engine, clientOnly)) // the second ExecutionClient wins
  const app = createApp({ runtime })
  const local = async (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => app.request(url, init)
  const post = async (path: string, body: unknown) => {
    const response = await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    assert.isBelow(response.status, 300, await response.clone().text())
  }
  return { app, runtime, local, post }
}

describe("GET /v1/events where no engine runs in the process", () => {
  it("derives the changes from the listing", async () => {
    const { app, runtime, local } = pollingApp([ok, held])
    const stream = await openSse("http://localhost/v1/events?function=ok&maxSeconds=20", {}, local)
    for (const name of ["ok-2", "ok-3"]) {
      const response = await app.request("/v1/functions/ok/executions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executionName: name })
      })
      assert.strictEqual(response.status, 201)
    }
    const seen = changes(await take(stream, 4))
    assert.deepStrictEqual(seen.map((c) => `${c.executionId} ${c.status}`).sort(), ["ok-2 RUNNING", "ok-2 SUCCEEDED", "ok-3 RUNNING", "ok-3 SUCCEEDED"])
    assert.isTrue(seen.every((c) => c.functionName === "ok"))
    // From the listing (not the engine's feed): the ends are seen as status changes, with no seq.
    assert.isTrue(seen.filter((c) => c.status === "SUCCEEDED").every((c) => c.event === "StatusChanged" && !("seq" in c)))
    await stream.close()
    await runtime.dispose()
  }, 30_000)

  it("sees the changes of executions older than the newest page: a stop, a pause timed when it was seen", async () => {
    const { runtime, local, post } = pollingApp([ok, held])
    // Waiting executions (no host runs their timers here: they wait until told otherwise).
    await post("/v1/functions/held/executions", { executionName: "held-stopped" })
    await post("/v1/functions/held/executions", { executionName: "held-paused" })
    const stream = await openSse("http://localhost/v1/events?status=SUCCEEDED,STOPPED,PAUSED&maxSeconds=15", {}, local)
    const seen: Array<Change & { at: number }> = []
    const until = async (done: () => boolean) => {
      while (!done()) {
        const frame = await stream.next()
        if (frame === undefined) return // maxSeconds: the stream ended first
        seen.push(...changes([frame]) as Array<Change & { at: number }>)
      }
    }
    // The feed polls from here on (its first listing saw both held ones waiting).
    await post("/v1/functions/ok/executions", { executionName: "first" })
    await until(() => seen.some((c) => c.executionId === "first"))
    // 110 newer executions push both out of the newest 100 that a poll lists.
    for (let i = 0; i < 110; i++) await post("/v1/functions/ok/executions", { executionName: `newer-${i}` })
    const changedAt = Date.now()
    await post("/v1/executions/held-stopped/stop", {})
    await post("/v1/executions/held-paused/pause", {})
    await until(() => seen.some((c) => c.executionId === "held-stopped") && seen.some((c) => c.executionId === "held-paused"))
    const stopped = seen.find((c) => c.executionId === "held-stopped")
    const paused = seen.find((c) => c.executionId === "held-paused")
    assert.deepInclude(stopped, { status: "STOPPED", event: "StatusChanged" })
    assert.deepInclude(paused, { status: "PAUSED", event: "StatusChanged" })
    assert.isAtLeast(paused!.at, changedAt, "timed when the poll saw it, not at the execution's start")
    await stream.close()
    await runtime.dispose()
  }, 30_000)

  it("a queued start stopped before a poll saw it is a start into QUEUED, then STOPPED: it never ran", async () => {
    const { runtime, local, post } = pollingApp([singleThree])
    const stream = await openSse("http://localhost/v1/events?maxSeconds=20", {}, local)
    // Within one poll: u-2 is queued behind u-1 and stopped there.
    await post("/v1/functions/single-three/executions", { executionName: "u-1" })
    await post("/v1/functions/single-three/executions", { executionName: "u-2" })
    await post("/v1/executions/u-2/stop", {})
    const seen = changes(await take(stream, 3))
    assert.deepStrictEqual(seen.filter((c) => c.executionId === "u-2").map((c) => `${c.event} ${c.status}`), ["ExecutionStarted QUEUED", "StatusChanged STOPPED"])
    openThirdGate()
    await stream.close()
    await runtime.dispose()
  }, 30_000)

  it("a start seen still queued is a start into QUEUED, then a change into what it became", async () => {
    const { app, runtime, local } = pollingApp([singleToo])
    const stream = await openSse("http://localhost/v1/events?maxSeconds=20", {}, local)
    for (const name of ["t-1", "t-2"]) {
      const response = await app.request("/v1/functions/single-too/executions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executionName: name })
      })
      assert.strictEqual(response.status, 201)
    }
    const first = changes(await take(stream, 2))
    assert.deepStrictEqual(first.map((c) => `${c.executionId} ${c.event} ${c.status}`).sort(), ["t-1 ExecutionStarted RUNNING", "t-2 ExecutionStarted QUEUED"])
    openSecondGate()
    const later: Array<Change> = []
    while (!later.some((c) => c.executionId === "t-2" && c.status === "SUCCEEDED") && later.length < 4) later.push(...changes(await take(stream, 1)))
    const second = later.filter((c) => c.executionId === "t-2").map((c) => c.status)
    assert.strictEqual(second.at(-1), "SUCCEEDED")
    assert.notInclude(second, "QUEUED", "never into QUEUED again")
    await stream.close()
    await runtime.dispose()
  }, 30_000)
})
