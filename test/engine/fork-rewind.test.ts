import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** Four steps, a wait between the second and the third; step "c" fails while `broken.c` is set. */
const makeFlow = () => {
  const broken = { c: true }
  const fn = durable("flow", async (input: { n: number }, ctx) => {
    const a = await ctx.step("a", async () => input.n + 1)
    const b = await ctx.step("b", async () => a * 2)
    await ctx.wait("pause", { seconds: 5 })
    const c = await ctx.step("c", async () => {
      if (broken.c) throw new Error("c is broken")
      return b + 100
    }, { retryStrategy: () => ({ shouldRetry: false }) })
    const d = await ctx.step("d", async () => `${input.n}:${c}`)
    return d
  })
  return { fn, broken }
}

describe("fork and rewind (engine, on the test runner)", () => {
  it("fork from operation N: the steps before N are not run again, those from N are, with the fork's input; the source is untouched", async () => {
    const { fn, broken } = makeFlow()
    broken.c = false
    const runner = createTestRunner({ functions: [fn] })
    const source = await runner.run("flow", { n: 1 })
    assert.strictEqual(source.status, "SUCCEEDED")
    assert.strictEqual(source.result, "1:104")
    const sourceHistory = source.history
    const b = source.getOperation("b")!
    assert.strictEqual(b.id, "2")

    const fork = await source.fork("2", { input: { n: 7 } })
    assert.notStrictEqual(fork.executionId, source.executionId)
    assert.strictEqual(fork.status, "SUCCEEDED")
    // "a" kept its recorded result (1 + 1); "b" onwards ran again: b = 2 * 2, c = 104, d with the new input.
    assert.strictEqual(fork.result, "7:104")
    assert.deepStrictEqual(fork.stepBodyRuns, { b: 1, c: 1, d: 1 })
    const first = fork.history[0]!
    assert.strictEqual(first._tag, "ExecutionStarted")
    assert.deepStrictEqual(first._tag === "ExecutionStarted" ? first.forkedFrom : undefined, { executionId: source.executionId, operationId: "2" })
    const described = await runner.engine((e) => e.describe(fork.executionId))
    assert.deepStrictEqual(described.forkedFrom, { executionId: source.executionId, operationId: "2" })

    await source.refresh()
    assert.deepStrictEqual(source.history, sourceHistory)
    assert.deepStrictEqual(source.stepBodyRuns, { a: 1, b: 1, c: 1, d: 1 })

    // Without an input the fork keeps the source's; forking from "1" runs everything again.
    const again = await source.fork("1")
    assert.strictEqual(again.result, "1:104")
    assert.deepStrictEqual(again.stepBodyRuns, { a: 1, b: 1, c: 1, d: 1 })
    await runner.dispose()
  })

  it("rewind of a FAILED execution after fixing the code finishes it under the same id; the steps before the operation do not run again", async () => {
    const { fn, broken } = makeFlow()
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("flow", { n: 2 })
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorMessage, "c is broken")
    const c = execution.getOperation("c")!
    broken.c = false // the fix is deployed
    await execution.rewind(c.id)
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "2:106")
    assert.deepStrictEqual(execution.stepBodyRuns, { a: 1, b: 1, c: 2, d: 1 })
    const tags = execution.history.map((e) => e._tag)
    assert.deepStrictEqual(tags.slice(tags.indexOf("ExecutionFailed")), ["ExecutionFailed", "ExecutionRewound", "StepSucceeded", "StepSucceeded", "ExecutionSucceeded"])
    const view = await runner.engine((e) => e.describe(execution.executionId))
    assert.strictEqual(view.rewinds, 1)
    // The operations are the current ones: c once, succeeded.
    assert.deepStrictEqual(view.operations.map((op) => [op.name, op.status]), [["a", "SUCCEEDED"], ["b", "SUCCEEDED"], ["pause", "SUCCEEDED"], ["c", "SUCCEEDED"], ["d", "SUCCEEDED"]])
    const listed = await runner.engine((e) => e.list({ status: "SUCCEEDED" }))
    assert.include(listed.items.map((s) => s.executionId), execution.executionId)
    // A fork of the rewound execution copies what it holds now: c's failed attempt was forgotten by the rewind.
    const fork = await execution.fork(execution.getOperation("d")!.id) // "5": the wait is operation 3
    assert.strictEqual(fork.result, "2:106")
    assert.deepStrictEqual(fork.history.map((e) => ("name" in e && e.name !== undefined ? `${e._tag}:${e.name}` : e._tag)), [
      "ExecutionStarted",
      "StepSucceeded:a",
      "StepSucceeded:b",
      "WaitStarted:pause",
      "WaitSucceeded:pause",
      "StepSucceeded:c",
      "StepSucceeded:d",
      "ExecutionSucceeded"
    ])
    assert.deepStrictEqual(fork.stepBodyRuns, { d: 1 })
    await runner.dispose()
  })

  it("rewind from an earlier operation forgets it and every later one, and a STOPPED execution can be rewound too", async () => {
    const { fn, broken } = makeFlow()
    broken.c = false
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("flow", { n: 3 })
    assert.strictEqual(execution.getOperation("pause")!.status, "STARTED")
    await execution.stop()
    assert.strictEqual(execution.status, "STOPPED")
    await execution.rewind("2")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.stepBodyRuns, { a: 1, b: 2, c: 1, d: 1 })
    await runner.dispose()
  })

  it("refuses a bad operation id, a nested operation, a wrong state and a new input, and changes nothing", async () => {
    const nested = durable("nested", async (_: unknown, ctx) => {
      await ctx.runInChildContext("group", async (child) => child.step("inner", async () => 1))
      await ctx.step("boom", async () => {
        throw new Error("boom")
      }, { retryStrategy: () => ({ shouldRetry: false }) })
    })
    const { fn, broken } = makeFlow()
    broken.c = false
    const runner = createTestRunner({ functions: [nested, fn] })
    const failed = await runner.run("nested")
    assert.strictEqual(failed.status, "FAILED")
    const before = failed.history
    const refuse = async (effect: Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>) => {
      const result = await runner.engine(() => Effect.flip(effect))
      return { tag: result._tag, message: result.message }
    }
    const tags: Array<string> = []
    for (const [what, effect] of [
      ["unknown op", runner.engine((e) => Effect.succeed(e.rewind(failed.executionId, { fromOperation: "9" })))],
      ["nested op", runner.engine((e) => Effect.succeed(e.rewind(failed.executionId, { fromOperation: "1-1" })))],
      ["empty op", runner.engine((e) => Effect.succeed(e.fork(failed.executionId, { fromOperation: "" })))],
      ["nested fork", runner.engine((e) => Effect.succeed(e.fork(failed.executionId, { fromOperation: "1-1" })))],
      ["new input on rewind", runner.engine((e) => Effect.succeed(e.rewind(failed.executionId, { fromOperation: "1", input: 5 })))],
      ["unknown execution", runner.engine((e) => Effect.succeed(e.rewind("nope", { fromOperation: "1" })))],
      ["unknown fork source", runner.engine((e) => Effect.succeed(e.fork("nope", { fromOperation: "1" })))]
    ] as const) {
      const refused = await refuse(await effect as Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>)
      tags.push(`${what}: ${refused.tag}`)
      assert.isAbove(refused.message.length, 10)
    }
    assert.deepStrictEqual(tags, [
      "unknown op: InvalidRequest",
      "nested op: InvalidRequest",
      "empty op: InvalidRequest",
      "nested fork: InvalidRequest",
      "new input on rewind: InvalidRequest",
      "unknown execution: ExecutionNotFound",
      "unknown fork source: ExecutionNotFound"
    ])
    // A running execution and a succeeded one are not rewound.
    const running = await runner.start("flow", { n: 1 })
    const notRunning = await refuse(await runner.engine((e) => Effect.succeed(e.rewind(running.executionId, { fromOperation: "1" }))))
    assert.strictEqual(notRunning.tag, "ExecutionNotRewindable")
    const done = await runner.run("flow", { n: 1 })
    assert.strictEqual(done.status, "SUCCEEDED")
    const succeeded = await refuse(await runner.engine((e) => Effect.succeed(e.rewind(done.executionId, { fromOperation: "1" }))))
    assert.strictEqual(succeeded.tag, "ExecutionNotRewindable")
    assert.strictEqual((await done.refresh()).history.at(-1)!._tag, "ExecutionSucceeded")
    await failed.refresh()
    assert.deepStrictEqual(failed.history, before)
    assert.strictEqual((await runner.engine((e) => e.list({}))).items.length, 3) // no fork was made
    await runner.dispose()
  })

  it("an execution that ended before its first operation is rewound or forked from \"1\", its start; another id is refused, saying so", async () => {
    const broken = { handler: true }
    const early = durable("early", async (input: { n: number }, ctx) => {
      if (broken.handler) throw new Error("bad deploy")
      return ctx.step("a", async () => input.n * 2)
    })
    const runner = createTestRunner({ functions: [early] })
    const failed = await runner.run("early", { n: 4 })
    assert.deepStrictEqual([failed.status, failed.error?.errorMessage], ["FAILED", "bad deploy"])
    const refused = await runner.engine((e) => Effect.flip(e.rewind(failed.executionId, { fromOperation: "2" })))
    assert.strictEqual(refused.message, `Execution ${JSON.stringify(failed.executionId)} records no operation "2" (it records none: from "1" runs it again from its start)`)
    broken.handler = false // the fix is deployed
    const fork = await failed.fork("1")
    assert.deepStrictEqual([fork.status, fork.result], ["SUCCEEDED", 8])
    await failed.rewind("1")
    assert.deepStrictEqual([failed.status, failed.result], ["SUCCEEDED", 8])
    await runner.dispose()
  })

  it("an execution stopped while queued (flow control) is rewound from \"1\": it runs, at once", async () => {
    const limited = durable("limited", async (input: { n: number }, ctx) => ctx.step("a", async () => input.n * 10), { concurrency: 1 })
    const runner = createTestRunner({ functions: [limited] })
    await runner.begin("limited", { n: 1 }, { executionId: "first" })
    await runner.begin("limited", { n: 2 }, { executionId: "queued" })
    const queued = await runner.execution("queued")
    assert.strictEqual(queued.status, "QUEUED")
    await queued.stop()
    assert.strictEqual(queued.status, "STOPPED")
    await runner.drain()
    await queued.rewind("1")
    await runner.drain()
    await queued.refresh()
    assert.deepStrictEqual([queued.status, queued.result], ["SUCCEEDED", 20])
    await runner.dispose()
  })

  it("a fork of an execution that began queued (flow control) runs at once, not QUEUED for ever", async () => {
    const limited = durable("limited", async (input: { n: number }, ctx) => {
      const a = await ctx.step("a", async () => input.n)
      return ctx.step("b", async () => a * 10)
    }, { concurrency: 1 })
    const runner = createTestRunner({ functions: [limited] })
    await runner.begin("limited", { n: 1 }, { executionId: "first" })
    await runner.begin("limited", { n: 2 }, { executionId: "queued" })
    assert.strictEqual((await runner.execution("queued")).status, "QUEUED")
    await runner.drain()
    const source = await runner.execution("queued")
    assert.deepStrictEqual([source.status, source.result], ["SUCCEEDED", 20])
    const fork = await source.fork("2", { input: { n: 3 } })
    assert.deepStrictEqual([fork.status, fork.result], ["SUCCEEDED", 20]) // "a" kept (2), "b" ran again
    assert.strictEqual(fork.history[0]!._tag === "ExecutionStarted" && "queue" in fork.history[0]!, false)
    await runner.dispose()
  })
})
