/**
 * Flow control on Cloudflare (docs/flow-control.md): each function's FlowObject counts the executions, each in its own
 * Durable Object, in workerd (Miniflare). Step bodies report to a Meter object, which the tests read.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, client, type Client, removeDir, startMiniflare, tempDir, until, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/flow-worker.ts", import.meta.url))
const objects = { FLOW_CONTROL: "FlowObject", METER: "Meter" }
const dirs: Array<string> = []
let mf: Miniflare
let api: Client
let scriptPath: string

interface Stats {
  running: Record<string, Array<string>>
  max: Record<string, number>
  maxAll: number
  entered: Record<string, number>
  firstAt: Record<string, number>
}
const meter = async (): Promise<Stats> => (await api.request("GET", "/test/meter")).body

type Event = { _tag: string; at: number; queue?: { priority: number } }
const events = async (id: string): Promise<Array<Event>> => (await api.history(id)).body.events

const startAs = (fn: string, id: string, input: unknown, priority?: number) =>
  api.request("POST", `/v1/functions/${fn}/executions`, { json: { input, executionName: id, ...(priority === undefined ? {} : { priority }) } })

const allDone = (ids: ReadonlyArray<string>, timeoutMs: number) =>
  until(async () => {
    const views = await Promise.all(ids.map(async (id) => (await api.describe(id)).body))
    return views.every((v) => v.status === "SUCCEEDED") ? views : undefined
  }, timeoutMs, `${ids.length} executions to succeed`)

beforeAll(async () => {
  const build = tempDir("flow-build")
  dirs.push(build)
  scriptPath = await bundle(entry, build)
  mf = startMiniflare({ scriptPath, extraObjects: objects, onLog: (line) => void lines.push(line.message) })
  api = client(mf)
})

/** What the Worker and its objects log, one line each. */
const lines: Array<string> = []
/** The JSON lines among them (the objects' own lines are JSON, as the executions' lives are). */
const jsonLines = (from: ReadonlyArray<string> = lines): Array<Record<string, unknown>> =>
  from.flatMap((line) => {
    try {
      const parsed: unknown = JSON.parse(line)
      return typeof parsed === "object" && parsed !== null ? [parsed as Record<string, unknown>] : []
    } catch {
      return []
    }
  })

afterAll(async () => {
  await mf?.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

describe("flow control on Cloudflare", () => {
  it("50 executions under concurrency 3: at most 3 run step bodies at once, all finish, FIFO within a priority", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `lim-${String(i).padStart(2, "0")}`)
    const priorityOf = (i: number) => (i % 5 === 4 ? 10 : 0)
    // The first 3 take the slots and hold them until the gate opens: the other 47 are queued, in this order.
    for (const [i, id] of ids.entries()) {
      const res = await startAs("limited", id, { id, ...(i < 3 ? { gate: "limited" } : {}) }, priorityOf(i))
      assert.strictEqual(res.status, 201, JSON.stringify(res.body))
      assert.strictEqual(res.body.status ?? (await api.describe(id)).body.status, i < 3 ? "RUNNING" : "QUEUED", id)
    }
    await api.request("POST", "/test/gate/limited")
    await allDone(ids, 90_000)
    const stats = await meter()
    assert.strictEqual(stats.max.limited, 3, "never more than 3 step bodies at once (and the limit was reached)")
    for (const id of ids) assert.strictEqual(stats.entered[id], 2, `${id} ran each of its 2 step bodies once`)

    // FIFO within a priority: the time each left the queue (or started) follows the order of the starts.
    const ranAt = new Map<string, number>()
    for (const id of ids) {
      const log = await events(id)
      ranAt.set(id, (log.find((e) => e._tag === "ExecutionDequeued") ?? log[0]!).at)
    }
    for (const p of [0, 10]) {
      const times = ids.filter((_, i) => priorityOf(i) === p).map((id) => ranAt.get(id)!)
      for (let i = 1; i < times.length; i++) assert.isAtLeast(times[i]!, times[i - 1]!, `priority ${p}: FIFO at ${i}`)
    }
    // Priority: every queued priority-10 start left the queue before any queued priority-0 one.
    const queuedIds = ids.slice(3)
    const lastHigh = Math.max(...queuedIds.filter((_, i) => priorityOf(i + 3) === 10).map((id) => ranAt.get(id)!))
    const firstLow = Math.min(...queuedIds.filter((_, i) => priorityOf(i + 3) === 0).map((id) => ranAt.get(id)!))
    assert.isAtMost(lastHigh, firstLow)
  }, 120_000)

  it("a key per customer: each customer's cap holds on its own", async () => {
    const ids: Array<string> = []
    const starts: Array<Promise<unknown>> = []
    for (const customer of ["acme", "globex", "initech"]) {
      for (let i = 0; i < 6; i++) {
        const id = `cust-${customer}-${i}`
        ids.push(id)
        starts.push(startAs("per-customer", id, { customer, id }))
      }
    }
    await Promise.all(starts)
    await allDone(ids, 60_000)
    const stats = await meter()
    for (const customer of ["acme", "globex", "initech"]) {
      assert.strictEqual(stats.max[`customer:${customer}`], 2, `${customer}: at most 2 at once, and 2 reached`)
    }
    for (const id of ids) assert.strictEqual(stats.entered[id], 1)
  }, 90_000)

  it("a rate limit of 5 per second: no more than 5 starts in any second, each once", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `rate-${i}`)
    await Promise.all(ids.map((id) => startAs("rated", id, { id })))
    await allDone(ids, 30_000)
    const stats = await meter()
    const ranNow: Array<number> = []
    const dequeuedAt: Array<number> = []
    for (const id of ids) {
      assert.strictEqual(stats.entered[id], 1, `${id} ran once`)
      const log = await events(id)
      const dequeued = log.find((e) => e._tag === "ExecutionDequeued")
      if (dequeued === undefined) ranNow.push(log[0]!.at)
      else dequeuedAt.push(dequeued.at)
    }
    // The FlowObject's window: at most 5 ran at once, the rest left the queue at most 5 in any second (its clock,
    // written as ExecutionDequeued's time).
    assert.isAtMost(ranNow.length, 5)
    assert.isAtLeast(dequeuedAt.length, 7)
    dequeuedAt.sort((a, b) => a - b)
    for (let i = 5; i < dequeuedAt.length; i++) assert.isAtLeast(dequeuedAt[i]! - dequeuedAt[i - 5]!, 1000, `dequeues ${i - 5} and ${i} are a period apart`)
    assert.isAtLeast(dequeuedAt.at(-1)! - dequeuedAt[0]!, 1000, "12 starts at 5 per second take more than a second")
  }, 60_000)

  it("a refusing rate limit counts the queued starts: concurrency 1, 2 a minute, 5 starts: 1 runs, 1 waits, 3 get 429", async () => {
    const ids = ["rf-0", "rf-1", "rf-2", "rf-3", "rf-4"]
    const answers = []
    for (const [i, id] of ids.entries()) answers.push(await startAs("refusing", id, { id, ...(i === 0 ? { gate: "rf" } : {}) }))
    assert.deepStrictEqual(answers.map((a) => a.status), [201, 201, 429, 429, 429], JSON.stringify(answers.map((a) => a.body)))
    assert.strictEqual((await api.describe("rf-0")).body.status, "RUNNING")
    assert.strictEqual((await api.describe("rf-1")).body.status, "QUEUED")
    for (const [i, refused] of answers.slice(2).entries()) {
      assert.match(refused.headers.get("content-type") ?? "", /^application\/problem\+json/)
      assert.strictEqual(refused.body.type, "https://reprise.dev/problems/too-many-requests")
      // rf-1 takes the window's second place when it leaves the queue: room again once rf-0's start is a minute old.
      const retryAfter = Number(refused.headers.get("retry-after"))
      assert.isAtLeast(retryAfter, 1)
      assert.isAtMost(retryAfter, 60)
      assert.strictEqual((await api.describe(ids[i + 2]!)).status, 404, "a refused start writes nothing")
    }
    await api.request("POST", "/test/gate/rf")
    await allDone(["rf-0", "rf-1"], 30_000)
  }, 60_000)

  it("a debounced function whose rate limit refuses: the queued starts count; a start that collapses is never refused", async () => {
    const start = (customer: string) => api.request("POST", "/v1/functions/debounced-refusing/executions", { json: { input: { customer } } })
    const a = await start("a")
    assert.strictEqual(a.status, 201)
    assert.strictEqual((await start("a")).status, 200, "collapsed into a's")
    assert.strictEqual((await start("b")).status, 201)
    // a and b are queued (debouncing): each takes a place in the window of 2 when it leaves the queue.
    const c = await start("c")
    assert.strictEqual(c.status, 429, JSON.stringify(c.body))
    const retryAfter = Number(c.headers.get("retry-after"))
    assert.isAtLeast(retryAfter, 59, "2 queued for a limit of 2: a whole period")
    assert.isAtMost(retryAfter, 60)
    const again = await start("a")
    assert.strictEqual(again.status, 200, JSON.stringify(again.body))
    assert.strictEqual(again.body.executionId, a.body.executionId)
  }, 60_000)

  it("a QUEUED execution shows its place, can be stopped, and the rest runs", async () => {
    assert.strictEqual((await startAs("gated", "gate-1", { id: "gate-1", gate: "g1" })).status, 201)
    await until(async () => ((await meter()).running.gated?.includes("gate-1") ? true : undefined), 10_000, "gate-1 to hold its step")
    const second = await startAs("gated", "gate-2", { id: "gate-2" })
    assert.deepStrictEqual(second.body.status ?? "QUEUED", "QUEUED")
    await startAs("gated", "gate-3", { id: "gate-3" })
    const view3 = (await api.describe("gate-3")).body
    assert.strictEqual(view3.status, "QUEUED")
    assert.strictEqual(view3.queuePosition, 2)
    // A start that waits for its answer (?wait) still goes through the queue.
    const waited = await api.request("POST", "/v1/functions/gated/executions?wait=1", { json: { input: { id: "gate-4" }, executionName: "gate-4" } })
    assert.strictEqual(waited.status, 202, JSON.stringify(waited.body))
    assert.strictEqual(waited.body.status, "QUEUED")
    assert.strictEqual(waited.body.queuePosition, 3)

    // The listing (index objects, eventually consistent) shows them QUEUED with their places.
    await until(async () => {
      const queued = (await api.request("GET", "/v1/executions?function=gated&status=QUEUED")).body.executions
      const places = queued.map((s: { executionId: string; queuePosition?: number }) => `${s.executionId}#${s.queuePosition}`).sort().join(" ")
      return places === "gate-2#1 gate-3#2 gate-4#3" ? true : undefined
    }, 10_000, "the listing to show gate-2, gate-3 and gate-4 QUEUED with their places")

    const stop = await api.request("POST", "/v1/executions/gate-2/stop", { json: {} })
    assert.isBelow(stop.status, 300, JSON.stringify(stop.body))
    const stopped = (await api.describe("gate-2")).body
    assert.strictEqual(stopped.status, "STOPPED")
    assert.deepStrictEqual((await events("gate-2")).map((e) => e._tag), ["ExecutionStarted", "ExecutionStopped"])
    assert.strictEqual((await api.describe("gate-3")).body.queuePosition, 1)
    assert.strictEqual((await api.request("POST", "/v1/executions/gate-3/pause", { json: {} })).status, 409)

    await api.request("POST", "/test/gate/g1")
    await allDone(["gate-1", "gate-3", "gate-4"], 30_000)
    const stats = await meter()
    assert.strictEqual(stats.max.gated, 1)
    assert.isUndefined(stats.entered["gate-2"], "the stopped execution never ran")
    assert.strictEqual((await untilStatus(api, "gate-2", "STOPPED")).status, "STOPPED")
  }, 60_000)

  it("debounce: starts of one key within the period collapse into one execution with the last input", async () => {
    const first = await api.request("POST", "/v1/functions/debounced/executions", { json: { input: { customer: "d", n: 1 } } })
    assert.strictEqual(first.status, 201)
    const id = first.body.executionId as string
    for (const n of [2, 3]) {
      const again = await api.request("POST", "/v1/functions/debounced/executions", { json: { input: { customer: "d", n } } })
      assert.strictEqual(again.status, 200)
      assert.strictEqual(again.body.executionId, id)
    }
    const other = await api.request("POST", "/v1/functions/debounced/executions", { json: { input: { customer: "e", n: 9 } } })
    assert.notStrictEqual(other.body.executionId, id, "another key is another execution")
    const done = await untilStatus(api, id, "SUCCEEDED", 20_000)
    assert.strictEqual(done.result, 3)
    assert.strictEqual((await events(id)).filter((e) => e._tag === "ExecutionInputReplaced").length, 2)
    const stats = await meter()
    assert.strictEqual(stats.entered["d:3"], 1)
    assert.isUndefined(stats.entered["d:1"])
    assert.isUndefined(stats.entered["d:2"])
  }, 60_000)

  it("a child invoked by a parent starts through its function's FlowObject", async () => {
    const ids = ["call-1", "call-2", "call-3", "call-4"]
    await Promise.all(ids.map((id) => startAs("caller", id, { customer: "kids", id })))
    const views = await allDone(ids, 60_000)
    assert.deepStrictEqual(views.map((v) => v.result), ids.map((id) => `${id}:${id}-child`))
    assert.isAtMost((await meter()).max["customer:kids"]!, 2)
  }, 90_000)

  it("a step-level limit holds across executions (a FlowObject per concurrencyKey)", async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `cap-${i}`)
    await Promise.all(ids.map((id) => startAs("capped", id, { id })))
    await allDone(ids, 60_000)
    const stats = await meter()
    assert.strictEqual(stats.max.api, 2, "never more than 2 bodies of the key at once, and 2 reached")
    for (const id of ids) {
      assert.strictEqual(stats.entered[id], 1)
      assert.strictEqual(stats.entered[`${id}/again`], 1)
    }
  }, 90_000)

  // A request reaching cg-2's object between the reset and the token's turn (a describe) makes the new instance,
  // which gives the waiting token back before its turn: that one resumes the execution itself (one run in four
  // waited for the watchdog before). Both orders end here well before the watchdog.
  it("a step waiting for a key's token when its object restarts runs when the token comes, not at its watchdog", { timeout: 60_000 }, async () => {
    assert.strictEqual((await startAs("capped-gated", "cg-1", { id: "cg-1", gate: "cg" })).status, 201)
    await until(async () => ((await meter()).running.held?.includes("cg-1") ? true : undefined), 10_000, "cg-1 to hold the token")
    assert.strictEqual((await startAs("capped-gated", "cg-2", { id: "cg-2" })).status, 201)
    await until(async () => {
      const waiting: Array<string> = (await api.request("GET", "/test/step-waiting/held")).body
      return waiting.some((token) => token.startsWith("cg-2#")) ? true : undefined
    }, 10_000, "cg-2's body to wait for a token")
    // workerd drops an object's instance when no request is in flight: cg-2's waiting body goes with it.
    const reset = (await api.request("POST", "/test/reset/cg-2")).body
    assert.match(reset.error, /reset by the test/)
    await api.request("POST", "/test/gate/cg")
    // The token reaches cg-2's new instance, which resumes the execution; its watchdog is 30 s after its start.
    const view = await untilStatus(api, "cg-2", "SUCCEEDED", 15_000)
    assert.strictEqual(view.result, "cg-2")
    const stats = await meter()
    assert.strictEqual(stats.max.held, 1, "one body of the key at a time")
    assert.strictEqual(stats.entered["cg-2"], 1, "cg-2's body ran once: it had not begun when its object restarted")
  })

  it("an invoked child stopped while it waits in its queue ends its parent's invoke", async () => {
    assert.strictEqual((await startAs("gated", "hold-2", { id: "hold-2", gate: "g2" })).status, 201)
    await until(async () => ((await meter()).running.gated?.includes("hold-2") ? true : undefined), 10_000, "hold-2 to hold its step")
    assert.strictEqual((await startAs("gated-caller", "gc-1", { id: "gc-1" })).status, 201)
    const child = await until(async () => {
      const queued = (await api.request("GET", "/v1/executions?function=gated&status=QUEUED")).body.executions as Array<{ executionId: string }>
      return queued.find((s) => s.executionId.startsWith("gc-1"))?.executionId
    }, 10_000, "the child to be queued")
    assert.isBelow((await api.request("POST", `/v1/executions/${encodeURIComponent(child)}/stop`, { json: {} })).status, 300)
    const parent = await untilStatus(api, "gc-1", "SUCCEEDED", 20_000)
    assert.match(parent.result, /^child failed: /)
    await api.request("POST", "/test/gate/g2")
    await untilStatus(api, "hold-2", "SUCCEEDED", 20_000)
  }, 60_000)

  it("a slot counted for an execution that does not run is given back while starts wait", async () => {
    const held = await api.request("POST", "/test/ghost/gated/ghost-1")
    assert.isTrue(held.body.held)
    assert.strictEqual((await startAs("gated", "after-ghost", { id: "after-ghost" })).status, 201)
    assert.strictEqual((await api.describe("after-ghost")).body.status, "QUEUED", "the slot is counted for ghost-1")
    // The FlowObject's backstop alarm (30 s) finds ghost-1 unknown to its object and gives the slot back.
    await untilStatus(api, "after-ghost", "SUCCEEDED", 50_000)
    // The FlowObject says so in a line of the host's log: JSON, at the warning level, naming the execution.
    const said = jsonLines().find((line) => line.executionId === "ghost-1" && String(line.message).includes("without running: given back"))
    assert.strictEqual(said?.level, "warn", JSON.stringify(said))
  }, 70_000)

  it("a Worker whose functions declare limits, without the FLOW_CONTROL binding, refuses every request naming it", async () => {
    const logged: Array<string> = []
    const bare = startMiniflare({ scriptPath, extraObjects: { METER: "Meter" }, onLog: (line) => void logged.push(line.message) })
    try {
      const res = await client(bare).start("limited", { id: "unbound" })
      assert.strictEqual(res.status, 500)
      assert.match(res.body.detail, /FLOW_CONTROL/)
      assert.match(res.body.detail, /limited/)
      // The Worker's log says it too, as one JSON line with the error's fields (Workers Logs keeps it as an object).
      const said = await until(async () => jsonLines(logged).find((line) => line.errorType === "FlowConfigError"), 10_000, "the refusal's line")
      assert.strictEqual(said.level, "error")
      assert.match(String(said.errorMessage), /FLOW_CONTROL/)
      assert.isArray(said.stackTrace)
    } finally {
      await bare.dispose()
    }
  }, 60_000)
})
