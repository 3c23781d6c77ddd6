import { assert, describe, it } from "@effect/vitest"
import { durable, retryPresets } from "../../src/index.ts"
import { createTestRunner, replayCheck } from "../../src/testing/index.ts"

let bodies = 0
const body = <T>(value: T) => () => {
  bodies++
  return value
}

const rich = durable("rich", async (input: { n: number }, ctx) => {
  const a = await ctx.step("a", body(input.n))
  const at = await ctx.now()
  const mapped = await ctx.map("double", [1, 2, 3], async (child, item) => child.step(`x${item}`, body(item * 2)))
  const both = await ctx.parallel("both", [async (c) => c.step("l", body("l")), async (c) => c.step("r", body("r"))])
  const inner = await ctx.runInChildContext("inner", async (c) => {
    await c.wait("nap", { seconds: 5 })
    return c.step("deep", body("deep"))
  })
  const polled = await ctx.waitForCondition("poll", async (state: number) => {
    bodies++
    return state + 1
  }, { initialState: 0, waitStrategy: (state) => (state < 2 ? { shouldContinue: true, delay: { seconds: 1 } } : { shouldContinue: false }) })
  const answer = await ctx.waitForCallback("ask", async () => void bodies++)
  return { a, at: at.getTime(), mapped: mapped.getResults(), both: both.getResults(), inner, polled, answer }
})

describe("replayCheck (reprise/testing)", () => {
  it("replays a finished execution of every operation kind cleanly, without running a step body", async () => {
    const runner = createTestRunner({ functions: [rich] })
    const execution = await runner.run("rich", { n: 7 }, { callbacks: { ask: () => ({ succeed: "\"yes\"" }) } })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    bodies = 0
    const [report] = await replayCheck([rich], [execution.history])
    assert.strictEqual(report!.verdict, "replays cleanly", JSON.stringify(report))
    assert.strictEqual(bodies, 0)
    await runner.dispose()
  })

  it("a suspended execution replays cleanly up to where it waits", async () => {
    const runner = createTestRunner({ functions: [rich] })
    const execution = await runner.start("rich", { n: 1 })
    assert.strictEqual(execution.status, "RUNNING")
    bodies = 0
    const [report] = await replayCheck([rich], [{ executionId: execution.executionId, events: execution.history }])
    assert.strictEqual(report!.verdict, "replays cleanly", JSON.stringify(report))
    assert.strictEqual(bodies, 0)
    await runner.dispose()
  })

  it("reports a step the code no longer makes, one it renamed, and one it retries differently only when its call changed", async () => {
    const v1 = durable("steps", async (_: unknown, ctx) => {
      await ctx.step("one", body(1))
      await ctx.step("two", body(2), { retryStrategy: retryPresets.noRetry })
      await ctx.step("three", body(3))
      return "v1"
    })
    const runner = createTestRunner({ functions: [v1] })
    const { history } = await runner.run("steps")
    const dropped = durable("steps", async (_: unknown, ctx) => {
      await ctx.step("one", body(1))
      await ctx.step("two", body(2))
      return "dropped"
    })
    const renamed = durable("steps", async (_: unknown, ctx) => {
      await ctx.step("one", body(1))
      await ctx.step("zwei", body(2))
      await ctx.step("three", body(3))
      return "renamed"
    })
    const retried = durable("steps", async (_: unknown, ctx) => {
      await ctx.step("one", body(1))
      await ctx.step("two", body(2), { retryStrategy: retryPresets.default })
      await ctx.step("three", body(3))
      return "v1"
    })
    bodies = 0
    const [gone] = await replayCheck([dropped], [history])
    assert.deepStrictEqual(gone!.verdict === "non-deterministic" ? [gone!.operationId, gone!.recorded.name, gone!.call] : gone, ["3", "three", undefined])
    const [other] = await replayCheck([renamed], [history])
    assert.deepStrictEqual(other!.verdict === "non-deterministic" ? [other!.operationId, other!.recorded.name, other!.call?.name] : other, ["2", "two", "zwei"])
    const [same] = await replayCheck([retried], [history])
    assert.strictEqual(same!.verdict, "replays cleanly")
    assert.strictEqual(bodies, 0)
    await runner.dispose()
  })

  it("says the new code threw, and where, when it fails before a recorded operation (not that the call is gone)", async () => {
    const v1 = durable("greet", async (input: { name?: string }, ctx) => ctx.step("hello", body(`hi ${input.name}`)))
    const runner = createTestRunner({ functions: [v1] })
    const { history } = await runner.run("greet", {})
    const v2 = durable("greet", async (input: { name?: string }, ctx) => {
      if (input.name === undefined) throw new TypeError("name is required") // THROWS-HERE
      return ctx.step("hello", body(`hi ${input.name}`))
    })
    const [report] = await replayCheck([v2], [history])
    assert.strictEqual(report!.verdict, "failed", JSON.stringify(report))
    assert.match(
      (report as { message: string }).message,
      /^the code threw TypeError: name is required, at .*replay-check\.test\.ts:\d+:\d+\), before operation "1" \(STEP "hello"\), which the log holds$/
    )
    await runner.dispose()
  })

  it("says which histories it cannot check: a page, a corrupt log, an unknown function", async () => {
    const runner = createTestRunner({ functions: [rich] })
    const { history, executionId } = await runner.start("rich", { n: 1 })
    const reports = await replayCheck([rich], [
      { executionId, events: history.slice(0, 2), nextCursor: "2" },
      { executionId, events: [history[0], { ...history[1]!, seq: 5 }] },
      [{ ...history[0]!, functionName: "gone" } as never],
      [{ foo: 1 }],
      [{ _tag: "ExecutionStarted", seq: 1 }]
    ])
    assert.deepStrictEqual(reports.map((r) => r.verdict), ["invalid history", "invalid history", "function not found", "invalid history", "invalid history"])
    // Said in a line: which event and why (not the decoder's dump of every event shape).
    const messageOf = (report: (typeof reports)[number]) => ("message" in report ? report.message : undefined)
    assert.strictEqual(messageOf(reports[3]!), "event 1 is not a recorded event: it has no _tag naming one (ExecutionStarted, StepSucceeded …)")
    assert.strictEqual(messageOf(reports[4]!), `event 1 (ExecutionStarted): Missing key at ["at"]`)
    await runner.dispose()
  })
})

describe("replayCheck of an execution started without an input", () => {
  it("gives the handler `{}`, as the live run did, so the same calls replay", async () => {
    // The step's name follows what the handler was given: `undefined` on replay made it another operation.
    const noInput = durable("no-input", async (input: unknown, ctx) => ctx.step(typeof input === "object" && input !== null ? "an-object" : "nothing", body(1)))
    const runner = createTestRunner({ functions: [noInput] })
    const execution = await runner.run("no-input")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.notProperty(execution.history[0], "input", "recorded without an input")
    const [report] = await replayCheck([noInput], [execution.history])
    assert.strictEqual(report!.verdict, "replays cleanly", JSON.stringify(report))
    await runner.dispose()
  })
})

describe("replayCheck over rewound and continued histories", () => {
  it("a rewound history replays its current operations cleanly; a run that continued as new replays up to the call", async () => {
    const fixed = { on: false }
    const flow = durable("rewinding", async (_: unknown, ctx) => {
      await ctx.step("a", async () => 1)
      await ctx.step("b", async () => {
        if (!fixed.on) throw new Error("broken")
        return 2
      }, { retryStrategy: () => ({ shouldRetry: false }) })
      return ctx.step("c", async () => 3)
    })
    const looping = durable("looping", async (input: { n: number }, ctx) => {
      await ctx.step("tick", async () => input.n)
      if (input.n < 1) return ctx.continueAsNew({ n: input.n + 1 })
      return input.n
    })
    const runner = createTestRunner({ functions: [flow, looping] })
    const failed = await runner.run("rewinding")
    assert.strictEqual(failed.status, "FAILED")
    fixed.on = true
    await failed.rewind("2")
    assert.strictEqual(failed.status, "SUCCEEDED")
    const [rewound] = await replayCheck([flow], [failed.history])
    assert.deepStrictEqual(rewound, { executionId: failed.executionId, functionName: "rewinding", verdict: "replays cleanly", operations: 3 })

    const last = await runner.run("looping", { n: 0 }, { executionId: "loop" })
    assert.strictEqual(last.executionId, "loop~2")
    const first = await runner.execution("loop")
    const reports = await replayCheck([looping], [first.history, last.history])
    assert.deepStrictEqual(reports.map((r) => r.verdict), ["replays cleanly", "replays cleanly"])
    await runner.dispose()
  })
})
