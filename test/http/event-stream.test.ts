/**
 * GET /v1/executions/:id/events on a real server (reprise/node's serve() on 127.0.0.1 and a SQLite file): a client
 * that connects mid-execution and one that drops and reconnects with Last-Event-ID each see every event once, in
 * order; the stream ends after the terminal event; an ended execution answers 204; the stream is bounded in time.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../adapters/node/serve.ts"
import { durable } from "../../src/index.ts"
import { gatedTicks } from "./gated-ticks.ts"
import { openSse, type SseFrame } from "./sse-client.ts"

const TICKS = 6
const { fn: ticker, gatesOf, openAll } = gatedTicks("ticker", TICKS)
/** Debounced: a second start within a second collapses into the first (ExecutionInputReplaced) and runs once. */
const settled = durable("settled", async (input: { n: number }, ctx) => ctx.step("use", async () => input.n), {
  debounce: { period: { seconds: 1 } }
})
const sleeper = durable("sleeper", async (_input: unknown, ctx) => {
  await ctx.wait("long", { hours: 1 })
})

let dir: string
let server: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-sse-"))
  server = await serve({ functions: [ticker, sleeper, settled], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
})
afterAll(async () => {
  openAll()
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const start = async (fn: string, input: unknown) => {
  const response = await fetch(`${server.url}/v1/functions/${fn}/executions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input }) })
  return (await response.json() as { executionId: string }).executionId
}
const history = async (id: string) =>
  (await (await fetch(`${server.url}/v1/executions/${id}/history?limit=1000`)).json() as { events: Array<{ seq: number; _tag: string }> }).events
/** Waits (bounded) until the history holds `count` events. */
const untilEvents = async (id: string, count: number) => {
  for (let i = 0; i < 200; i++) {
    if ((await history(id)).length >= count) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`execution ${id} never reached ${count} events`)
}
const seqs = (frames: ReadonlyArray<SseFrame>) => frames.map((frame) => Number(frame.id))

describe("the event stream (SSE) on Node", () => {
  it("mid-execution and after a reconnect with Last-Event-ID: every event once, in order, then the end", async () => {
    const run = "a"
    const id = await start("ticker", { run })
    const gate = gatesOf(run)
    gate[0]!.open()
    gate[1]!.open()
    await untilEvents(id, 3) // started, tick-0, tick-1

    // One client connects now and stays; another reads a little, drops the connection, and comes back.
    const staying = await openSse(`${server.url}/v1/executions/${id}/events`)
    assert.strictEqual(staying.response.status, 200)
    assert.strictEqual(staying.response.headers.get("content-type"), "text/event-stream")
    const leaving = await openSse(`${server.url}/v1/executions/${id}/events`)
    const before = [(await leaving.next())!, (await leaving.next())!]
    await leaving.close()

    gate[2]!.open()
    await untilEvents(id, 4) // written while the second client is away
    const back = await openSse(`${server.url}/v1/executions/${id}/events`, { "last-event-id": before.at(-1)!.id! })
    const backFirst = (await back.next())!
    for (const g of gate.slice(3)) g.open()

    const stayed = await staying.rest()
    const returned = [backFirst, ...(await back.rest())]
    const all = await history(id)
    const expected = all.map((event) => event.seq)
    assert.deepStrictEqual(expected, Array.from({ length: TICKS + 2 }, (_, i) => i + 1))
    assert.deepStrictEqual(seqs(stayed), expected, "the client that stayed saw each event once, in order")
    assert.deepStrictEqual([...seqs(before), ...seqs(returned)], expected, "the client that came back missed none and saw none twice")
    assert.deepStrictEqual(stayed.map((frame) => frame.event), all.map((event) => event._tag))
    assert.deepStrictEqual(JSON.parse(stayed[2]!.data), all[2], "the data is the event as the history shows it")
    assert.strictEqual(stayed.at(-1)!.event, "ExecutionSucceeded", "the stream ends after the terminal event")

    // Once it has ended, a reconnect with nothing new is told to stop (204); from a cursor it sends the rest.
    const again = await fetch(`${server.url}/v1/executions/${id}/events`, { headers: { "last-event-id": String(expected.at(-1)) } })
    assert.strictEqual(again.status, 204)
    const tail = await openSse(`${server.url}/v1/executions/${id}/events?cursor=${expected.length - 2}`)
    assert.deepStrictEqual(seqs(await tail.rest()), expected.slice(-2))
  })

  it("a paused execution with nothing new is still streamed (not 204, which would stop EventSource for good)", async () => {
    const id = await start("sleeper", {})
    await untilEvents(id, 2)
    const post = (action: string) => fetch(`${server.url}/v1/executions/${id}/${action}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
    assert.strictEqual((await post("pause")).status, 200)
    await untilEvents(id, 3)
    const stream = await openSse(`${server.url}/v1/executions/${id}/events`, { "last-event-id": "3" })
    assert.strictEqual(stream.response.status, 200)
    assert.strictEqual((await post("resume")).status, 200)
    const resumed = (await stream.next())!
    assert.strictEqual(resumed.event, "ExecutionResumed")
    assert.strictEqual(resumed.id, "4")
    await stream.close()
  })

  it("a queued execution's stream has every event, the debounce's ExecutionInputReplaced too", async () => {
    const id = await start("settled", { n: 1 })
    const stream = await openSse(`${server.url}/v1/executions/${id}/events`)
    assert.strictEqual((await stream.next())!.event, "ExecutionStarted")
    assert.strictEqual(await start("settled", { n: 2 }), id, "collapsed into the waiting one")
    const frames = await stream.rest()
    const all = await history(id)
    assert.deepStrictEqual(all.map((event) => event._tag).slice(0, 3), ["ExecutionStarted", "ExecutionInputReplaced", "ExecutionDequeued"])
    assert.deepStrictEqual(seqs(frames), all.slice(1).map((event) => event.seq), "none missed")
  })

  it("closes after maxSeconds while the execution runs; an unknown execution is 404", async () => {
    const id = await start("sleeper", {})
    await untilEvents(id, 2)
    const stream = await openSse(`${server.url}/v1/executions/${id}/events?maxSeconds=1`)
    const frames = await stream.rest()
    assert.deepStrictEqual(frames.map((frame) => frame.event), ["ExecutionStarted", "WaitStarted"], "closed without an end: the client reconnects")
    const missing = await fetch(`${server.url}/v1/executions/nope/events`)
    assert.strictEqual(missing.status, 404)
    await missing.body?.cancel()
  })

  it("refuses a Last-Event-ID that is not a seq (it replayed the whole stream), and takes an empty one as none", async () => {
    const id = await start("sleeper", {})
    await untilEvents(id, 2)
    for (const bad of ["1e9", "abc", "3abc", "+3", "3.0"]) {
      const refused = await fetch(`${server.url}/v1/executions/${id}/events?maxSeconds=1`, { headers: { "last-event-id": bad } })
      assert.strictEqual(refused.status, 400, bad)
      assert.strictEqual(refused.headers.get("content-type"), "application/problem+json")
      assert.match((await refused.json() as { detail: string }).detail, /Last-Event-ID/)
    }
    const fromStart = await openSse(`${server.url}/v1/executions/${id}/events?maxSeconds=1`, { "last-event-id": " " })
    assert.deepStrictEqual(seqs(await fromStart.rest()), [1, 2])
  })
})
