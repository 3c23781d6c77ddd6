import { assert, describe, it } from "@effect/vitest"
import { type BatchResult, ChildContextError, type CompletionConfig, ConfigurationError, durable, StepError } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** The parts of a BatchResult that must not change between a warm run and a replay. */
const shape = (result: BatchResult<unknown>) => ({
  status: result.status,
  reason: result.completionReason,
  items: result.all.map((item) => ({ index: item.index, name: item.name, status: item.status, result: item.result, error: item.error?.message }))
})

describe("ctx.map", () => {
  it("runs at most maxConcurrency items at once, returns results in item order, names iterations with itemNamer", async () => {
    let running = 0
    let peak = 0
    const fn = durable("map-5", async (_: unknown, ctx) => {
      const result = await ctx.map("resize", [50, 10, 40, 20, 30], async (item, size) =>
        await item.step("work", async () => {
          running++
          peak = Math.max(peak, running)
          await new Promise((resolve) => setTimeout(resolve, size)) // real time: items finish out of order
          running--
          return size * 2
        }), { maxConcurrency: 2, itemNamer: (size, index) => `image-${index}-${size}px` })
      return { results: result.getResults(), status: result.status, reason: result.completionReason }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("map-5")
    assert.strictEqual(peak, 2)
    assert.deepStrictEqual(execution.result, { results: [100, 20, 80, 40, 60], status: "SUCCEEDED", reason: "ALL_COMPLETED" })
    const map = execution.getOperation("resize")!
    assert.strictEqual(map.subType, "Map")
    assert.deepStrictEqual(map.children().map((c) => `${c.id} ${c.subType} ${c.name}`), [
      "1-1 MapIteration image-0-50px",
      "1-2 MapIteration image-1-10px",
      "1-3 MapIteration image-2-40px",
      "1-4 MapIteration image-3-20px",
      "1-5 MapIteration image-4-30px"
    ])
    assert.strictEqual(execution.getOperationById("1-3-1")?.name, "work")
    await runner.dispose()
  })

  // Items 0..5 with maxConcurrency 1; items 1, 2 and 4 fail.
  const outcomes = ["ok", "fail", "fail", "ok", "fail", "ok"]
  const policies = [
    ["fail-fast (toleratedFailureCount 0)", { toleratedFailureCount: 0 }, "FAILURE_TOLERANCE_EXCEEDED", "SF"],
    ["tolerated count 1", { toleratedFailureCount: 1 }, "FAILURE_TOLERANCE_EXCEEDED", "SFF"],
    ["tolerated percentage exactly at the threshold", { toleratedFailurePercentage: 50 }, "ALL_COMPLETED", "SFFSFS"],
    ["tolerated percentage just under the failures", { toleratedFailurePercentage: 40 }, "FAILURE_TOLERANCE_EXCEEDED", "SFFSF"],
    ["minSuccessful 2", { minSuccessful: 2 }, "MIN_SUCCESSFUL_REACHED", "SFFS"],
    ["no policy: fail fast, as AWS's SDK", undefined, "FAILURE_TOLERANCE_EXCEEDED", "SF"],
    ["an empty policy: fail fast too", {}, "FAILURE_TOLERANCE_EXCEEDED", "SF"],
    // As a JavaScript caller may pass them (the type, under exactOptionalPropertyTypes, does not let TypeScript).
    ["only undefined thresholds: fail fast too", { minSuccessful: undefined, toleratedFailureCount: undefined } as unknown as CompletionConfig, "FAILURE_TOLERANCE_EXCEEDED", "SF"],
    ["minSuccessful reached by the last item: every item done comes first", { minSuccessful: 3 }, "ALL_COMPLETED", "SFFSFS"]
  ] as const
  for (const [label, completionConfig, reason, statuses] of policies) {
    it(`completion policy: ${label}`, async () => {
      const fn = durable("policy", async (_: unknown, ctx) => {
        const result = await ctx.map(outcomes, async (item, outcome) =>
          await item.step(async () => {
            if (outcome === "fail") throw new Error("item failed")
            return outcome
          }, { retryStrategy: () => ({ shouldRetry: false }) }), { maxConcurrency: 1, ...(completionConfig === undefined ? {} : { completionConfig }) })
        return { reason: result.completionReason, statuses: result.all.map((i) => i.status[0]).join(""), total: result.totalCount, status: result.status }
      })
      const runner = createTestRunner({ functions: [fn] })
      const execution = await runner.run("policy")
      assert.deepStrictEqual(execution.result, { reason, statuses, total: statuses.length, status: "FAILED" })
      await runner.dispose()
    })
  }

  it("leaves items that were running when the batch completed as STARTED", async () => {
    const fn = durable("cut-off", async (_: unknown, ctx) => {
      const result = await ctx.map([0, 1, 2, 3], async (item, i) => {
        if (i === 0) await item.wait({ days: 1 })
        return await item.step(async () => i)
      }, { maxConcurrency: 2, completionConfig: { minSuccessful: 2 } })
      return result.all.map((x) => `${x.index}:${x.status}`)
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("cut-off")
    assert.deepStrictEqual(execution.result, ["0:STARTED", "1:SUCCEEDED", "2:SUCCEEDED"])
    await runner.dispose()
  })

  it("gives the same BatchResult after time skipping and a cold replay as in a warm run", async () => {
    const results: Array<unknown> = []
    const fn = durable("day-branch", async (_: unknown, ctx) => {
      const result = await ctx.parallel("work", [
        { name: "slow", func: async (branch) => { await branch.wait({ days: 1 }); return await branch.step(async () => "slept") } },
        { name: "quick", func: async (branch) => await branch.step(async () => "quick") },
        { name: "broken", func: async (branch) => await branch.step(async () => { throw new Error("broken branch") }, { retryStrategy: () => ({ shouldRetry: false }) }) }
      ], { completionConfig: { toleratedFailureCount: 1 } }) // without it the failure ends the batch at once (fail fast)
      results.push(shape(result))
      await ctx.wait({ seconds: 1 })
      return shape(result)
    })
    const runner = createTestRunner({ functions: [fn] })
    const warm = await runner.run("day-branch")
    const cold = await runner.start("day-branch")
    await cold.evict()
    await cold.settle()
    assert.strictEqual(cold.invocations, 2)
    assert.deepStrictEqual(cold.result, warm.result)
    assert.deepStrictEqual(results[results.length - 1], results[0])
    assert.deepStrictEqual((warm.result as { items: Array<{ status: string }> }).items.map((i) => i.status), ["SUCCEEDED", "SUCCEEDED", "FAILED"])
    await runner.dispose()
  })

  it("applies itemSerdes once per item, on the first run and on a cold replay alike (as AWS's SDK does)", async () => {
    let serialized = 0
    // A serdes whose round trip is not the identity shows how many times it ran over a value.
    const wrap = {
      serialize: async (value: unknown) => {
        serialized++
        return JSON.stringify({ wrapped: value })
      },
      deserialize: async (payload: string | undefined) => payload === undefined ? undefined : { un: JSON.parse(payload).wrapped }
    }
    const fn = durable("item-serdes", async (_: unknown, ctx) => {
      const results = (await ctx.map("m", [1, 2], async (_item, i) => i, { itemSerdes: wrap })).getResults()
      await ctx.wait({ seconds: 1 })
      return results
    })
    const runner = createTestRunner({ functions: [fn] })
    const warm = await runner.run("item-serdes")
    assert.deepStrictEqual(warm.result, [{ un: 1 }, { un: 2 }])
    assert.strictEqual(serialized, 2)
    const cold = await runner.start("item-serdes")
    await cold.evict()
    await cold.settle()
    assert.deepStrictEqual(cold.result, [{ un: 1 }, { un: 2 }])
    await runner.dispose()
  })

  it("reads each item back once on the first run (the batch reuses those values), with the item's own id", async () => {
    const reads: Array<string> = []
    const counted = {
      serialize: async (value: unknown) => JSON.stringify(value),
      deserialize: async (payload: string | undefined, context: { entityId: string }) => {
        reads.push(context.entityId)
        return payload === undefined ? undefined : JSON.parse(payload)
      }
    }
    const fn = durable("item-reads", async (_: unknown, ctx) => (await ctx.map("m", [1, 2], async (_child, value) => value * 10, { itemSerdes: counted })).getResults())
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("item-reads")
    assert.deepStrictEqual(execution.result, [10, 20])
    assert.deepStrictEqual(reads.sort(), ["1-1", "1-2"])
    await runner.dispose()
  })

  it("gives a BatchResult back when a custom batch serdes reads back a plain object, on the first run and on replay", async () => {
    const plainJson = { serialize: async (value: unknown) => JSON.stringify(value), deserialize: async (payload: string | undefined) => payload === undefined ? undefined : JSON.parse(payload) }
    const fn = durable("batch-serdes", async (_: unknown, ctx) => {
      const mapped = await ctx.map("m", [1, 2], async (_child, value) => value, { serdes: plainJson })
      const branches = await ctx.parallel("p", [async () => "a", async () => { throw new Error("b failed") }], { serdes: plainJson, completionConfig: { toleratedFailureCount: 1 } })
      await ctx.wait({ seconds: 1 })
      return { mapped: mapped.getResults(), reason: mapped.completionReason, branches: branches.getResults(), failed: branches.failed().map((item) => item.error instanceof Error) }
    })
    const runner = createTestRunner({ functions: [fn] })
    const warm = await runner.run("batch-serdes")
    assert.deepStrictEqual(warm.result, { mapped: [1, 2], reason: "ALL_COMPLETED", branches: ["a"], failed: [true] })
    const cold = await runner.start("batch-serdes")
    await cold.evict()
    await cold.settle()
    assert.deepStrictEqual(cold.result, warm.result)
    await runner.dispose()
  })

  it("rebuilds a batch too large to store from its summary on replay, running each item once", async () => {
    let bodies = 0
    const fn = durable("big-batch", async (_: unknown, ctx) => {
      const result = await ctx.map([0, 1, 2], async (item, i) => await item.step(async () => {
        bodies++
        return `${i}`.repeat(100 * 1024)
      }))
      await ctx.wait({ seconds: 1 })
      return result.getResults().map((r) => r.length)
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("big-batch")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, [102400, 102400, 102400])
    assert.strictEqual(bodies, 3)
    const map = execution.getOperationById("1")!
    assert.isTrue(map.state.replayChildren)
    assert.strictEqual(JSON.parse(map.state.result!).statuses, "SSS")
    await runner.dispose()
  })

  it("FLAT nesting writes no operation per item", async () => {
    const fn = durable("flat", async (_: unknown, ctx) => {
      const result = await ctx.map([1, 2, 3], async (item, n) => await item.step("double", async () => n * 2), { nesting: "FLAT" })
      await ctx.wait({ seconds: 1 })
      return result.getResults()
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("flat")
    await execution.evict()
    await execution.settle()
    assert.deepStrictEqual(execution.result, [2, 4, 6])
    assert.deepStrictEqual(execution.operations.filter((op) => op.parentId === "1").map((op) => `${op.id} ${op.type}`), ["1-1-1 STEP", "1-2-1 STEP", "1-3-1 STEP"])
    await runner.dispose()
  })

  it("refuses maxConcurrency of 0 before anything starts", async () => {
    const fn = durable("zero", async (_: unknown, ctx) => {
      await ctx.map([1], async () => 1, { maxConcurrency: 0 })
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("zero")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, new ConfigurationError("").name)
    assert.strictEqual(execution.operations.length, 0)
    await runner.dispose()
  })
})

describe("ctx.parallel", () => {
  it("runs named branches returning different types", async () => {
    const fn = durable("branches", async (_: unknown, ctx) => {
      const result = await ctx.parallel<number | string | { ok: boolean }>("fan-out", [
        { name: "count", func: async (b) => await b.step(async () => 42) },
        { name: "label", func: async (b) => await b.step(async () => "hello") },
        async (b) => await b.step(async () => ({ ok: true }))
      ])
      return { results: result.getResults(), names: result.all.map((i) => i.name) }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("branches")
    assert.deepStrictEqual(execution.result, { results: [42, "hello", { ok: true }], names: ["count", "label", "parallel-branch-2"] })
    assert.deepStrictEqual(execution.getOperation("fan-out")!.children().map((c) => c.subType), ["ParallelBranch", "ParallelBranch", "ParallelBranch"])
    await runner.dispose()
  })

  it("hands item errors out as ChildContextError, and throwIfError throws the first", async () => {
    const fn = durable("errors", async (_: unknown, ctx) => {
      const result = await ctx.parallel([
        async () => { throw new TypeError("bad branch") },
        async () => "fine"
      ])
      try {
        result.throwIfError()
        return "no error"
      } catch (error) {
        return { isChild: error instanceof ChildContextError, message: (error as Error).message, errors: result.getErrors().length }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    assert.deepStrictEqual((await runner.run("errors")).result, { isChild: true, message: "bad branch", errors: 1 })
    await runner.dispose()
  })
})

describe("child contexts", () => {
  it("nests ids as 1-1-1", async () => {
    const fn = durable("nested", async (_: unknown, ctx) =>
      await ctx.runInChildContext("outer", async (outer) =>
        await outer.runInChildContext("inner", async (inner) => await inner.step("leaf", async () => "deep"))))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("nested")
    assert.strictEqual(execution.result, "deep")
    assert.deepStrictEqual(execution.operations.map((op) => `${op.id}:${op.name}`), ["1:outer", "1-1:inner", "1-1-1:leaf"])
    await runner.dispose()
  })

  it("replays a 300 KB child result by re-running its body, with its inner steps run once", async () => {
    let inner = 0
    const fn = durable("big-child", async (_: unknown, ctx) => {
      const big = await ctx.runInChildContext("build", async (child) => {
        const a = await child.step("a", async () => { inner++; return "a".repeat(150 * 1024) })
        const b = await child.step("b", async () => { inner++; return "b".repeat(150 * 1024) })
        return a + b
      })
      await ctx.wait({ seconds: 1 })
      return big.length
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("big-child")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.result, 300 * 1024)
    assert.strictEqual(inner, 2)
    assert.isTrue(execution.getOperation("build")!.state.replayChildren)
    await runner.dispose()
  })

  it("wraps failures in ChildContextError, applies errorMapper and records a custom subType", async () => {
    const fn = durable("mapped", async (_: unknown, ctx) => {
      const outcome = (error: unknown) => ({ child: error instanceof ChildContextError, step: error instanceof StepError, message: (error as Error).message })
      const checkout = (mapped: boolean) =>
        ctx.runInChildContext(mapped ? "mapped" : "plain", async () => {
          throw new Error("out of stock")
        }, { subType: "Checkout", ...(mapped ? { errorMapper: (e) => Object.assign(e, { message: `checkout: ${e.message}` }) } : {}) })
      return { plain: await checkout(false).catch(outcome), mapped: await checkout(true).catch(outcome) }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("mapped")
    // AWS's SDK hands the mapper the failure rebuilt from its record: a StepError for a type of no durable error.
    assert.deepStrictEqual(execution.result, {
      plain: { child: true, step: false, message: "out of stock" },
      mapped: { child: false, step: true, message: "checkout: out of stock" }
    })
    assert.strictEqual(execution.getOperation("mapped")!.subType, "Checkout")
    await runner.dispose()
  })
})

describe("a failed item's error", () => {
  class Declined extends Error {
    override name = "Declined"
  }
  const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }
  const chain = (error: unknown): Array<string> => {
    const names: Array<string> = []
    for (let e = error as { name?: string; message?: string; cause?: unknown } | undefined, i = 0; e !== undefined && i < 5; e = e.cause as typeof e, i++) {
      names.push(`${e.name}: ${e.message}`)
    }
    return names
  }

  it("has what the item threw as its cause, and a failed step's cause under it, read back from the record", async () => {
    const fn = durable("item-causes", async (_: unknown, ctx) => {
      const thrown = await ctx.map([1], async () => {
        throw new Declined("card declined")
      })
      const inStep = await ctx.parallel([async (branch) => branch.step("charge", async () => {
        throw new Declined("in a step")
      }, noRetry)])
      return { thrown: chain(thrown.all[0]!.error), inStep: chain(inStep.getErrors()[0]) }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("item-causes")
    assert.deepStrictEqual(execution.result, {
      thrown: ["ChildContextError: card declined", "Declined: card declined"],
      inStep: ["ChildContextError: in a step", "StepError: in a step", "Declined: in a step"]
    })
    await runner.dispose()
  })
})
