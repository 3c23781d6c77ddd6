/** `POST /v1/executions/:id/timers/:operationId/fire`: in development, a pending wait succeeds now. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { assertProblem, type Harness, makeHarness, until } from "./http-fixture.ts"

const nap = durable("nap", async (_: unknown, ctx) => {
  const before = await ctx.step("before", async () => "ready")
  await ctx.wait("an-hour", { hours: 1 })
  return `${before}, then woke`
})

let h: Harness | undefined
afterEach(() => h?.dispose())

type Json = Record<string, any>
const get = async (harness: Harness, id: string): Promise<Json> =>
  await (await harness.request("GET", `/v1/executions/${id}?operations=true`)).json() as Json

/** Starts nap and returns the id of its wait once it waits. */
const napping = async (harness: Harness, id: string): Promise<string> => {
  assert.strictEqual((await harness.request("POST", "/v1/functions/nap/executions", { json: { executionName: id } })).status, 201)
  return until(async () => (await get(harness, id)).operations.find((op: Json) => op.type === "WAIT" && op.status === "STARTED")?.id as string | undefined)
}

describe("firing a pending wait now", () => {
  it("in development: the wait succeeds at once and the execution goes on to its end", async () => {
    h = makeHarness({ functions: [nap], devTools: true })
    const waitId = await napping(h, "nap-1")
    const res = await h.request("POST", `/v1/executions/nap-1/timers/${waitId}/fire`, { json: {} })
    assert.strictEqual(res.status, 200, await res.clone().text())
    assert.strictEqual((await res.json() as Json).executionId, "nap-1")
    const ended = await until(async () => {
      const view = await get(h!, "nap-1")
      return view.status === "RUNNING" ? undefined : view
    })
    assert.deepStrictEqual([ended.status, ended.result], ["SUCCEEDED", "ready, then woke"])
    const history = await (await h.request("GET", "/v1/executions/nap-1/history")).json() as Json
    assert.include(history.events.map((e: Json) => e._tag), "WaitSucceeded")
    // Fired once: again is a conflict.
    await assertProblem(await h.request("POST", `/v1/executions/nap-1/timers/${waitId}/fire`, { json: {} }), 409, "timer-not-pending")
  })

  it("refuses what is not a pending wait, naming why, and changes nothing", async () => {
    h = makeHarness({ functions: [nap], devTools: true })
    const waitId = await napping(h, "nap-2")
    const step = (await get(h, "nap-2")).operations.find((op: Json) => op.type === "STEP").id
    const before = (await (await h.request("GET", "/v1/executions/nap-2/history")).json() as Json).events.length
    const notWait = await h.request("POST", `/v1/executions/nap-2/timers/${step}/fire`, { json: {} })
    assert.match((await notWait.clone().json() as Json).detail, /is not a wait/)
    await assertProblem(notWait, 409, "timer-not-pending")
    await assertProblem(await h.request("POST", "/v1/executions/nap-2/timers/9-9/fire", { json: {} }), 409, "timer-not-pending")
    await assertProblem(await h.request("POST", `/v1/executions/missing/timers/${waitId}/fire`, { json: {} }), 404, "execution-not-found")
    await assertProblem(await h.request("POST", `/v1/executions/nap-2/timers/${waitId}/fire`, { json: { now: true } }), 400, "invalid-request")
    // Paused: nothing fires until it is resumed.
    assert.strictEqual((await h.request("POST", "/v1/executions/nap-2/pause", { json: {} })).status, 200)
    const paused = await h.request("POST", `/v1/executions/nap-2/timers/${waitId}/fire`, { json: {} })
    assert.match((await paused.clone().json() as Json).detail, /paused/)
    await assertProblem(paused, 409, "timer-not-pending")
    const after = (await (await h.request("GET", "/v1/executions/nap-2/history")).json() as Json).events
    assert.deepStrictEqual(after.slice(before).map((e: Json) => e._tag), ["ExecutionPaused"])
  })

  it("outside development: 403, and the wait keeps its time", async () => {
    h = makeHarness({ functions: [nap] })
    const waitId = await napping(h, "nap-3")
    const res = await h.request("POST", `/v1/executions/nap-3/timers/${waitId}/fire`, { json: {} })
    assert.match((await res.clone().json() as Json).detail, /development aid/)
    await assertProblem(res, 403, "dev-only")
    const view = await get(h, "nap-3")
    assert.deepStrictEqual([view.status, view.operations.find((op: Json) => op.id === waitId).status], ["RUNNING", "STARTED"])
  })
})
