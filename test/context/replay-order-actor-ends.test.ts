/**
 * An end the actor writes itself (a callback completed) next to a step's end written by user code: whichever the log
 * holds first, its caller makes its next call first, as a replay gives it (write-releases.ts `woke`). The writes are
 * held in the store so each order is certain: the callback's end written alone while the step's append waits behind
 * it, and both ends in one write, in each order. Before, the step's caller (a shorter continuation) went on at once
 * and took the id a replay gives the callback's lane: "one write: step, callback" failed at every depth here, and the
 * first order under CPU load (when the step's write is answered in the same turn as the callback's:
 * `replay-order-actor-wake.test.ts` failed 18 times in 5 loaded runs of 1,890 cells, none after).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { createTestRunner, type TestExecution } from "../../src/testing/index.ts"
import { plain } from "./replay-fuzz-runs.ts"

type Order = "callback alone, then the step" | "one write: callback, step" | "one write: step, callback"

/** A promise and its resolver. */
const gate = () => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

/** Macrotasks enough for the actor to take what was sent and offer what is due (no timing is asserted). */
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 1))
}

/** Which of two operations' callers called first: ids are given in the order of the calls. */
const firstCalled = (execution: TestExecution, names: ReadonlyArray<string>) => {
  const ids = names.map((name) => Number(execution.operations.find((op) => op.name === name)?.id))
  return ids[0]! < ids[1]! ? names[0] : names[1]
}

const runOnce = async (order: Order, depth: number, callbackDepth: number) => {
  const body = gate() // step a's body ends when it opens
  const other = gate() // step c's body (only to hold a write in flight)
  const fn = durable("ends", async (_: unknown, ctx) => {
    const r = await Promise.all([
      (async () => {
        const [answer] = await ctx.createCallback<string>("cb")
        await answer
        await plain(callbackDepth)
        return ctx.step("p", async () => 1)
      })(),
      (async () => {
        await ctx.step("a", async () => {
          await body.promise
          return 2
        })
        await plain(depth) // a longer continuation than the callback lane's, within a replay's rounds
        return ctx.step("a2", async () => 2)
      })(),
      ctx.step("c", async () => {
        await other.promise
        return 3
      })
    ])
    await ctx.wait("cool-off", { seconds: 5 })
    return r
  })
  const runner = createTestRunner({ functions: [fn], skipTime: false })
  try {
    const { executionId } = (await runner.begin("ends")) as { executionId: string }
    const execution: TestExecution = await runner.execution(executionId)
    for (let i = 0; i < 200; i++) {
      await execution.refresh()
      if (execution.operations.some((op) => op.type === "CALLBACK" && op.status === "STARTED") && execution.stepBodyRuns["a"] === 1 && execution.stepBodyRuns["c"] === 1) break
      await turns(1)
    }
    const callback = execution.operations.find((op) => op.type === "CALLBACK")
    assert.strictEqual(callback?.status, "STARTED")
    // Hold the store's next write until `held` opens: what comes meanwhile waits in the actor for the write after it.
    const held = gate()
    const store = runner.store as { append: typeof runner.store.append }
    const append = store.append
    let writes = 0
    store.append = (...args) => {
      writes++
      if (writes === 1) return Effect.andThen(Effect.promise(() => held.promise), append(...args))
      return append(...args)
    }
    let sent: Promise<unknown>
    if (order === "callback alone, then the step") {
      sent = execution.sendCallbackSuccess(callback!.callbackId!, "\"x\"") // its write is held
      await turns()
      body.open() // step a's end is offered and waits behind it
    } else {
      other.open() // step c's end: the held write
      await turns()
      if (order === "one write: callback, step") {
        sent = execution.sendCallbackSuccess(callback!.callbackId!, "\"x\"")
        await turns()
        body.open()
      } else {
        body.open()
        await turns()
        sent = execution.sendCallbackSuccess(callback!.callbackId!, "\"x\"")
      }
    }
    await turns()
    held.open()
    other.open()
    await sent
    await execution.settle()
    const firstRun = firstCalled(execution, ["p", "a2"])
    const callbackEnd = execution.history.findIndex((e) => e._tag === "CallbackSucceeded")
    const stepEnd = execution.history.findIndex((e) => e._tag === "StepSucceeded" && e.id === execution.operations.find((op) => op.name === "a")?.id)
    await execution.evict()
    await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
    await execution.settle()
    return { firstRun, callbackFirst: callbackEnd < stepEnd, status: execution.status, error: execution.error?.errorMessage }
  } finally {
    body.open()
    other.open()
    await runner.dispose()
  }
}

describe("replay order: an end the actor writes itself beside a step's end", () => {
  for (const order of ["callback alone, then the step", "one write: callback, step", "one write: step, callback"] as const) {
    it(`${order}: the lane whose end the log holds first calls first, and a replay agrees`, { timeout: 60_000 }, async () => {
      const failed: Array<string> = []
      for (const [depth, callbackDepth] of [[0, 0], [0, 6], [0, 12], [0, 24], [6, 0], [12, 0]] as const) {
        const run = await runOnce(order, depth, callbackDepth)
        assert.strictEqual(run.callbackFirst, order !== "one write: step, callback", `the log's order is the one set up (${depth}, ${callbackDepth})`)
        if (run.firstRun !== (run.callbackFirst ? "p" : "a2")) failed.push(`depths ${depth}, ${callbackDepth}: ${run.firstRun} called first on the first run`)
        if (run.status !== "SUCCEEDED") failed.push(`depths ${depth}, ${callbackDepth}: ${run.status} ${run.error?.slice(0, 100)}`)
      }
      assert.deepStrictEqual(failed, [])
    })
  }
})
