/**
 * The FlowObject's state (flow-queue.ts) and a step limit's (step-gate.ts), outside workerd: decisions, and that a
 * new instance over the same storage (a restarted object) finds the state as it was. The storage is a Map with the
 * synchronous KV API of SQLite-backed Durable Objects (what these classes use of it).
 */
import { assert, describe, it } from "@effect/vitest"
import type { SyncKvStorage } from "../../../adapters/cloudflare/cf-types.ts"
import { type Entry, FlowQueue } from "../../../adapters/cloudflare/flow-queue.ts"
import { StepGate } from "../../../adapters/cloudflare/step-gate.ts"

const memoryKv = (): SyncKvStorage => {
  const map = new Map<string, unknown>()
  return {
    get: <T>(key: string) => (map.has(key) ? structuredClone(map.get(key)) as T : undefined),
    put: (key, value) => void map.set(key, structuredClone(value)),
    delete: (key) => map.delete(key),
    list: <T>(options?: { prefix?: string }) =>
      [...map].filter(([key]) => key.startsWith(options?.prefix ?? "")).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, structuredClone(v) as T] as [string, T])
  }
}

const entry = (queue: FlowQueue, executionId: string, priority: number, queuedAt: number, keys: Partial<Entry> = {}): Entry => {
  const e: Entry = { executionId, priority, queuedAt, order: queue.nextOrder(), notBefore: 0, concurrencyKey: "", ...keys }
  queue.put(e)
  return e
}

describe("FlowQueue", () => {
  it("orders by priority, then queue time, then arrival, and survives a new instance", () => {
    const kv = memoryKv()
    const queue = new FlowQueue(kv, { concurrency: { limit: 2 } })
    entry(queue, "a", 0, 10)
    entry(queue, "b", 5, 20)
    entry(queue, "c", 0, 10)
    entry(queue, "d", 0, 5)
    assert.deepStrictEqual(queue.line().map((e) => e.executionId), ["b", "d", "a", "c"])
    const again = new FlowQueue(kv, { concurrency: { limit: 2 } })
    assert.deepStrictEqual(again.line().map((e) => e.executionId), ["b", "d", "a", "c"])
    assert.isAbove(again.nextOrder(), 4, "arrival numbers go on after a restart")
  })

  it("counts slots per key; a freed slot goes to an execution waiting to resume before queued starts", () => {
    const kv = memoryKv()
    const queue = new FlowQueue(kv, { concurrency: { limit: 1 } })
    queue.admit("x", { concurrencyKey: "acme" }, 0)
    assert.isFalse(queue.slotFree("acme"))
    assert.isTrue(queue.slotFree("globex"), "another key has its own cap")
    assert.isFalse(queue.acquire("y", "acme"), "y waits to resume")
    assert.isTrue(queue.acquire("x", "acme"), "the holder asking again holds it")
    const restarted = new FlowQueue(kv, { concurrency: { limit: 1 } })
    assert.strictEqual(restarted.release("x"), "acme")
    assert.isFalse(restarted.slotFree("acme"), "the waiting resumer comes before queued starts")
    assert.strictEqual(restarted.grantNext("acme"), "y")
    assert.isTrue(restarted.holds("y"))
    assert.isUndefined(restarted.grantNext("acme"))
  })

  it("keeps the rate window across a new instance", () => {
    const kv = memoryKv()
    const flow = { rateLimit: { limit: 2, periodMs: 1000, refuse: false } }
    const queue = new FlowQueue(kv, flow)
    queue.admit("a", { rateKey: "" }, 100)
    queue.admit("b", { rateKey: "" }, 200)
    const again = new FlowQueue(kv, flow)
    assert.strictEqual(again.rateFull("", 500), 1100, "full until the first start leaves the window")
    assert.isUndefined(again.rateFull("", 1100))
    assert.isUndefined(again.rateFull("other", 500), "another key has its own window")
  })

  it("a release takes a stopped execution out of the queue, but not one being dequeued", () => {
    const queue = new FlowQueue(memoryKv(), { concurrency: { limit: 1 } })
    entry(queue, "q", 0, 1)
    const leaving = entry(queue, "r", 0, 2)
    leaving.admitting = true
    queue.put(leaving)
    queue.release("q")
    queue.release("r")
    assert.isUndefined(queue.entry("q"))
    assert.strictEqual(queue.entry("r"), leaving)
    assert.deepStrictEqual(queue.admitting().map((e) => e.executionId), ["r"])
  })
})

describe("StepGate", () => {
  it("lets `limit` bodies run, the rest in order, and gives back an execution's tokens after its restart", () => {
    const kv = memoryKv()
    const gate = new StepGate(kv)
    assert.isTrue(gate.acquire("e1#1", "e1", 2))
    assert.isTrue(gate.acquire("e2#1", "e2", 2))
    assert.isFalse(gate.acquire("e3#1", "e3", 2))
    assert.isFalse(gate.acquire("e4#1", "e4", 2))
    assert.isTrue(gate.acquire("e1#1", "e1", 2), "asking again with a held token")
    const restarted = new StepGate(kv)
    assert.deepStrictEqual(restarted.next(), [], "nothing free yet")
    restarted.releaseExecution("e1") // e1's object restarted: its bodies are gone
    assert.deepStrictEqual(restarted.next(), [["e3#1", "e3"]])
    restarted.release("e2#1")
    assert.deepStrictEqual(restarted.next(), [["e4#1", "e4"]])
    assert.isFalse(restarted.acquire("e5#1", "e5", 2))
  })
})
