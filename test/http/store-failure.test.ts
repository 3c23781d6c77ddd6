/**
 * A store that fails underneath (disk full), plugged in as a user would: every failure reaches the client as a
 * typed, retryable store-failure problem, the actor logs its cause, and the execution carries on once the store
 * works again.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Cause } from "effect"
import { durable } from "../../src/index.ts"
import { createApp } from "../../src/http/index.ts"
import { signedCallbackIds } from "../../src/http/signed-callback-ids.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { makeFailingEngine } from "../engine/failing-store.ts"
import { approval, assertProblem, echo, SECRET, until } from "./http-fixture.ts"

/** A step whose first body hangs: dropping the actor then is a crash in the middle of it. */
const crashy = { bodies: 0, hang: true }
const midStep = durable("mid-step", async (_: unknown, ctx) => {
  await ctx.step("work", async () => {
    crashy.bodies++
    if (crashy.hang) await new Promise(() => undefined)
  })
  return "done"
})

const makeServer = () => {
  const { engine, runtime, state, lines } = makeFailingEngine({ functions: [approval, echo, midStep], callbackIds: signedCallbackIds(SECRET) })
  const reported: Array<unknown> = []
  const app = createApp({ runtime, onError: (error) => void reported.push(error) })
  const post = (path: string, json?: unknown) =>
    app.request(path, {
      method: "POST",
      ...(json === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(json) })
    })
  return { app, runtime, engine, post, state, lines, reported }
}

type Server = ReturnType<typeof makeServer>
let server: Server | undefined
afterEach(async () => {
  await server?.runtime.dispose()
  server = undefined
})

/** Checks the problem a failed append answers with: 503, Retry-After, and the store operation named. */
const assertStoreProblem = async (res: Response) => {
  const retryAfter = res.headers.get("retry-after")
  const body = await assertProblem(res, 503, "store-failure")
  assert.match(String(retryAfter), /^[1-9][0-9]*$/)
  assert.strictEqual(body.operation, "append")
  assert.include(String(body.detail), "append")
  assert.notInclude(String(body.detail), "disk full", "the store's own reason stays in the logs")
  return body
}

describe("the HTTP API: a failing store", () => {
  it("answers a start whose append fails with a retryable store failure; the same start succeeds once the store works", async () => {
    const s = server = makeServer()
    s.state.broken.add("append")
    await assertStoreProblem(await s.post("/v1/functions/echo/executions", { input: 7, executionName: "order-7" }))
    assert.isAbove(s.state.refused, 0)
    assert.instanceOf(s.reported[0], StoreFailure)
    s.state.broken.delete("append")
    const res = await s.post("/v1/functions/echo/executions?wait=5", { input: 7, executionName: "order-7" })
    assert.strictEqual(res.status, 201)
    const view = await res.json() as Record<string, unknown>
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(view.result, { echoed: 7 })
  })

  it("answers a callback completion whose append fails with a retryable store failure, logs the cause, and finishes once the store works", async () => {
    const s = server = makeServer()
    const started = await s.post("/v1/functions/approval/executions", { input: { amount: 3 }, executionName: "approval-3" })
    assert.strictEqual(started.status, 201)
    const callbackId = await until(async () => {
      await s.engine((e) => e.settle("approval-3"))
      const view = await s.engine((e) => e.describe("approval-3"))
      return view.operations.some((op) => op.name === "notify" && op.status === "SUCCEEDED")
        ? view.operations.find((op) => op.type === "CALLBACK")?.callbackId
        : undefined
    })
    s.state.broken.add("append")
    await assertStoreProblem(await s.post(`/v1/callbacks/${callbackId}/succeed`, { result: "\"yes\"" }))

    const logged = s.lines.find((line) => line.level === "Error" && Cause.findErrorOption(line.cause)._tag === "Some")
    assert.isDefined(logged, "the actor logs the failure with its cause")
    const error = Cause.findErrorOption(logged!.cause)
    assert.instanceOf(error._tag === "Some" ? error.value : undefined, StoreFailure)
    assert.strictEqual(logged!.annotations.executionId, "approval-3")

    // Nothing was written: the execution still waits on its callback, and completes once the disk has room.
    const history = await s.engine((e) => e.history("approval-3"))
    assert.isFalse(history.some((event) => event._tag === "CallbackSucceeded"))
    s.state.broken.delete("append")
    const retried = await s.post(`/v1/callbacks/${callbackId}/succeed`, { result: "\"yes\"" })
    assert.strictEqual(retried.status, 204)
    const ended = await s.engine((e) => e.awaitEnd("approval-3"))
    assert.strictEqual(ended.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(ended.result!), { amount: 3, answer: "\"yes\"" })
  })

  // Found by a crash soak on a full disk: the request was answered 500 internal-error, which a client takes as final.
  it("answers a message whose execution's actor goes on every load (its writes fenced off) with a retryable store failure", async () => {
    const s = server = makeServer()
    crashy.bodies = 0
    crashy.hang = true
    assert.strictEqual((await s.post("/v1/functions/mid-step/executions", { executionName: "mid-1" })).status, 201)
    await until(async () => (crashy.bodies === 1 ? true : undefined))
    await s.engine((e) => e.evict("mid-1")) // as a crash mid-step: its outcome was never written
    crashy.hang = false
    s.state.fenced = true
    const stopped = await s.post("/v1/executions/mid-1/stop", {})
    const body = await assertProblem(stopped, 503, "store-failure")
    assert.match(String(stopped.headers.get("retry-after")), /^[1-9][0-9]*$/)
    assert.include(String(body.detail), "deliver")
    s.state.fenced = false
    assert.strictEqual((await s.post("/v1/executions/mid-1/stop", {})).status, 200, "once the store takes writes, the stop goes through")
  })
})
