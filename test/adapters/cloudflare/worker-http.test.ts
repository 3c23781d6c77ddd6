/**
 * The Reprise Worker in workerd (Miniflare), over HTTP: an order that retries a step after a durable backoff, waits
 * on the Durable Object alarm and resumes on a callback; callbacks forged or completed twice; idempotent starts;
 * stop; delete; listing with pagination.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { API_KEY, bundle, type Client, client, removeDir, startMiniflare, tempDir, until, untilCallback, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client
let script: string

beforeAll(async () => {
  dir = tempDir("http")
  script = await bundle(entry, dir)
  mf = startMiniflare({ scriptPath: script, extraObjects: { STORES: "StoreObject" } })
  api = client(mf)
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

const events = async (id: string) => (await api.history(id)).body.events as Array<Record<string, any>>

describe("the Reprise Worker in workerd", () => {
  it("starts over HTTP, retries a step after a durable backoff, waits on the alarm, resumes on a callback", async () => {
    const started = await api.start("order", { orderId: "o-1" })
    assert.strictEqual(started.status, 201)
    const id = started.body.executionId as string
    assert.strictEqual(started.headers.get("location"), `/v1/executions/${id}`)
    // An id the Worker picks is a version-7 UUID, its start time in front, as the engine's (secure-random.ts).
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.approximately(Number.parseInt(id.replace("-", "").slice(0, 12), 16), Date.now(), 60_000)

    const callbackId = await untilCallback(api, id)
    const log = await events(id)
    const failed = log.find((e) => e._tag === "StepFailed" && e.name === "charge")!
    assert.closeTo(failed.nextAttemptAt - failed.at, 1000, 50, "the retry is a durable 1 s timer")
    const charged = log.find((e) => e._tag === "StepSucceeded" && e.name === "charge")!
    assert.strictEqual(charged.attempt, 2)
    assert.isAtLeast(charged.at, failed.nextAttemptAt, "the second attempt ran when its alarm was due")
    const wait = log.find((e) => e._tag === "WaitStarted")!
    assert.closeTo(wait.until - wait.at, 1000, 50)
    assert.isAtLeast(log.find((e) => e._tag === "WaitSucceeded")!.at, wait.until, "the alarm ended the wait")

    const completed = await api.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "\"parcel-9\"" }, anonymous: true })
    assert.strictEqual(completed.status, 204)
    const done = await untilStatus(api, id)
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.deepStrictEqual(done.result, { charged: { orderId: "o-1", attempt: 2 }, packed: "\"parcel-9\"" })

    const again = await api.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "\"other\"" }, anonymous: true })
    assert.strictEqual(again.status, 409, "a second completion is refused")
    assert.strictEqual(again.body.type, "https://reprise.dev/problems/callback-already-completed")
    const tags = (await events(id)).map((e) => e._tag)
    assert.deepStrictEqual(tags.slice(0, 2), ["ExecutionStarted", "StepFailed"])
    assert.strictEqual(tags.at(-1), "ExecutionSucceeded")
    assert.strictEqual(tags.filter((t) => t === "CallbackSucceeded").length, 1, "the first result is kept")
  }, 60_000)

  it("answers 404 to a forged or altered callback id, without reaching an execution", async () => {
    const started = await api.start("waiter", null)
    const id = started.body.executionId as string
    const callbackId = await untilCallback(api, id)
    const [inner, signature] = callbackId.split(".") as [string, string]
    const flip = (text: string, i: number) => text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1)
    for (const forged of [`${inner}.${flip(signature, 3)}`, `${flip(inner, 5)}.${signature}`, inner, "bm90LWEtY2FsbGJhY2s"]) {
      const res = await api.request("POST", `/v1/callbacks/${forged}/succeed`, { json: { result: "1" }, anonymous: true })
      assert.strictEqual(res.status, 404, forged)
      assert.strictEqual(res.body.type, "https://reprise.dev/problems/callback-not-found")
    }
    assert.strictEqual((await api.describe(id)).body.status, "RUNNING")
    assert.strictEqual((await api.request("POST", `/v1/callbacks/${callbackId}/fail`, { json: { errorMessage: "no" }, anonymous: true })).status, 204)
    assert.strictEqual((await untilStatus(api, id)).status, "FAILED")
  })

  it("starts idempotently through the execution name or the Idempotency-Key header", async () => {
    const first = await api.start("echo", { n: 1 }, { executionName: "echo-once", wait: 5 })
    assert.strictEqual(first.status, 201)
    assert.strictEqual(first.body.executionId, "echo-once")
    assert.deepStrictEqual(first.body.result, { n: 1 })
    const second = await api.start("echo", { n: 1 }, { executionName: "echo-once" })
    assert.strictEqual(second.status, 200)
    assert.strictEqual(second.headers.get("idempotent-replayed"), "true")
    assert.strictEqual(second.body.status, "SUCCEEDED")
    const keyed = await api.request("POST", "/v1/functions/echo/executions", { json: { input: { n: 1 } }, headers: { "idempotency-key": "echo-once" } })
    assert.strictEqual(keyed.status, 200)
    const other = await api.start("echo", { n: 2 }, { executionName: "echo-once" })
    assert.strictEqual(other.status, 409)
    assert.strictEqual(other.body.type, "https://reprise.dev/problems/execution-already-exists")
    assert.strictEqual((await events("echo-once")).filter((e) => e._tag === "ExecutionStarted").length, 1)
    assert.strictEqual((await api.start("nope", 1)).status, 404)
    assert.strictEqual((await api.describe("never-started")).status, 404)
  })

  it("says a timer cannot be fired early here, not which development setting to turn on", async () => {
    const fired = await api.request("POST", "/v1/executions/any/timers/1/fire", { json: {} })
    assert.deepStrictEqual([fired.status, fired.body.type, fired.body.detail], [403, "https://reprise.dev/problems/dev-only", "This runtime cannot fire a timer early"])
  })

  it("takes a deeply nested input as the Node server does: its JSON text crosses to the object, not the value", async () => {
    const post = (body: string) =>
      mf.dispatchFetch("http://reprise.test/v1/functions/echo/executions", {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body
      })
    const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
    // RPC's serializer overflowed on the value (503 store-failure, which no retry could mend).
    const deep = await post(`{"executionName":"deep-input","input":${nested(6000)}}`)
    assert.strictEqual(deep.status, 201, await deep.clone().text())
    const input = (await (await mf.dispatchFetch("http://reprise.test/v1/executions/deep-input", { headers: { authorization: `Bearer ${API_KEY}` } })).text()).match(/"input":(\[+)/)![1]!
    assert.strictEqual(input.length, 6000)
    // Over the 256 KiB input limit: 413, as everywhere (was 503 too).
    const huge = await post(`{"input":${nested(400_000)}}`)
    assert.strictEqual(huge.status, 413, await huge.text())
  })

  // The scoped id must not be looked up in the index: it lags (a changed shard count, a publication lost to a
  // restart), and a repeat that missed it here would start a second execution under the freed name.
  it("a name another function holds gives the scoped id; its repeat finds it, also once the name's own execution is deleted", async () => {
    const first = await api.start("brief", { n: 1 }, { executionName: "shared-name", wait: 5 })
    assert.strictEqual(first.body.executionId, "shared-name")
    const scoped = await api.start("echo", { n: 2 }, { executionName: "shared-name", wait: 5 })
    assert.strictEqual(scoped.status, 201)
    assert.strictEqual(scoped.body.executionId, "shared-name~echo")
    // Retention: "brief" is deleted three seconds after it ended (its object's alarm).
    await until(async () => (await api.describe("shared-name")).status === 404 || undefined, 20_000, "the name's own execution to be deleted")
    const repeat = await api.start("echo", { n: 2 }, { executionName: "shared-name" })
    assert.strictEqual(repeat.status, 200, JSON.stringify(repeat.body))
    assert.strictEqual(repeat.body.executionId, "shared-name~echo", "the repeat, not a new execution under the freed name")
    assert.strictEqual((await api.describe("shared-name")).status, 404)
  })

  it("stops a running execution; a stopped one cannot be stopped or called back again", async () => {
    const id = (await api.start("waiter", null)).body.executionId as string
    const callbackId = await untilCallback(api, id)
    const stopped = await api.request("POST", `/v1/executions/${id}/stop`, { json: { error: { errorMessage: "operator" } } })
    assert.strictEqual(stopped.status, 200)
    assert.strictEqual(stopped.body.status, "STOPPED")
    assert.strictEqual((await api.request("POST", `/v1/executions/${id}/stop`, { json: {} })).status, 409)
    assert.strictEqual((await api.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: {}, anonymous: true })).status, 409)
    assert.strictEqual((await events(id)).at(-1)!._tag, "ExecutionStopped")
  })

  it("deletes an ended execution through its object: 204, then 404 and gone from the index shard's listing, its name free; a running one is 409", async () => {
    const ended = await api.start("echo", { secret: 1 }, { executionName: "erase-me", wait: 5 })
    assert.strictEqual(ended.body.status, "SUCCEEDED")
    const listed = async () => (await api.request("GET", "/v1/executions?function=echo&limit=1000")).body.executions.map((s: { executionId: string }) => s.executionId) as Array<string>
    const deleted = await api.request("DELETE", "/v1/executions/erase-me")
    assert.strictEqual(deleted.status, 204, JSON.stringify(deleted.body))
    assert.strictEqual((await api.describe("erase-me")).status, 404)
    assert.notInclude(await listed(), "erase-me", "the shard's row went with it, not after")
    assert.strictEqual((await api.request("DELETE", "/v1/executions/erase-me")).status, 404)
    const again = await api.start("echo", { secret: 2 }, { executionName: "erase-me", wait: 5 })
    assert.deepStrictEqual([again.status, again.body.status], [201, "SUCCEEDED"], "its object starts a new execution under the name, as after retention")
    await until(async () => ((await listed()).includes("erase-me") ? true : undefined), 20_000, "the new execution's row")

    const running = (await api.start("waiter", null)).body.executionId as string
    const refused = await api.request("DELETE", `/v1/executions/${running}`)
    assert.deepStrictEqual([refused.status, refused.body.type], [409, "https://reprise.dev/problems/execution-not-ended"])
    assert.strictEqual((await api.describe(running)).body.status, "RUNNING")
  })

  it("lists executions newest first, filtered and paginated, from the index objects", async () => {
    const ids: Array<string> = []
    for (let i = 0; i < 7; i++) ids.push((await api.start("waiter", null, { executionName: `listed-${i}` })).body.executionId)
    // The index is eventually consistent: the objects publish their rows right after the start.
    const listedIds = async (query: string) =>
      (await api.request("GET", `/v1/executions?${query}`)).body.executions.map((s: { executionId: string }) => s.executionId) as Array<string>
    await until(async () => (await listedIds("function=waiter&limit=1000")).filter((id) => ids.includes(id)).length === 7 ? true : undefined)
    const seen: Array<{ executionId: string; startedAt: string; status: string }> = []
    let cursor: string | undefined
    let pages = 0
    do {
      const res = await api.request("GET", `/v1/executions?function=waiter&limit=3${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`)
      assert.strictEqual(res.status, 200)
      assert.isAtMost(res.body.executions.length, 3)
      seen.push(...res.body.executions)
      cursor = res.body.nextCursor
      pages++
    } while (cursor !== undefined)
    const listed = seen.map((s) => s.executionId)
    assert.strictEqual(new Set(listed).size, listed.length, "no row twice")
    for (const id of ids) assert.include(listed, id)
    assert.isAtLeast(pages, 3)
    for (let i = 1; i < seen.length; i++) assert.isTrue(seen[i - 1]!.startedAt >= seen[i]!.startedAt, "newest first")

    const beforeStop = new Date().toISOString()
    await api.request("POST", `/v1/executions/listed-3/stop`, { json: {} })
    await until(async () => ((await listedIds("function=waiter&status=STOPPED&limit=100")).includes("listed-3") ? true : undefined))
    // By end time, over the index objects' rows: the one stopped since, none of those still waiting.
    assert.deepStrictEqual((await listedIds(`function=waiter&endedAfter=${beforeStop}&limit=100`)).filter((id) => ids.includes(id)), ["listed-3"])
    const stopped = await api.request("GET", "/v1/executions?function=waiter&status=STOPPED&limit=100")
    assert.isTrue(stopped.body.executions.every((s: { status: string }) => s.status === "STOPPED"))
    const all = await api.request("GET", "/v1/executions?limit=1000")
    assert.includeMembers(all.body.executions.map((s: { executionId: string }) => s.executionId), ids)
    assert.strictEqual((await api.request("GET", "/v1/executions", { anonymous: true })).status, 401)
    // The Worker's app decodes the query as the Node server's does: a range that holds no instant is refused.
    const inverted = await api.request("GET", "/v1/executions?startedAfter=2026-05-02T00:00:00Z&startedBefore=2026-05-01T00:00:00Z")
    assert.deepStrictEqual([inverted.status, inverted.body.type], [400, "https://reprise.dev/problems/invalid-request"])
    assert.include(inverted.body.detail, "startedAfter earlier than startedBefore")
  })

  it("rebuilds the index from the execution objects: ghost rows go, real rows stay; the route is in the OpenAPI document", async () => {
    const id = (await api.start("echo", { n: 7 }, { executionName: "indexed-1", wait: 5 })).body.executionId as string
    const shards = (await mf.getDurableObjectNamespace("EXECUTION_INDEX")) as unknown as { getByName(name: string): { upsert(row: object, seq: number): Promise<void> } }
    const ghost = { executionId: "ghost-1", functionName: "echo", status: "RUNNING", startedAt: Date.now() }
    for (let i = 0; i < 3; i++) await shards.getByName(`shard-${i}`).upsert(ghost, 1)
    const listed = async () => (await api.request("GET", "/v1/executions?function=echo&limit=1000")).body.executions.map((s: { executionId: string }) => s.executionId)
    await until(async () => ((await listed()).includes(id) ? true : undefined))
    assert.include(await listed(), "ghost-1")
    assert.strictEqual((await api.request("POST", "/v1/admin/reindex", { anonymous: true })).status, 401)
    assert.strictEqual((await api.request("POST", "/v1/admin/reindex", { headers: { "content-type": "text/plain" } })).status, 415, "a write, as on the API")
    assert.strictEqual((await api.request("POST", "/v1/admin/reindex", { headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" } })).status, 403)
    const report = await api.request("POST", "/v1/admin/reindex", { headers: { "content-type": "application/json" } })
    assert.strictEqual(report.status, 200)
    assert.strictEqual(report.body.removed, 3)
    assert.notInclude(await listed(), "ghost-1")
    assert.include(await listed(), id)
    // A count written otherwise than in decimal digits is refused, not read as Number() would (0x10 as 16).
    for (const bad of ["0x10", "1e1", "%202", "2.0", "0", "1025"]) {
      const refused = await api.request("POST", `/v1/admin/reindex?fromShards=${bad}`, { headers: { "content-type": "application/json" } })
      assert.strictEqual(refused.status, 400, `fromShards=${bad}`)
      assert.strictEqual(refused.body.type, "https://reprise.dev/problems/invalid-request")
    }
    // Another method is 405 with Allow, as on the API's routes.
    const got = await api.request("GET", "/v1/admin/reindex", { anonymous: true })
    assert.strictEqual(got.status, 405)
    assert.strictEqual(got.headers.get("allow"), "POST")
    // The route is in the Worker's OpenAPI document, beside the API's own routes.
    const document = (await api.request("GET", "/v1/openapi.json", { anonymous: true })).body
    assert.strictEqual(document.paths["/v1/admin/reindex"].post.operationId, "reindex")
    assert.property(document.paths, "/v1/executions")
  })

  it("a REPRISE_API_KEY no client could send as a Bearer token is refused on every request as problem+json, naming the secret", async () => {
    // docs/cloudflare.md once said any visible-ASCII string would do; such a key made every request, /healthz too,
    // a bare text/plain 500 carrying the app's TypeError, and nothing in the Worker's log.
    const logged: Array<string> = []
    const odd = startMiniflare({ scriptPath: script, bindings: { REPRISE_API_KEY: "p@ss word!" }, onLog: (line) => void logged.push(line.message) })
    try {
      for (const path of ["/healthz", "/v1/functions", "/console/login"]) {
        const res = await odd.dispatchFetch(`http://reprise.test${path}`, { headers: { authorization: "Bearer p@ss word!" } })
        assert.strictEqual(res.status, 500, path)
        assert.strictEqual(res.headers.get("content-type"), "application/problem+json", path)
        const body = await res.json() as { detail: string }
        assert.match(body.detail, /^REPRISE_API_KEY must be an RFC 6750 token/, path)
        assert.notInclude(body.detail, "p@ss word!", "the answer does not show the key")
      }
      const said = await until(async () => logged.find((line) => line.includes("REPRISE_API_KEY must be")), 10_000, "the refusal's line")
      assert.notInclude(said, "p@ss word!", "nor does the log")
    } finally {
      await odd.dispose()
    }
  }, 60_000)
})
