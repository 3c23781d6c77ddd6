import { assert, describe, it } from "@effect/vitest"
import { startHost } from "../../src/host/index.ts"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { memoryPorts } from "../host/memory-ports.ts"

/** Counts to `total` one step at a time, continuing as new every `every` steps. */
const counter = durable("counter", async (input: { done: number; total: number; every: number }, ctx) => {
  let done = input.done
  for (let i = 0; i < input.every && done < input.total; i++) {
    const before = done
    done = await ctx.step("tick", async () => before + 1)
  }
  if (done < input.total) return ctx.continueAsNew({ ...input, done })
  return done
})

describe("ctx.continueAsNew (on the test runner)", () => {
  it("a loop that continues as new every 1,000 steps runs 100,000 steps in 100 runs, none with a log over 1,100 events", async () => {
    const runner = createTestRunner({ functions: [counter] })
    const last = await runner.run("counter", { done: 0, total: 100_000, every: 1000 }, { executionId: "count" })
    assert.strictEqual(last.status, "SUCCEEDED")
    assert.strictEqual(last.result, 100_000)
    assert.strictEqual(last.executionId, "count~100")
    // Walk the chain back from the last run: every run is linked both ways and holds at most 1,100 events.
    let id: string | undefined = last.executionId
    let runs = 0
    let bodies = 0
    let longest = 0
    let next: string | undefined
    while (id !== undefined) {
      const run = await runner.execution(id)
      assert.strictEqual(run.continuedAs, next)
      assert.strictEqual(run.status, next === undefined ? "SUCCEEDED" : "CONTINUED_AS_NEW")
      longest = Math.max(longest, run.history.length)
      bodies += run.stepBodyRuns["tick"] ?? 0
      runs++
      next = id
      id = run.continuedFrom
    }
    assert.strictEqual(next, "count")
    assert.strictEqual(runs, 100)
    assert.strictEqual(bodies, 100_000) // each step body ran once
    assert.isAtMost(longest, 1_100)
    const listed = await runner.engine((e) => e.list({ status: "CONTINUED_AS_NEW", limit: 1000 }))
    assert.strictEqual(listed.items.length, 99)
    await runner.dispose()
  }, 300_000)

  it("resumes correctly when the actor crashes at every checkpoint, the next run started once; describe shows the links", async () => {
    const runner = createTestRunner({ functions: [counter] })
    const last = await runner.run("counter", { done: 0, total: 25, every: 10 }, { executionId: "crashy", crashAtEveryCheckpoint: true })
    assert.strictEqual(last.status, "SUCCEEDED")
    assert.strictEqual(last.result, 25)
    assert.strictEqual(last.executionId, "crashy~3")
    const first = await runner.engine((e) => e.describe("crashy"))
    assert.strictEqual(first.status, "CONTINUED_AS_NEW")
    assert.strictEqual(first.continuedAs, "crashy~2")
    const second = await runner.engine((e) => e.describe("crashy~2"))
    assert.deepStrictEqual([second.continuedFrom, second.continuedAs], ["crashy", "crashy~3"])
    assert.deepStrictEqual(JSON.parse(second.input!), { done: 10, total: 25, every: 10 })
    const history = await runner.engine((e) => e.history("crashy"))
    assert.deepStrictEqual(history.at(-1), { ...history.at(-1)!, _tag: "ExecutionContinuedAsNew", nextExecutionId: "crashy~2" })
    assert.strictEqual(history.filter((e) => e._tag === "StepSucceeded").length, 10)
    await runner.dispose()
  })

  it("an invoked child that continues as new gives its parent the outcome of its last run; a stop of the first run stops the current one", async () => {
    const parent = durable("parent", async (_: unknown, ctx) => ctx.invoke("child", "counter", { done: 0, total: 7, every: 3 }))
    const waiter = durable("waiter", async (input: { n: number }, ctx) => {
      if (input.n < 2) return ctx.continueAsNew({ n: input.n + 1 })
      return ctx.waitForCallback("forever", () => undefined)
    })
    const runner = createTestRunner({ functions: [counter, parent, waiter] })
    const run = await runner.run("parent")
    assert.strictEqual(run.status, "SUCCEEDED")
    assert.strictEqual(run.result, 7)

    const waiting = await runner.run("waiter", { n: 0 }, { executionId: "w" })
    assert.strictEqual(waiting.executionId, "w~3")
    assert.strictEqual(waiting.status, "RUNNING")
    const first = await runner.execution("w")
    await first.stop()
    assert.strictEqual((await waiting.refresh()).status, "STOPPED")
    await runner.dispose()
  })

  it("refuses an input that is not JSON, failing the execution with a clear error", async () => {
    const bad = durable("bad", async (_: unknown, ctx) => ctx.continueAsNew({ big: 10n }))
    const runner = createTestRunner({ functions: [bad] })
    const run = await runner.run("bad")
    assert.strictEqual(run.status, "FAILED")
    assert.include(run.error!.errorMessage, "not serialisable as JSON")
    await runner.dispose()
  })
})

describe("ctx.continueAsNew under a host with real time", () => {
  it("a chain of short runs that moves on under a stop is stopped, with nothing of it left running", async () => {
    const spinner = durable("spinner", async (input: { i: number }, ctx) => {
      await ctx.step("turn", async () => input.i)
      return ctx.continueAsNew({ i: input.i + 1 })
    })
    const host = await startHost({ functions: [spinner], env: () => undefined, logging: { level: "none" } }, memoryPorts().ports)
    try {
      const chains = Array.from({ length: 6 }, (_, i) => `spin-${i}`)
      for (const id of chains) await host.engine((e) => e.start({ functionName: "spinner", input: { i: 0 }, executionId: id }))
      await new Promise((resolve) => setTimeout(resolve, 30))
      for (const id of chains) await host.engine((e) => e.stop(id))
      /** The chain's last run, followed by its links (continuedAs). */
      const lastOf = async (id: string) => {
        let view = await host.engine((e) => e.describe(id))
        for (let i = 0; i < 100_000 && view.continuedAs !== undefined; i++) {
          const next = view.continuedAs
          view = await host.engine((e) => e.describe(next))
        }
        return view
      }
      const settled = async () => (await Promise.all(chains.map(lastOf))).map((view) => view.status)
      await new Promise((resolve) => setTimeout(resolve, 200))
      const first = await settled()
      assert.deepStrictEqual(first, chains.map(() => "STOPPED"))
      // And they stay stopped: no run of any chain goes on.
      const runsBefore = await Promise.all(chains.map(async (id) => (await lastOf(id)).executionId))
      await new Promise((resolve) => setTimeout(resolve, 200))
      const runsAfter = await Promise.all(chains.map(async (id) => (await lastOf(id)).executionId))
      assert.deepStrictEqual(runsAfter, runsBefore)
    } finally {
      await host.close()
    }
  }, 60_000)
})
