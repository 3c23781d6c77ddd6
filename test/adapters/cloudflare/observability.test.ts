/**
 * Observability on the Reprise Worker in workerd (Miniflare): each Durable Object logs its execution's life as JSON
 * lines on the console (what Workers Logs keeps), and GET /v1/executions/:id/emissions streams what ctx.emit recorded (the Worker
 * polls the object's history), resumable with Last-Event-ID.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { openSse, type Fetcher } from "../../http/sse-client.ts"
import { API_KEY, bundle, type Client, client, removeDir, startMiniflare, tempDir, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client
let fetcher: Fetcher
const output: Array<string> = []

beforeAll(async () => {
  dir = tempDir("observe")
  mf = startMiniflare({
    scriptPath: await bundle(entry, dir),
    extraObjects: { STORES: "StoreObject" },
    onLog: (log) => output.push(...log.message.split("\n"))
  })
  api = client(mf)
  fetcher = (url, init) => mf.dispatchFetch(url, { headers: { ...init.headers, authorization: `Bearer ${API_KEY}` } }) as unknown as Promise<Response>
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

/** The JSON log lines of one execution. */
const linesOf = (executionId: string) =>
  output.flatMap((line) => {
    const at = line.indexOf("{")
    if (at < 0) return []
    try {
      const parsed = JSON.parse(line.slice(at)) as { executionId?: string; message?: string; level?: string; functionName?: string }
      return parsed.executionId === executionId ? [parsed] : []
    } catch {
      return []
    }
  })

describe("observability on the Worker", () => {
  it("the Durable Object logs the execution's life as JSON lines", async () => {
    const id = (await api.start("echo", { hello: 1 })).body.executionId as string
    await untilStatus(api, id)
    // The runtime's output arrives a little after the response: wait (bounded) for the last line.
    for (let i = 0; i < 200 && !linesOf(id).some((l) => l.message?.startsWith("ended")); i++) await new Promise((r) => setTimeout(r, 25))
    const lines = linesOf(id)
    assert.deepStrictEqual(lines.map((l) => l.message?.replace(/ in .*$/, "")), ["started", "ended SUCCEEDED"])
    assert.isTrue(lines.every((l) => l.functionName === "echo" && l.level === "info"))
  }, 60_000)

  it("streams emissions, and a client that reconnects with Last-Event-ID gets the rest once", async () => {
    const words = ["alpha", "beta", "gamma"]
    const id = (await api.start("emitter", { words })).body.executionId as string
    const url = `http://reprise.test/v1/executions/${id}/emissions`
    const first = await openSse(url, {}, fetcher)
    assert.strictEqual(first.response.status, 200)
    const one = (await first.next())!
    assert.strictEqual(one.event, "emission")
    await first.close()
    const rest = await openSse(url, { "last-event-id": one.id! }, fetcher)
    const frames = [one, ...(await rest.rest())]
    assert.deepStrictEqual(frames.map((f) => (JSON.parse(f.data) as { value: { word: string } }).value.word), words)
    assert.strictEqual(new Set(frames.map((f) => f.id)).size, 3)
    const after = await fetcher(url, { headers: { "last-event-id": frames.at(-1)!.id! } })
    assert.strictEqual(after.status, 204)
  }, 60_000)
})
