/**
 * GET /v1/executions/:id/events on the Reprise Worker in workerd (Miniflare): the Worker has no engine, so the
 * stream polls the execution object's history (watch-by-polling.ts). A client that connects mid-execution and one
 * that drops and reconnects with Last-Event-ID each see every event once, in order, up to the terminal event.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { openSse, type Fetcher, type SseFrame } from "../../http/sse-client.ts"
import { API_KEY, bundle, type Client, client, removeDir, startMiniflare, tempDir, untilCallback } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client
let fetcher: Fetcher

beforeAll(async () => {
  dir = tempDir("sse")
  mf = startMiniflare({ scriptPath: await bundle(entry, dir), extraObjects: { STORES: "StoreObject" } })
  api = client(mf)
  fetcher = (url, init) => mf.dispatchFetch(url, { headers: { ...init.headers, authorization: `Bearer ${API_KEY}` } }) as unknown as Promise<Response>
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

const seqs = (frames: ReadonlyArray<SseFrame>) => frames.map((frame) => Number(frame.id))

describe("the event stream (SSE) on the Worker", () => {
  it("mid-execution and after a reconnect with Last-Event-ID: every event once, in order, then the end", async () => {
    const id = (await api.start("order", { orderId: "sse-1" })).body.executionId as string
    const url = `http://reprise.test/v1/executions/${id}/events`
    const staying = await openSse(url, {}, fetcher)
    assert.strictEqual(staying.response.status, 200)
    const leaving = await openSse(url, {}, fetcher)
    const before = [(await leaving.next())!, (await leaving.next())!]
    await leaving.close()

    const callbackId = await untilCallback(api, id) // the retry and the wait happened meanwhile
    const back = await openSse(url, { "last-event-id": before.at(-1)!.id! }, fetcher)
    const backFirst = (await back.next())!
    const completed = await api.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "\"parcel\"" }, anonymous: true })
    assert.strictEqual(completed.status, 204)

    const stayed = await staying.rest()
    const returned = [backFirst, ...(await back.rest())]
    const all = (await api.history(id)).body.events as Array<{ seq: number; _tag: string }>
    const expected = all.map((event) => event.seq)
    assert.strictEqual(all.at(-1)?._tag, "ExecutionSucceeded")
    assert.deepStrictEqual(seqs(stayed), expected, "the client that stayed saw each event once, in order")
    assert.deepStrictEqual([...seqs(before), ...seqs(returned)], expected, "the client that came back missed none and saw none twice")
    assert.deepStrictEqual(stayed.map((frame) => frame.event), all.map((event) => event._tag))

    const again = await fetcher(url, { headers: { "last-event-id": String(expected.at(-1)) } })
    assert.strictEqual(again.status, 204)
  })

  it("the console follows the same stream behind its session (its live updates)", async () => {
    const id = (await api.start("order", { orderId: "sse-console" })).body.executionId as string
    const send = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
      mf.dispatchFetch(`http://reprise.test${path}`, { ...init, redirect: "manual" }) as unknown as Promise<Response>
    const form = await send("/console/login")
    const formCookie = form.headers.get("set-cookie")?.split(";")[0] ?? ""
    const token = /name="form_token" value="([^"]+)"/.exec(await form.text())?.[1] ?? ""
    const loggedIn = await send("/console/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
      body: new URLSearchParams({ key: API_KEY, next: "/console", form_token: token }).toString()
    })
    assert.strictEqual(loggedIn.status, 303)
    const cookie = loggedIn.headers.get("set-cookie")?.split(";")[0] ?? ""
    const shown = await (await send(`/console/executions/${id}`, { headers: { cookie } })).text()
    assert.include(shown, `data-stream="/console/api/v1/executions/${id}/events"`)

    const viaConsole: Fetcher = (url, init) => mf.dispatchFetch(url, { headers: { ...init.headers, cookie } }) as unknown as Promise<Response>
    const stream = await openSse(`http://reprise.test/console/api/v1/executions/${id}/events?cursor=0`, {}, viaConsole)
    assert.strictEqual(stream.response.headers.get("content-type"), "text/event-stream")
    const first = [(await stream.next())!, (await stream.next())!]
    assert.deepStrictEqual(seqs(first), [1, 2])
    assert.strictEqual(first[0]!.event, "ExecutionStarted")
    await stream.close()
  })
})
