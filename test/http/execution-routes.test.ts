import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { assertProblem, type Harness, makeHarness } from "./http-fixture.ts"

let h: Harness
beforeEach(() => {
  h = makeHarness()
})
afterEach(() => h.dispose())

type Json = Record<string, any>
const body = async (res: Response) => await res.json() as Json
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe("the HTTP API: functions and executions", () => {
  it("answers liveness and lists the registered functions with their descriptions", async () => {
    const health = await h.request("GET", "/healthz")
    assert.deepStrictEqual([health.status, await health.json()], [200, { status: "ok" }])
    const res = await h.request("GET", "/v1/functions")
    assert.strictEqual(res.status, 200)
    assert.deepStrictEqual(await res.json(), {
      functions: [{ name: "approval", description: "Waits for a manager's approval" }, { name: "echo" }]
    })
  })

  it("starts an execution: 201, a Location, and the running view with parsed input and ISO times", async () => {
    const res = await h.request("POST", "/v1/functions/approval/executions", { json: { input: { amount: 5 } } })
    assert.strictEqual(res.status, 201)
    const view = await body(res)
    assert.strictEqual(res.headers.get("location"), `/v1/executions/${view.executionId}`)
    assert.strictEqual(view.functionName, "approval")
    assert.strictEqual(view.status, "RUNNING")
    assert.deepStrictEqual(view.input, { amount: 5 })
    assert.match(view.startedAt, ISO)
    await h.engine((e) => e.settle(view.executionId))

    const got = await body(await h.request("GET", `/v1/executions/${view.executionId}?operations=true`))
    assert.deepStrictEqual(got.operations.map((op: Json) => [op.id, op.name, op.type, op.status]), [
      ["1", "check", "STEP", "SUCCEEDED"],
      ["2", "manager", "CALLBACK", "STARTED"],
      ["3", "notify", "STEP", "SUCCEEDED"]
    ])
    assert.strictEqual(got.operations[0].attempt, 1)
    assert.match(got.operations[0].endedAt, ISO)
    assert.isString(got.operations[1].callbackId)
    assert.notProperty(got, "result")
  })

  it("makes a start idempotent by Idempotency-Key or executionName: the same id, 200 the second time", async () => {
    const first = await h.request("POST", "/v1/functions/echo/executions", { json: { input: 1 }, headers: { "idempotency-key": "key-1" } })
    const again = await h.request("POST", "/v1/functions/echo/executions", { json: { input: 1 }, headers: { "idempotency-key": "\"key-1\"" } })
    assert.deepStrictEqual([first.status, again.status], [201, 200])
    assert.strictEqual((await body(first)).executionId, "key-1")
    assert.strictEqual((await body(again)).executionId, "key-1")
    assert.strictEqual(again.headers.get("idempotent-replayed"), "true")

    const named = await h.request("POST", "/v1/functions/echo/executions", { json: { input: 2, executionName: "order-7" } })
    const named2 = await h.request("POST", "/v1/functions/echo/executions", { json: { input: 2, executionName: "order-7" } })
    assert.deepStrictEqual([named.status, named2.status], [201, 200])
    assert.strictEqual((await body(named2)).executionId, "order-7")
    const history = await h.engine((e) => e.history("order-7"))
    assert.strictEqual(history.filter((e) => e._tag === "ExecutionStarted").length, 1)

    // The same input is the same value however it is written: members in another order, 1.0 for 1.
    const raw = (text: string) => h.request("POST", "/v1/functions/echo/executions", { body: text, headers: { "content-type": "application/json" } })
    assert.strictEqual((await raw('{"executionName":"order-8","input":{"a":1,"b":[1,{"c":2,"d":3}]}}')).status, 201)
    assert.strictEqual((await raw('{"executionName":"order-8","input":{"b":[1.0,{"d":3,"c":2}],"a":1}}')).status, 200)
    await assertProblem(await raw('{"executionName":"order-8","input":{"b":[{"d":3,"c":2},1],"a":1}}'), 409, "execution-already-exists")
  })

  it("refuses a reused name with another input (409) and differing key and name (400), writing nothing; another function may use the name", async () => {
    await h.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1, executionName: "x-1" } })
    const before = await h.snapshot()
    await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { json: { input: 2, executionName: "x-1" } }), 409, "execution-already-exists")
    await assertProblem(
      await h.request("POST", "/v1/functions/echo/executions", { json: { executionName: "a" }, headers: { "idempotency-key": "b" } }),
      400,
      "invalid-request"
    )
    const badKey = await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { headers: { "idempotency-key": "has space", "content-type": "application/json" } }), 400, "invalid-request")
    assert.include(String(badKey.detail), "Idempotency-Key")
    // `<parent>:invoke:<operation>` belongs to ctx.invoke's children: a client taking it first would fail the parent.
    const invokeId = await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { json: { executionName: "order-1:invoke:1" } }), 400, "invalid-request")
    // Worded as every other refusal of a field ("Invalid body: Expected …").
    assert.strictEqual(invokeId.detail, `Invalid body: Expected a name without ':invoke:' (the ids of invoked children) at ["executionName"]`)
    await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { headers: { "idempotency-key": "order-1:invoke:1", "content-type": "application/json" } }), 400, "invalid-request")
    // `<schedule>:<tick time>` belongs to a schedule's tick: a client taking it first would have the tick skipped.
    for (const tick of ["nightly:2026-01-05T01:00:00Z", "nightly:trigger:2026-01-05T01:00:00.123Z"]) {
      const refused = await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { json: { executionName: tick } }), 400, "invalid-request")
      assert.match(String(refused.detail), /^Invalid body: Expected a name not ending in ':' and an ISO time/)
    }
    assert.deepStrictEqual(await h.snapshot(), before)
    // Names are scoped per function (as AWS's execution names): another function's start under it is a new execution.
    const other = await h.request("POST", "/v1/functions/approval/executions", { json: { input: 1, executionName: "x-1" } })
    assert.strictEqual(other.status, 201)
    assert.strictEqual((await body(other)).executionId, "x-1~approval")
    assert.strictEqual((await h.request("POST", "/v1/functions/echo/executions", { json: { executionName: "report:2026-01-05" } })).status, 201, "a date alone is a name")
  })

  it("?wait= returns the finished view when the execution ends in time, else 202 with the running view", async () => {
    const done = await h.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: { a: [1, 2] } } })
    assert.strictEqual(done.status, 201)
    const view = await body(done)
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(view.result, { echoed: { a: [1, 2] } })
    assert.match(view.endedAt, ISO)

    const repeat = await h.request("POST", "/v1/functions/echo/executions?wait=0", { json: { input: 1, executionName: "e" } })
    await h.engine((e) => e.settle("e"))
    const finished = await h.request("POST", "/v1/functions/echo/executions?wait=0", { json: { input: 1, executionName: "e" } })
    assert.strictEqual(finished.status, 200)
    assert.strictEqual((await body(finished)).status, "SUCCEEDED")
    assert.include([201, 202], repeat.status)

    const started = Date.now()
    const pending = await h.request("POST", "/v1/functions/approval/executions?wait=0.2", { json: { input: { amount: 1 } } })
    assert.strictEqual(pending.status, 202)
    assert.strictEqual((await body(pending)).status, "RUNNING")
    assert.isAtLeast(Date.now() - started, 150)

    // Paused is not ended either: a repeat with ?wait= waits for the end, then answers 202 with the paused view.
    await h.request("POST", "/v1/functions/approval/executions", { json: { input: { amount: 2 }, executionName: "held" } })
    await h.engine((e) => e.settle("held"))
    assert.strictEqual((await h.request("POST", "/v1/executions/held/pause", { json: {} })).status, 200)
    const pausedAt = Date.now()
    const paused = await h.request("POST", "/v1/functions/approval/executions?wait=0.2", { json: { input: { amount: 2 }, executionName: "held" } })
    assert.strictEqual(paused.status, 202)
    assert.strictEqual((await body(paused)).status, "PAUSED")
    assert.isAtLeast(Date.now() - pausedAt, 150, "it waited")
  })

  it("a shutdown ends a start's ?wait= early: 202 with the execution as it stands, not a cut connection", async () => {
    const closing = new AbortController()
    await h.dispose()
    h = makeHarness({ closing: closing.signal })
    const askedAt = Date.now()
    const pending = h.request("POST", "/v1/functions/approval/executions?wait=30", { json: { input: { amount: 3 } } })
    setTimeout(() => closing.abort(), 200)
    const res = await pending
    assert.strictEqual(res.status, 202)
    assert.strictEqual((await body(res)).status, "RUNNING")
    assert.isBelow(Date.now() - askedAt, 10_000, "answered at the shutdown, not after the 30 s wait")
    assert.deepStrictEqual(h.serverErrors, [], "nothing reported")
  })

  it("a request whose engine closes under it gets 503 server-busy, and is not reported as a failure", async () => {
    const pending = h.request("POST", "/v1/functions/approval/executions?wait=30", { json: { input: { amount: 4 } } })
    await new Promise((resolve) => setTimeout(resolve, 200))
    await h.runtime.dispose()
    const res = await pending
    assert.strictEqual(res.status, 503)
    assert.strictEqual((await body(res)).type, "https://reprise.dev/problems/server-busy")
    assert.strictEqual(res.headers.get("retry-after"), "1")
    assert.deepStrictEqual(h.serverErrors, [])
  })

  it("validates ?wait= (0 to 60 seconds, a plain decimal)", async () => {
    for (const wait of ["61", "-1", "abc", "", "1e1", "0x10", " 5"]) {
      const res = await h.request("POST", `/v1/functions/echo/executions?wait=${encodeURIComponent(wait)}`, { json: {} })
      await assertProblem(res, 400, "invalid-request")
    }
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("answers an unknown function or execution with 404 problem+json", async () => {
    await assertProblem(await h.request("POST", "/v1/functions/nope/executions", { json: {} }), 404, "function-not-found")
    // A name longer than any valid one (128) is cut in the detail, not echoed whole.
    const long = await assertProblem(await h.request("POST", `/v1/functions/${"n".repeat(5000)}/executions`, { json: {} }), 404, "function-not-found")
    assert.strictEqual(long.detail, `No durable function is registered as "${"n".repeat(128)}…"`)
    await assertProblem(await h.request("GET", "/v1/executions/nope"), 404, "execution-not-found")
    await assertProblem(await h.request("GET", "/v1/executions/nope/history"), 404, "execution-not-found")
    await assertProblem(await h.request("POST", "/v1/executions/nope/stop", { headers: { "content-type": "application/json" } }), 404, "execution-not-found")
    assert.deepStrictEqual(await h.snapshot(), {})
  })

  it("pages through the history by seq with nextCursor", async () => {
    const { executionId } = await h.startApproval()
    const all = await h.engine((e) => e.history(executionId))
    const seen: Array<number> = []
    let cursor: string | undefined
    let pages = 0
    do {
      const res = await h.request("GET", `/v1/executions/${executionId}/history?limit=2${cursor === undefined ? "" : `&cursor=${cursor}`}`)
      assert.strictEqual(res.status, 200)
      const page = await body(res)
      assert.isAtMost(page.events.length, 2)
      seen.push(...page.events.map((e: Json) => e.seq))
      cursor = page.nextCursor
      pages++
    } while (cursor !== undefined)
    assert.deepStrictEqual(seen, all.map((e) => e.seq))
    assert.strictEqual(pages, Math.ceil(all.length / 2))
    const whole = await body(await h.request("GET", `/v1/executions/${executionId}/history`))
    assert.deepStrictEqual(whole.events, JSON.parse(JSON.stringify(all)))
    assert.notProperty(whole, "nextCursor")
    for (const bad of ["limit=0", "limit=1001", "limit=x", "cursor=-1", "cursor=a"]) {
      await assertProblem(await h.request("GET", `/v1/executions/${executionId}/history?${bad}`), 400, "invalid-request")
    }
  })

  it("lists executions newest first, filtered by function and status, paginated", async () => {
    for (let i = 0; i < 3; i++) await h.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: i } })
    // A later millisecond than the last echo: a start in the same one ties on startedAt, and the tie goes by id.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const { executionId: waiting } = await h.startApproval()

    const running = await body(await h.request("GET", "/v1/executions?status=RUNNING"))
    assert.deepStrictEqual(running.executions.map((x: Json) => x.executionId), [waiting])
    assert.match(running.executions[0].startedAt, ISO)
    const echoes = await body(await h.request("GET", "/v1/executions?function=echo&status=SUCCEEDED"))
    assert.strictEqual(echoes.executions.length, 3)
    assert.isTrue(echoes.executions.every((x: Json) => x.functionName === "echo" && x.status === "SUCCEEDED" && ISO.test(x.endedAt)))
    // Several statuses, comma-separated, as GET /v1/events takes them.
    const either = await body(await h.request("GET", "/v1/executions?status=RUNNING,SUCCEEDED"))
    assert.deepStrictEqual(either.executions.map((x: Json) => x.status), ["RUNNING", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
    assert.strictEqual(either.executions[0].executionId, waiting)

    const ids: Array<string> = []
    let cursor: string | undefined
    do {
      const page = await body(await h.request("GET", `/v1/executions?limit=3${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`))
      ids.push(...page.executions.map((x: Json) => x.executionId))
      cursor = page.nextCursor
    } while (cursor !== undefined)
    assert.strictEqual(ids.length, 4)
    assert.strictEqual(new Set(ids).size, 4)

    for (const bad of ["status=DONE", "status=RUNNING,", "status=RUNNING,DONE", "status=running", "limit=0", "limit=5000", "function="]) {
      await assertProblem(await h.request("GET", `/v1/executions?${bad}`), 400, "invalid-request")
    }
  })

  it("stops a running execution with an optional error, then refuses to stop it again (409)", async () => {
    const { executionId } = await h.startApproval()
    const res = await h.request("POST", `/v1/executions/${executionId}/stop`, { json: { error: { errorMessage: "cancelled by operator" } } })
    assert.strictEqual(res.status, 200)
    const view = await body(res)
    assert.strictEqual(view.status, "STOPPED")
    assert.deepStrictEqual(view.error, { errorType: "Stopped", errorMessage: "cancelled by operator" })
    const before = await h.snapshot()
    await assertProblem(await h.request("POST", `/v1/executions/${executionId}/stop`, { headers: { "content-type": "application/json" } }), 409, "execution-not-running")
    await assertProblem(await h.request("POST", `/v1/executions/${executionId}/stop`, { json: { error: {} } }), 400, "invalid-request")
    assert.deepStrictEqual(await h.snapshot(), before)

    const { executionId: other } = await h.startApproval(1, "plain-stop")
    const plain = await body(await h.request("POST", `/v1/executions/${other}/stop`, { headers: { "content-type": "application/json" } }))
    assert.strictEqual(plain.status, "STOPPED")
  })

  it("deletes an ended execution (204, no body needed): then GET is 404, the listing leaves it out, a second delete is 404, its name is free", async () => {
    const started = await h.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: "private", executionName: "erase-me" } })
    assert.strictEqual((await body(started)).status, "SUCCEEDED")
    const res = await h.request("DELETE", "/v1/executions/erase-me")
    assert.deepStrictEqual([res.status, await res.text()], [204, ""])
    await assertProblem(await h.request("GET", "/v1/executions/erase-me"), 404, "execution-not-found")
    await assertProblem(await h.request("GET", "/v1/executions/erase-me/history"), 404, "execution-not-found")
    assert.deepStrictEqual((await body(await h.request("GET", "/v1/executions"))).executions, [])
    await assertProblem(await h.request("DELETE", "/v1/executions/erase-me"), 404, "execution-not-found")
    const again = await h.request("POST", "/v1/functions/echo/executions", { json: { input: "other", executionName: "erase-me" } })
    assert.strictEqual(again.status, 201, "a keyed start makes a new execution, as after retention")
  })

  it("refuses to delete a running execution (409: stop it first) and a cross-site or unauthenticated delete, keeping it", async () => {
    const { executionId } = await h.startApproval()
    const before = await h.snapshot()
    const problem = await assertProblem(await h.request("DELETE", `/v1/executions/${executionId}`), 409, "execution-not-ended")
    assert.match(String(problem.detail), /is RUNNING: only an ended execution can be deleted; stop it first/)
    await assertProblem(await h.request("DELETE", `/v1/executions/${executionId}`, { headers: { "sec-fetch-site": "cross-site" } }), 403, "cross-site-request")
    assert.deepStrictEqual(await h.snapshot(), before)
    const keyed = makeHarness({ apiKey: "k".repeat(32) })
    const started = await keyed.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1, executionName: "kept" } })
    assert.strictEqual((await body(started)).status, "SUCCEEDED")
    await assertProblem(await keyed.request("DELETE", "/v1/executions/kept", { anonymous: true }), 401, "unauthorized")
    assert.strictEqual((await keyed.request("GET", "/v1/executions/kept")).status, 200)
    await keyed.dispose()
  })

  it("refuses a stop whose error is over the payload limit with 413, writing nothing and leaving the execution running", async () => {
    const small = makeHarness({ maxPayloadBytes: 1000 })
    const { executionId } = await small.startApproval()
    const before = await small.snapshot()
    await assertProblem(await small.request("POST", `/v1/executions/${executionId}/stop`, { json: { error: { errorMessage: "x".repeat(2000) } } }), 413, "payload-too-large")
    assert.deepStrictEqual(await small.snapshot(), before)
    assert.strictEqual((await body(await small.request("GET", `/v1/executions/${executionId}`))).status, "RUNNING")
    await small.dispose()
  })

  it("answers an unknown route with 404 and a wrong method with 405 and Allow, as problem+json", async () => {
    await assertProblem(await h.request("GET", "/v2/nothing"), 404, "not-found")
    const res = await h.request("PUT", "/v1/executions/abc")
    await assertProblem(res, 405, "method-not-allowed")
    assert.include(res.headers.get("allow") ?? "", "GET")
    const listing = await h.request("GET", "/v1/functions/echo/executions")
    const problem = await assertProblem(listing, 405, "method-not-allowed")
    assert.include(String(problem.detail), "GET /v1/executions?function=echo", "a GET of the start route says where executions are listed")
  })

  it("refuses an unknown body field in the same words on every route, the bodiless ones included", async () => {
    await h.request("POST", "/v1/functions/approval/executions", { json: { executionName: "odd" } })
    for (const [path, json] of [
      ["/v1/executions/odd/pause", { foo: 1 }],
      ["/v1/executions/odd/resume", { foo: 1 }],
      ["/v1/executions/odd/stop", { foo: 1 }],
      ["/v1/executions/odd/rewind", { fromOperation: "1", foo: 1 }]
    ] as const) {
      const problem = await assertProblem(await h.request("POST", path, { json }), 400, "invalid-request")
      assert.strictEqual(problem.detail, `Invalid body: Expected no excess property at ["foo"]`, path)
    }
  })

  it("refuses a stop whose reason is blank (it recorded \"Stopped: \"), leaving the execution running", async () => {
    await h.request("POST", "/v1/functions/approval/executions", { json: { executionName: "blank" } })
    for (const errorMessage of ["", "  "]) {
      const problem = await assertProblem(await h.request("POST", "/v1/executions/blank/stop", { json: { error: { errorMessage } } }), 400, "invalid-request")
      assert.include(String(problem.detail), `leave error out to stop without one) at ["error"]["errorMessage"]`)
    }
    assert.strictEqual((await body(await h.request("GET", "/v1/executions/blank"))).status, "RUNNING")
    const stopped = await body(await h.request("POST", "/v1/executions/blank/stop", { json: {} }))
    assert.deepStrictEqual([stopped.status, stopped.error], ["STOPPED", undefined])
  })

  it("a body sent bare where it belongs under input is refused with a hint saying so", async () => {
    const bare = await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { json: { orderId: "o-2" } }), 400, "invalid-request")
    assert.include(String(bare.detail), "excess property")
    assert.include(String(bare.detail), `goes under "input": {"input": <your JSON>}`)
    const misspelt = await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { json: { input: 1, executionNam: "x" } }), 400, "invalid-request")
    assert.notInclude(String(misspelt.detail), "goes under", "a body with its input gets no such hint")
    // Refused for another of the start's fields, without an input: the hint would send the client the wrong way.
    for (const json of [{ executionName: "a b" }, { priority: 1.5 }]) {
      const refused = await assertProblem(await h.request("POST", "/v1/functions/echo/executions", { json }), 400, "invalid-request")
      assert.notInclude(String(refused.detail), "goes under", `${JSON.stringify(json)} was told to wrap its input`)
    }
  })
})
