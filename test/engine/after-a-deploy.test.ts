/**
 * What an operator can still do with executions whose code a deploy removed or changed so that it no longer replays
 * their log: stop them, pause them without failing them, and a callback sent to one that failed is not mistaken for
 * a delivery. Two engines over one store stand for the server before and after the deploy.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { Engine, type EngineShape } from "../../src/engine/index.ts"
import { createApp } from "../../src/http/index.ts"
import { durable, type DurableFunction } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

type Store = ReturnType<typeof makeMemoryStore>

/** An engine with `functions` over `store`, served over HTTP as `npm start` would. */
const deployed = (store: Store, functions: ReadonlyArray<DurableFunction>) => {
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [...functions] }).pipe(Layer.provideMerge(Layer.succeed(ExecutionStore, store))))
  const app = createApp({ runtime })
  const use = <A, E>(f: (engine: EngineShape) => Effect.Effect<A, E>) => runtime.runPromise(Engine.use(f))
  const post = async (path: string, body: unknown = {}) => {
    const res = await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    return { status: res.status, body: (await res.json().catch(() => undefined)) as { type?: string; detail?: string } | undefined }
  }
  return { use, post, describe: (id: string) => use((e) => e.describe(id)), dispose: () => runtime.dispose() }
}

/** Waits an hour between two steps: suspended on its wait when the deploy comes. */
const sleeper = (ran: Array<string>, first = "first") =>
  durable("sleeper", async (_: unknown, ctx) => {
    await ctx.step(first, async () => void ran.push(first))
    await ctx.wait("nap", { hours: 1 })
    await ctx.step("second", async () => void ran.push("second"))
    return "done"
  })

/** Waits on a callback after a step: suspended on the callback when the deploy comes. */
const approval = (stepName: string) =>
  durable("approval", async (_: unknown, ctx) => {
    await ctx.step(stepName, async () => "checked")
    const [answer, callbackId] = await ctx.createCallback<string>("answer")
    void callbackId
    return { answer: await answer }
  })

/** Starts `ids` on the old code and leaves them suspended, the old server gone. */
const startedBefore = async (store: Store, fn: DurableFunction, ids: ReadonlyArray<string>) => {
  const before = deployed(store, [fn])
  for (const executionId of ids) {
    await before.use((e) => e.start({ functionName: fn.name, executionId }))
    await before.use((e) => e.settle(executionId))
  }
  await before.dispose()
}

const tags = (store: Store, executionId: string) =>
  Effect.runPromise(store.load(executionId)).then((log) => log!.events.map((e) => e._tag))

describe("executions whose function a deploy removed", () => {
  it("can be stopped, and run none of their code", async () => {
    const store = makeMemoryStore()
    const ran: Array<string> = []
    await startedBefore(store, sleeper(ran), ["s-1"])
    const after = deployed(store, [durable("other", async () => "x")])
    const stopped = await after.post("/v1/executions/s-1/stop")
    assert.strictEqual(stopped.status, 200, JSON.stringify(stopped.body))
    assert.strictEqual((await after.describe("s-1")).status, "STOPPED")
    assert.strictEqual((await tags(store, "s-1")).at(-1), "ExecutionStopped")
    assert.deepStrictEqual(ran, ["first"])
    await after.dispose()
  })

  it("can be paused and then stopped; a resume is refused while the function is missing, and the execution stays paused", async () => {
    const store = makeMemoryStore()
    const ran: Array<string> = []
    await startedBefore(store, sleeper(ran), ["s-2"])
    const after = deployed(store, [])
    assert.strictEqual((await after.post("/v1/executions/s-2/pause")).status, 200)
    const resumed = await after.post("/v1/executions/s-2/resume")
    assert.strictEqual(resumed.status, 404)
    assert.match(resumed.body?.type ?? "", /function-not-found/)
    assert.strictEqual((await after.describe("s-2")).status, "PAUSED")
    assert.strictEqual((await after.post("/v1/executions/s-2/stop")).status, 200)
    assert.deepStrictEqual((await tags(store, "s-2")).slice(-2), ["ExecutionPaused", "ExecutionStopped"])
    assert.deepStrictEqual(ran, ["first"])
    await after.dispose()
  })

  it("paused, then resumed once a deploy brings the function back, go on", async () => {
    const store = makeMemoryStore()
    const ran: Array<string> = []
    await startedBefore(store, sleeper(ran), ["s-3"])
    const removed = deployed(store, [])
    assert.strictEqual((await removed.post("/v1/executions/s-3/pause")).status, 200)
    await removed.dispose()
    const back = deployed(store, [sleeper(ran)])
    assert.strictEqual((await back.post("/v1/executions/s-3/resume")).status, 200)
    const nap = (await back.describe("s-3")).operations.find((op) => op.name === "nap")!.id
    await back.use((e) => e.fireTimer!("s-3", nap))
    assert.strictEqual((await back.use((e) => e.awaitEnd("s-3"))).status, "SUCCEEDED")
    assert.deepStrictEqual(ran, ["first", "second"])
    await back.dispose()
  })
})

/** Waits on a callback whose result has a schema. */
const typed = durable("typed", async (_: unknown, ctx) => {
  const [answer] = await ctx.createCallback("answer", { schema: Schema.Struct({ n: Schema.Number }) })
  return await answer
})

const callbackOf = async (server: ReturnType<typeof deployed>, executionId: string) =>
  (await server.describe(executionId)).operations.find((op) => op.name === "answer")!.callbackId!

describe("a callback sent to a paused execution that is not in memory (not replayed until its resume)", () => {
  it("with a schema, is refused until the resume (nothing written), then checked as ever", async () => {
    const store = makeMemoryStore()
    await startedBefore(store, typed, ["t-1"])
    const before = deployed(store, [typed])
    assert.strictEqual((await before.post("/v1/executions/t-1/pause")).status, 200)
    const callbackId = await callbackOf(before, "t-1")
    await before.dispose()
    const after = deployed(store, [typed])
    const early = await after.post(`/v1/callbacks/${callbackId}/succeed`, { result: JSON.stringify({ n: 1 }) })
    assert.strictEqual(early.status, 409)
    assert.match(early.body?.type ?? "", /execution-not-running/)
    assert.match(early.body?.detail ?? "", /PAUSED/)
    assert.notInclude(await tags(store, "t-1"), "CallbackSucceeded")
    assert.strictEqual((await after.post("/v1/executions/t-1/resume")).status, 200)
    assert.strictEqual((await after.post(`/v1/callbacks/${callbackId}/succeed`, { result: JSON.stringify({ n: "one" }) })).status, 400)
    assert.strictEqual((await after.post(`/v1/callbacks/${callbackId}/succeed`, { result: JSON.stringify({ n: 1 }) })).status, 204)
    assert.strictEqual((await after.use((e) => e.awaitEnd("t-1"))).status, "SUCCEEDED")
    await after.dispose()
  })

  it("of a removed function, paused: the stand-in has left, so it is refused as the function is missing", async () => {
    const store = makeMemoryStore()
    await startedBefore(store, typed, ["t-2"])
    const before = deployed(store, [typed])
    const callbackId = await callbackOf(before, "t-2")
    await before.dispose()
    const removed = deployed(store, [])
    assert.strictEqual((await removed.post("/v1/executions/t-2/pause")).status, 200)
    const sent = await removed.post(`/v1/callbacks/${callbackId}/succeed`, { result: JSON.stringify({ n: 1 }) })
    assert.strictEqual(sent.status, 404)
    assert.match(sent.body?.type ?? "", /function-not-found/)
    assert.notInclude(await tags(store, "t-2"), "CallbackSucceeded")
    await removed.dispose()
  })
})

describe("executions whose code a deploy changed so that it no longer replays", () => {
  it("are paused without replaying (they do not fail), keep callbacks completed meanwhile, and go on under code that replays", async () => {
    const store = makeMemoryStore()
    await startedBefore(store, approval("check"), ["a-1"])
    const renamed = deployed(store, [approval("check-renamed")])
    const paused = await renamed.post("/v1/executions/a-1/pause")
    assert.strictEqual(paused.status, 200, JSON.stringify(paused.body))
    const callbackId = (await renamed.describe("a-1")).operations.find((op) => op.name === "answer")!.callbackId!
    assert.strictEqual((await renamed.post(`/v1/callbacks/${callbackId}/succeed`, { result: "yes" })).status, 204)
    assert.strictEqual((await renamed.describe("a-1")).status, "PAUSED")
    assert.notInclude(await tags(store, "a-1"), "ExecutionFailed")
    await renamed.dispose()
    const rolledBack = deployed(store, [approval("check")])
    assert.strictEqual((await rolledBack.post("/v1/executions/a-1/resume")).status, 200)
    const ended = await rolledBack.use((e) => e.awaitEnd("a-1"))
    assert.strictEqual(ended.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(ended.result!), { answer: "yes" })
    await rolledBack.dispose()
  })

  it("a callback sent to one is answered as not running (it failed on replay), not as already completed", async () => {
    const store = makeMemoryStore()
    await startedBefore(store, approval("check"), ["a-2"])
    const before = deployed(store, [approval("check")])
    const callbackId = (await before.describe("a-2")).operations.find((op) => op.name === "answer")!.callbackId!
    await before.dispose()
    const renamed = deployed(store, [approval("check-renamed")])
    const sent = await renamed.post(`/v1/callbacks/${callbackId}/succeed`, { result: "yes" })
    assert.strictEqual(sent.status, 409)
    assert.match(sent.body?.type ?? "", /execution-not-running/)
    assert.match(sent.body?.detail ?? "", /FAILED/)
    assert.strictEqual((await renamed.describe("a-2")).status, "FAILED")
    await renamed.dispose()
  })
})
