/**
 * The executions' log lines inside Durable Objects: the engine in each execution's object writes its life as JSON
 * lines on the console (what Workers Logs and `wrangler tail` collect), annotated with the execution and function.
 * Driven over the Worker's HTTP API in Miniflare; the lines are workerd's own output.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, type Client, client, removeDir, startMiniflare, tempDir, until, untilCallback } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client
const lines: Array<{ level: string; message: string }> = []

beforeAll(async () => {
  dir = tempDir("lifecycle-logs")
  mf = startMiniflare({ scriptPath: await bundle(entry, dir), onLog: (line) => void lines.push(line) })
  api = client(mf)
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

interface Line {
  readonly level: string
  readonly message: string
  readonly executionId?: string
  readonly functionName?: string
  readonly operationId?: string
}

/** The JSON lines written for one execution. */
const linesOf = (executionId: string): Array<Line> =>
  lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line.message) as Line
      return parsed.executionId === executionId ? [parsed] : []
    } catch {
      return []
    }
  })

describe("the executions' log lines in Durable Objects", () => {
  it("logs the start, a failed attempt with its retry, the suspensions and the end, once each, as JSON", async () => {
    const started = await api.start("order", { orderId: "o-1" }, { executionName: "logged-order" })
    assert.strictEqual(started.status, 201)
    await untilCallback(api, "logged-order")
    const stopped = await api.request("POST", "/v1/executions/logged-order/stop", { json: {} })
    assert.strictEqual(stopped.status, 200)
    const mine = await until(async () => {
      const found = linesOf("logged-order")
      return found.some((line) => line.message.startsWith("ended STOPPED")) ? found : undefined
    }, 20_000, "the end's line")
    const messages = mine.map((line) => line.message)
    const index = (prefix: string) => messages.findIndex((message) => message.startsWith(prefix))
    assert.strictEqual(messages[0], "started")
    const retry = mine[index("step \"charge\" failed on attempt 1")]
    assert.isDefined(retry, messages.join("\n"))
    assert.strictEqual(retry!.level, "warn")
    assert.include(retry!.message, "payment gateway unavailable")
    assert.include(retry!.message, "retries at")
    assert.strictEqual(retry!.functionName, "order")
    assert.isString(retry!.operationId)
    assert.isAbove(index("suspended until"), index("step \"charge\" failed"), "the wait after the retried step")
    assert.isAbove(index("suspended on"), index("suspended until"), "then the callback")
    assert.strictEqual(messages.at(-1)!.startsWith("ended STOPPED"), true)
    // Each line once: the object's replays (after each alarm) log nothing of what they replay.
    assert.strictEqual(new Set(messages).size, messages.length, messages.join("\n"))
  }, 60_000)
})
