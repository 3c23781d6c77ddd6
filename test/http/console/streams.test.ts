/**
 * The console's live updates follow the API's event streams through its own routes (the session in place of the
 * API key): an execution's events from a cursor or Last-Event-ID, every execution's lifecycle changes by function.
 * Where responses are buffered (AppOptions.bufferedResponses) the pages name no stream, and the script polls.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type Harness, makeHarness } from "../http-fixture.ts"
import { openSse, type SseStream } from "../sse-client.ts"

const KEY = "operator-key"
let h: Harness | undefined
afterEach(() => h?.dispose())

const login = async (harness: Harness): Promise<string> => {
  const form = await harness.app.request("/console/login")
  const formCookie = form.headers.get("set-cookie")?.split(";")[0] ?? ""
  const token = /name="form_token" value="([^"]+)"/.exec(await form.text())?.[1] ?? ""
  const res = await harness.app.request("/console/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
    body: new URLSearchParams({ key: KEY, next: "/console", form_token: token }).toString()
  })
  assert.strictEqual(res.status, 303)
  return res.headers.get("set-cookie")?.split(";")[0] ?? ""
}

const inProcess = (harness: Harness) => async (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) =>
  harness.app.request(url, init)

const take = async (stream: SseStream, count: number) => {
  const frames = []
  for (let i = 0; i < count; i++) frames.push((await stream.next())!)
  return frames
}

describe("the console's event streams", () => {
  it("an execution's events, behind the session, from the page's cursor and from Last-Event-ID", async () => {
    const harness = h = makeHarness({ apiKey: KEY })
    const { executionId, callbackId } = await harness.startApproval(5)
    const path = `http://localhost/console/api/v1/executions/${executionId}/events`

    const anonymous = await harness.app.request(path)
    assert.strictEqual(anonymous.status, 401, "no session, no stream")
    assert.strictEqual(anonymous.headers.get("content-type"), "application/problem+json")

    const cookie = await login(harness)
    const shown = await (await harness.app.request(`/console/executions/${executionId}`, { headers: { cookie } })).text()
    const cursor = Number(/data-cursor="(\d+)"/.exec(shown)?.[1])
    assert.include(shown, `data-stream="/console/api/v1/executions/${executionId}/events"`)
    assert.include(shown, "Live updates")

    const fromStart = await openSse(`${path}?cursor=1`, { cookie }, inProcess(harness))
    assert.strictEqual(fromStart.response.headers.get("content-type"), "text/event-stream")
    const first = await take(fromStart, cursor - 1)
    assert.deepStrictEqual(first.map((frame) => Number(frame.id)), Array.from({ length: cursor - 1 }, (_, i) => i + 2))
    await fromStart.close()

    // A reconnect names the last event seen: the rest, and then what is written next.
    const resumed = await openSse(`${path}?cursor=1`, { cookie, "last-event-id": String(cursor) }, inProcess(harness))
    assert.strictEqual((await harness.request("POST", `/v1/callbacks/${callbackId}/succeed`, { json: { result: "ok" } })).status, 204)
    const rest = await resumed.rest()
    assert.strictEqual(Number(rest[0]!.id), cursor + 1, "nothing before the Last-Event-ID again")
    assert.deepStrictEqual(rest.map((frame) => Number(frame.id)), rest.map((_, i) => cursor + 1 + i), "none missed")
    assert.strictEqual(rest.at(-1)!.event, "ExecutionSucceeded", "closed after the end")
  })

  it("every execution's lifecycle changes, by function, for the list", async () => {
    const harness = h = makeHarness({ apiKey: KEY })
    const cookie = await login(harness)
    const list = await (await harness.app.request("/console?function=echo", { headers: { cookie } })).text()
    assert.include(list, `data-stream="/console/api/v1/events?function=echo"`)
    const stream = await openSse("http://localhost/console/api/v1/events?function=echo", { cookie }, inProcess(harness))
    await harness.startApproval(1) // another function: not sent
    await harness.request("POST", "/v1/functions/echo/executions", { json: { input: 1, executionName: "e-1" } })
    const frames = await take(stream, 2)
    assert.deepStrictEqual(frames.map((frame) => frame.event), ["lifecycle", "lifecycle"])
    assert.deepStrictEqual(frames.map((frame) => JSON.parse(frame.data) as { executionId: string; status: string }).map((c) => `${c.executionId} ${c.status}`), [
      "e-1 RUNNING",
      "e-1 SUCCEEDED"
    ])
    await stream.close()
  })

  it("where responses are buffered, the pages name no stream and say they poll", async () => {
    const harness = h = makeHarness({ bufferedResponses: true })
    const { executionId } = await harness.startApproval(1)
    for (const path of ["/console", `/console/executions/${executionId}`]) {
      const text = await (await harness.app.request(path)).text()
      assert.include(text, "<div data-live=", path)
      assert.notInclude(text, "data-stream=", path)
      assert.include(text, "Live refresh every 2 s", path)
    }
  })
})
