import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { startHost } from "../../src/host/index.ts"
import { createTestRunner, makeStoreFaults, withStoreFaults } from "../../src/testing/index.ts"
import { memoryPorts } from "../host/memory-ports.ts"
import { fixedStart } from "../testing/fixed-start.ts"

/** Counts step bodies running at once (the measure of "user code running"). */
/** A promise a step body waits on, and what lets it go. */
const gate = () => {
  let release!: () => void
  const blocker = new Promise<void>((resolve) => (release = resolve))
  return { blocker, release }
}

const meter = () => {
  let running = 0
  let most = 0
  const perKey = new Map<string, { running: number; most: number }>()
  return {
    get most() {
      return most
    },
    mostOf: (key: string) => perKey.get(key)?.most ?? 0,
    body: async (key = "") => {
      const k = perKey.get(key) ?? { running: 0, most: 0 }
      perKey.set(key, k)
      running++
      k.running++
      most = Math.max(most, running)
      k.most = Math.max(k.most, k.running)
      await new Promise((resolve) => setTimeout(resolve, 1)) // real time passes: bodies overlap if allowed
      running--
      k.running--
    }
  }
}

describe("flow control (engine, on the test runner)", () => {
  it("50 executions under concurrency 3: never more than 3 bodies at once, all 50 end, FIFO within each priority", async () => {
    const m = meter()
    const order: Array<number> = []
    const fn = durable("limited", async (input: { n: number }, ctx) => {
      await ctx.step("first", async () => {
        order.push(input.n)
        await m.body()
      })
      await ctx.step("second", () => m.body())
      return input.n
    }, { concurrency: 3 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const ids: Array<string> = []
    for (let n = 0; n < 50; n++) {
      const started = await runner.begin("limited", { n }, { executionId: `limited-${n}`, priority: n % 3 === 0 ? 5 : 0 })
      ids.push(started.executionId)
    }
    const queued = await runner.execution("limited-49")
    assert.strictEqual(queued.status, "QUEUED")
    await runner.drain()
    for (const id of ids) assert.strictEqual((await runner.execution(id)).status, "SUCCEEDED", id)
    assert.isAtMost(m.most, 3)
    assert.strictEqual(m.most, 3) // the limit is used, not just respected
    assert.strictEqual(order.length, 50)
    // The first three ran at once (slots free); then priority 5 (every third n) before 0, each in start order.
    const rest = order.slice(3)
    const high = [...Array(50).keys()].filter((n) => n % 3 === 0 && !order.slice(0, 3).includes(n))
    const low = [...Array(50).keys()].filter((n) => n % 3 !== 0 && !order.slice(0, 3).includes(n))
    assert.deepStrictEqual(order.slice(0, 3), [0, 1, 2])
    assert.deepStrictEqual(rest, [...high, ...low])
    await runner.dispose()
  })

  it("a concurrency key per customer: each customer's cap holds independently", async () => {
    const m = meter()
    const fn = durable("per-customer", async (input: { customer: string }, ctx) => {
      await ctx.step("call", () => m.body(input.customer))
      await ctx.step("again", () => m.body(input.customer))
    }, { concurrency: { limit: 2, key: (input: { customer: string }) => input.customer } })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    for (let n = 0; n < 30; n++) await runner.begin("per-customer", { customer: ["a", "b", "c"][n % 3] })
    await runner.drain()
    const list = await runner.engine((e) => e.list({ functionName: "per-customer" }))
    assert.strictEqual(list.items.filter((s) => s.status === "SUCCEEDED").length, 30)
    for (const customer of ["a", "b", "c"]) assert.strictEqual(m.mostOf(customer), 2, customer)
    assert.isAbove(m.most, 2) // customers ran beside each other
    assert.isAtMost(m.most, 6)
    await runner.dispose()
  })

  it("an execution suspended on a wait gives its slot back, and takes one again before its next step", async () => {
    const m = meter()
    const fn = durable("sleepy", async (_: unknown, ctx) => {
      await ctx.step("before", () => m.body())
      await ctx.wait("nap", { minutes: 10 })
      await ctx.step("after", () => m.body())
    }, { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    for (let n = 0; n < 4; n++) await runner.begin("sleepy", undefined, { executionId: `sleepy-${n}` })
    // Without draining (no clock moves, so no wait ends): the first runs to its wait and gives the slot to the
    // second, and so on; were a sleeping execution to keep its slot, the others would stay QUEUED.
    let statuses: Array<string> = ["not read yet"]
    for (let i = 0; i < 500 && !statuses.every((s) => s === "RUNNING"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      statuses = await Promise.all([0, 1, 2, 3].map(async (n) => (await runner.execution(`sleepy-${n}`)).status))
    }
    assert.deepStrictEqual(statuses, ["RUNNING", "RUNNING", "RUNNING", "RUNNING"])
    await runner.drain()
    for (let n = 0; n < 4; n++) assert.strictEqual((await runner.execution(`sleepy-${n}`)).status, "SUCCEEDED")
    assert.strictEqual(m.most, 1)
    await runner.dispose()
  })

  it("a rate limit of 10 per second over 100 starts takes about 10 s of the queues' time and starts each once", async () => {
    const bodies = new Map<number, number>()
    const fn = durable("rated", async (input: { n: number }, ctx) => {
      await ctx.step("call", () => void bodies.set(input.n, (bodies.get(input.n) ?? 0) + 1))
    }, { rateLimit: { limit: 10, period: { seconds: 1 } } })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    for (let n = 0; n < 100; n++) await runner.begin("rated", { n }, { executionId: `rated-${n}` })
    const took = await runner.drain()
    assert.isAtLeast(took, 9000)
    assert.isAtMost(took, 10_000)
    assert.strictEqual(bodies.size, 100)
    for (const count of bodies.values()) assert.strictEqual(count, 1)
    // No second of the queues' time saw more than 10 starts.
    const runAt: Array<number> = []
    for (let n = 0; n < 100; n++) {
      const history = (await runner.execution(`rated-${n}`)).history
      assert.strictEqual(history.filter((e) => e._tag === "ExecutionDequeued").length <= 1, true)
      const ran = history.find((e) => e._tag === "ExecutionDequeued") ?? history[0]!
      runAt.push(ran.at)
    }
    runAt.sort((a, b) => a - b)
    for (let i = 10; i < runAt.length; i++) assert.isAtLeast(runAt[i]! - runAt[i - 10]!, 1000)
    await runner.dispose()
  })

  it("a refusing rate limit answers RateLimited with the time to wait, and writes nothing", async () => {
    const fn = durable("refusing", async () => "ok", { rateLimit: { limit: 2, period: { minutes: 1 }, whenLimited: "refuse" } })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    await runner.begin("refusing", undefined, { executionId: "r1" })
    await runner.begin("refusing", undefined, { executionId: "r2" })
    const error = await runner.begin("refusing", undefined, { executionId: "r3" }).then(() => undefined, (e: unknown) => e)
    assert.strictEqual((error as { _tag?: string })._tag, "RateLimited")
    assert.isAbove((error as { retryAfterMs: number }).retryAfterMs, 0)
    assert.isAtMost((error as { retryAfterMs: number }).retryAfterMs, 60_000)
    const missing = await runner.execution("r3").then(() => undefined, (e: unknown) => e)
    assert.strictEqual((missing as { _tag?: string })._tag, "ExecutionNotFound")
    await runner.dispose()
  })

  it("a refusing rate limit counts the executions still queued: behind a concurrency limit, the starts past it are refused", async () => {
    const { blocker, release } = gate()
    const fn = durable("shedding", async (_: unknown, ctx) => {
      await ctx.step("work", () => blocker)
    }, { concurrency: 1, rateLimit: { limit: 2, period: { minutes: 1 }, whenLimited: "refuse" } })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const answers: Array<string> = []
    for (let i = 1; i <= 5; i++) {
      const answer = await runner.begin("shedding", undefined, { executionId: `s${i}` }).then(
        (started) => (started.queued ? "QUEUED" : "RUNNING"),
        (error: { _tag?: string; retryAfterMs?: number }) => {
          assert.isAbove(error.retryAfterMs!, 0)
          assert.isAtMost(error.retryAfterMs!, 60_000)
          return error._tag ?? "?"
        }
      )
      answers.push(answer)
    }
    assert.deepStrictEqual(answers, ["RUNNING", "QUEUED", "RateLimited", "RateLimited", "RateLimited"])
    release()
    await runner.drain()
    assert.deepStrictEqual(await Promise.all(["s1", "s2"].map(async (id) => (await runner.execution(id)).status)), ["SUCCEEDED", "SUCCEEDED"])
    await runner.dispose()
  })

  it("a refusing rate limit with debounce: a start that collapses into a waiting execution is never refused; a new one past the rate is", async () => {
    const fn = durable("debounced-shedding", async () => "ok", {
      debounce: { period: { seconds: 5 }, key: (input: { user: string }) => input.user },
      rateLimit: { limit: 2, period: { minutes: 1 }, whenLimited: "refuse" }
    })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const a1 = await runner.begin("debounced-shedding", { user: "a" })
    await runner.begin("debounced-shedding", { user: "b" })
    const a2 = await runner.begin("debounced-shedding", { user: "a" })
    assert.strictEqual(a2.executionId, a1.executionId)
    const refused = await runner.begin("debounced-shedding", { user: "c" }).then(() => undefined, (e: { _tag?: string }) => e)
    assert.strictEqual(refused?._tag, "RateLimited")
    await runner.dispose()
  })

  it("debounce: starts of one key within the period collapse into one execution that runs with the last input", async () => {
    const seen: Array<unknown> = []
    const fn = durable("debounced", async (input: { user: string; v: number }, ctx) => {
      await ctx.step("save", () => void seen.push(input))
    }, { debounce: { period: { seconds: 5 }, key: (input: { user: string }) => input.user } })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const a1 = await runner.begin("debounced", { user: "a", v: 1 })
    const b1 = await runner.begin("debounced", { user: "b", v: 1 })
    const a2 = await runner.begin("debounced", { user: "a", v: 2 })
    const a3 = await runner.begin("debounced", { user: "a", v: 3 })
    assert.strictEqual(a2.executionId, a1.executionId)
    assert.strictEqual(a3.executionId, a1.executionId)
    assert.isFalse(a3.created)
    assert.notStrictEqual(b1.executionId, a1.executionId)
    assert.strictEqual((await runner.execution(a1.executionId)).status, "QUEUED")
    await runner.drain()
    assert.sameDeepMembers(seen, [{ user: "a", v: 3 }, { user: "b", v: 1 }])
    await runner.dispose()
  })

  it("runner.run of a debounced function runs it once the period has passed on the queues' clock", async () => {
    const fn = durable("debounced-run", async (input: number, ctx) => ctx.step("double", () => input * 2), { debounce: { period: { minutes: 1 } } })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const execution = await runner.run("debounced-run", 21)
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, 42)
    assert.strictEqual(runner.queueClock.currentTimeMillisUnsafe() - Date.UTC(2026, 0, 1), 60_000)
    await runner.dispose()
  })

  it("a paused execution between steps keeps its concurrency slot through the idle eviction", async () => {
    const { blocker, release } = gate()
    const fn = durable("paused-holder", async (input: string, ctx) => {
      await ctx.step("work", async () => {
        if (input === "first") await blocker
      })
      if (input === "first") await ctx.step("more", async () => undefined)
      return input
    }, { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    await runner.begin("paused-holder", "first", { executionId: "p-first" })
    await runner.engine((e) => e.pause("p-first"))
    await runner.begin("paused-holder", "second", { executionId: "p-second" })
    release() // its step ends; the pause holds it before "more", not on any durable operation
    for (let i = 0; i < 3; i++) {
      await runner.engine((e) => e.settle("p-first"))
      await runner.engine((e) => e.evictIdle())
    }
    assert.strictEqual((await runner.engine((e) => e.describe("p-first"))).status, "PAUSED")
    assert.strictEqual((await runner.engine((e) => e.describe("p-second"))).status, "QUEUED", "the paused one kept the only slot")
    await runner.engine((e) => e.resume("p-first"))
    await runner.drain()
    assert.strictEqual((await runner.engine((e) => e.describe("p-first"))).status, "SUCCEEDED")
    assert.strictEqual((await runner.engine((e) => e.describe("p-second"))).status, "SUCCEEDED")
    await runner.dispose()
  })

  // Found from outside: a step waiting for its slot while the handler awaited a callback (waitForCallback's
  // submitter) looked idle, so the idle eviction dropped the actor, and with it the only memory that it waited. Its
  // alarm had fallen back to the execution's timeout: it stayed RUNNING with its submitter never run.
  it("a step waiting for its slot keeps its actor through the idle eviction, and runs once the slot frees", async () => {
    const { blocker, release } = gate()
    const submitted: Array<string> = []
    const fn = durable("slot-waiter", async (input: string, ctx) => {
      if (input === "holder") return ctx.step("hold", async () => blocker.then(() => "held"))
      await ctx.wait("nap", { minutes: 1 })
      return ctx.waitForCallback("go", async (callbackId) => void submitted.push(callbackId))
    }, { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    await runner.begin("slot-waiter", "waiter", { executionId: "s-waiter" })
    await runner.begin("slot-waiter", "holder", { executionId: "s-holder" })
    // The waiter gives its slot back once asleep, and the holder takes it (and keeps it: its step is blocked).
    const status = async (id: string) => (await runner.engine((e) => e.describe(id))).status
    for (let i = 0; i < 200 && (await status("s-holder")) !== "RUNNING"; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.strictEqual(await status("s-holder"), "RUNNING")
    await runner.fireAt("s-waiter", runner.clock("s-waiter").currentTimeMillisUnsafe() + 60_000)
    for (let i = 0; i < 3; i++) {
      await runner.engine((e) => e.settle("s-waiter"))
      await runner.engine((e) => e.evictIdle())
    }
    assert.isTrue(runner.probe((p) => p.inMemory("s-waiter")), "kept: it waits for the holder's slot")
    assert.deepStrictEqual(submitted, [], "the holder has the only slot")
    release()
    for (let i = 0; i < 200 && submitted.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.strictEqual(submitted.length, 1, "the submitter ran once the slot freed")
    await runner.completeCallback(submitted[0]!, { ok: true, result: JSON.stringify("go") })
    const waiter = await (await runner.execution("s-waiter")).settle()
    assert.strictEqual(waiter.status, "SUCCEEDED")
    await runner.dispose()
  })

  it("a stopped execution whose step waited for its slot leaves memory at the next idle eviction", async () => {
    const { blocker, release } = gate()
    const fn = durable("slot-stopped", async (input: string, ctx) => {
      if (input === "holder") return ctx.step("hold", async () => blocker.then(() => "held"))
      await ctx.wait("nap", { minutes: 1 })
      return ctx.step("after", async () => "after")
    }, { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    await runner.begin("slot-stopped", "waiter", { executionId: "x-waiter" })
    await runner.begin("slot-stopped", "holder", { executionId: "x-holder" })
    const status = async (id: string) => (await runner.engine((e) => e.describe(id))).status
    for (let i = 0; i < 200 && (await status("x-holder")) !== "RUNNING"; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    await runner.fireAt("x-waiter", runner.clock("x-waiter").currentTimeMillisUnsafe() + 60_000) // its step now waits
    await runner.engine((e) => e.stop("x-waiter"))
    assert.strictEqual(await status("x-waiter"), "STOPPED")
    // Its slot wait was dropped unsettled: it must not count any more.
    for (let i = 0; i < 3; i++) await runner.engine((e) => e.evictIdle())
    assert.isFalse(runner.probe((p) => p.inMemory("x-waiter")), "evicted once ended")
    release()
    await runner.drain()
    assert.strictEqual(await status("x-holder"), "SUCCEEDED")
    await runner.dispose()
  })

  it("a QUEUED execution shows its position, can be stopped without running anything, and cannot be paused", async () => {
    const ran: Array<string> = []
    const { blocker, release } = gate()
    const fn = durable("one-at-a-time", async (input: string, ctx) => {
      await ctx.step("work", async () => {
        ran.push(input)
        if (input === "first") await blocker
      })
    }, { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    await runner.begin("one-at-a-time", "first", { executionId: "q-first" })
    await runner.begin("one-at-a-time", "second", { executionId: "q-second" })
    await runner.begin("one-at-a-time", "third", { executionId: "q-third" })
    const third = await runner.engine((e) => e.describe("q-third"))
    assert.strictEqual(third.status, "QUEUED")
    assert.strictEqual(third.queuePosition, 2)
    const listed = await runner.engine((e) => e.list({ functionName: "one-at-a-time", status: "QUEUED" }))
    assert.sameMembers(listed.items.map((s) => `${s.executionId}@${s.queuePosition}`), ["q-second@1", "q-third@2"])
    const paused = await runner.engine((e) => e.pause("q-second")).then(() => undefined, (e: unknown) => e)
    assert.strictEqual((paused as { _tag?: string })._tag, "ExecutionNotRunning")
    const stopped = await (await runner.execution("q-second")).stop()
    assert.strictEqual(stopped.status, "STOPPED")
    assert.deepStrictEqual(stopped.history.map((e) => e._tag), ["ExecutionStarted", "ExecutionStopped"])
    assert.strictEqual((await runner.engine((e) => e.describe("q-third"))).queuePosition, 1)
    release()
    await runner.drain()
    assert.deepStrictEqual(ran, ["first", "third"])
    await runner.dispose()
  })

  it("a stopped execution's slot waits for the step body the stop abandoned: the limit still holds for what it calls", async () => {
    const order: Array<string> = []
    const { blocker, release } = gate()
    const fn = durable("ignores-signal", async (input: string, ctx) => {
      await ctx.step("call", async () => {
        order.push(`${input} begins`)
        if (input === "first") await blocker // a body that does not look at its signal
        order.push(`${input} ends`)
      })
    }, { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    await runner.begin("ignores-signal", "first", { executionId: "b-first" })
    await runner.begin("ignores-signal", "second", { executionId: "b-second" })
    assert.strictEqual((await runner.engine((e) => e.describe("b-second"))).status, "QUEUED")
    await runner.engine((e) => e.stop("b-first"))
    assert.strictEqual((await runner.engine((e) => e.describe("b-first"))).status, "STOPPED")
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.deepStrictEqual(order, ["first begins"], "the second waits while the first's body runs")
    assert.strictEqual((await runner.engine((e) => e.describe("b-second"))).status, "QUEUED")
    release()
    await runner.drain()
    assert.deepStrictEqual(order, ["first begins", "first ends", "second begins", "second ends"])
    assert.strictEqual((await runner.engine((e) => e.describe("b-second"))).status, "SUCCEEDED")
    await runner.dispose()
  })

  it("stops of one QUEUED execution at once: one stops it, the others are told it is not running (not that it is missing)", async () => {
    const { blocker, release } = gate()
    const fn = durable("one-slot", async (input: string, ctx) => {
      await ctx.step("work", async () => {
        if (input === "first") await blocker
      })
    }, { concurrency: 1 })
    // Slow writes (a store whose commits take a while, as Deno KV's): the first stop's write is still under way
    // when the others arrive, after it has taken the execution out of its queue.
    const faults = makeStoreFaults()
    const memory = memoryPorts(new Map(), { executionStore: (inner) => withStoreFaults(inner, faults) })
    const host = await startHost({ functions: [fn], env: () => undefined, logging: { level: "none" } }, memory.ports)
    try {
      const ids = ["s-first", ...Array.from({ length: 5 }, (_, i) => `s-queued-${i}`)]
      for (const id of ids) await host.engine((e) => e.start({ functionName: "one-slot", input: id === "s-first" ? "first" : "queued", executionId: id }))
      faults.set({ appendDelayMs: 50 })
      const outcomes = await host.engine((e) =>
        Effect.forEach(ids.slice(1), (id) =>
          Effect.all(Array.from({ length: 4 }, () => Effect.match(e.stop(id), { onSuccess: () => "stopped", onFailure: (error) => error._tag })), { concurrency: "unbounded" }), { concurrency: "unbounded" }))
      for (const tags of outcomes) assert.deepStrictEqual([...tags].sort(), ["ExecutionNotRunning", "ExecutionNotRunning", "ExecutionNotRunning", "stopped"])
      faults.clear()
    } finally {
      release()
      await host.close()
    }
  })

  it("an invoked child held in its queue is waited for, also by a parent that was evicted and reloaded meanwhile", async () => {
    const { blocker, release } = gate()
    const child = durable("queued-child", async (input: string, ctx) =>
      ctx.step("work", async () => {
        if (input === "blocker") await blocker
        return `done ${input}`
      }), { concurrency: 1 })
    const parent = durable("invoking-parent", async (_: unknown, ctx) => ctx.invoke("call", "queued-child", "from parent"))
    const runner = createTestRunner({ ...fixedStart, functions: [child, parent] })
    await runner.begin("queued-child", "blocker", { executionId: "the-blocker" })
    const started = await runner.start("invoking-parent", undefined, { executionId: "parent-1" })
    const childId = started.operations.find((op) => op.type === "CHAINED_INVOKE")!.state.childExecutionId!
    assert.strictEqual((await runner.execution(childId)).status, "QUEUED")
    // The parent is dropped and loaded again: it asks after its child, which has not run yet (no outcome).
    await started.evict()
    await runner.fireAt("parent-1", runner.clock("parent-1").currentTimeMillisUnsafe() + 60_000)
    assert.strictEqual((await runner.execution("parent-1")).status, "RUNNING")
    release()
    await runner.drain()
    const done = await runner.execution("parent-1")
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.strictEqual(done.result, "done from parent")
    await runner.dispose()
  })

  it("a start with a bad priority is refused and writes nothing", async () => {
    const fn = durable("prioritised", async () => "ok", { concurrency: 1 })
    const runner = createTestRunner({ ...fixedStart, functions: [fn] })
    const error = await runner.begin("prioritised", undefined, { executionId: "p1", priority: 1.5 }).then(() => undefined, (e: unknown) => e)
    assert.strictEqual((error as { _tag?: string })._tag, "InvalidRequest")
    const missing = await runner.execution("p1").then(() => undefined, (e: unknown) => e)
    assert.strictEqual((missing as { _tag?: string })._tag, "ExecutionNotFound")
    await runner.dispose()
  })
})
