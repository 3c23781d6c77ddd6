/**
 * Replay settles recorded operations in the order they ended, so code that calls durable operations from the
 * continuations of operations running side by side replays as it ran (replay-order.ts). Before, such code failed
 * as non-deterministic after a crash: the continuations ran in call order and took each other's ids.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const twoApprovals = durable("two-approvals", async (_: unknown, ctx) => {
  const first = ctx.waitForCallback<string>("first", async () => undefined)
  const second = ctx.waitForCallback<string>("second", async () => undefined)
  const afterFirst = first.then((answer) => ctx.step("after-first", async () => `first:${answer}`))
  const afterSecond = second.then((answer) => ctx.step("after-second", async () => `second:${answer}`))
  const both = await Promise.all([afterFirst, afterSecond])
  await ctx.wait("cool-off", { seconds: 5 })
  return both
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const slowAndFast = durable("slow-and-fast", async (_: unknown, ctx) => {
  const slow = ctx.step("slow", async () => {
    await sleep(30)
    return "slow"
  })
  const fast = ctx.step("fast", async () => "fast")
  const chained = await Promise.all([
    slow.then((value) => ctx.step("after-slow", async () => `${value}!`)),
    fast.then(async (value) => {
      const again = await ctx.step("after-fast", async () => `${value}!`)
      return ctx.step("after-fast-2", async () => `${again}!`)
    })
  ])
  await ctx.wait("cool-off", { seconds: 5 })
  return chained
})

const callbackResults = durable("callback-results", async (_: unknown, ctx) => {
  const [one] = await ctx.createCallback<string>("one")
  const [two] = await ctx.createCallback<string>("two")
  const done = await Promise.all([
    one.then((v) => ctx.step("after-one", async () => v)),
    two.then((v) => ctx.step("after-two", async () => v))
  ])
  await ctx.wait("cool-off", { seconds: 5 })
  return done
})

describe("replay order", () => {
  it("replays continuations of operations that ended out of call order with the ids they took", async () => {
    const runner = createTestRunner({ functions: [twoApprovals] })
    try {
      const execution = await runner.start("two-approvals")
      await execution.sendCallbackSuccess("second", "yes")
      await execution.sendCallbackSuccess("first", "ok")
      const names = execution.operations.filter((op) => op.parentId === undefined).map((op) => op.name)
      assert.deepStrictEqual(names, ["first", "second", "after-second", "after-first", "cool-off"], "the second's continuation took id 3")

      assert.strictEqual(execution.getOperation("cool-off")?.status, "STARTED")
      await execution.evict()
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["first:ok", "second:yes"])
      assert.strictEqual(execution.invocations, 2, "resumed by a cold replay")
    } finally {
      await runner.dispose()
    }
  })

  it("holds at every checkpoint, for steps whose bodies end out of call order", async () => {
    const runner = createTestRunner({ functions: [slowAndFast] })
    try {
      const calm = await runner.run("slow-and-fast")
      assert.strictEqual(calm.status, "SUCCEEDED")
      const ids = Object.fromEntries(calm.operations.map((op) => [op.name, op.id]))
      assert.isBelow(Number(ids["after-fast-2"]), Number(ids["after-slow"]), "the fast branch's continuations came first")

      const crashed = await runner.run("slow-and-fast", undefined, { crashAtEveryCheckpoint: true })
      assert.strictEqual(crashed.status, "SUCCEEDED", crashed.error?.errorMessage)
      assert.deepStrictEqual(crashed.result, ["slow!", "fast!!"])
      const shape = (run: typeof calm) => run.operations.map((op) => [op.id, op.name, op.status])
      assert.deepStrictEqual(shape(crashed), shape(calm))
    } finally {
      await runner.dispose()
    }
  })

  it("orders a callback's result by when it was completed", async () => {
    const runner = createTestRunner({ functions: [callbackResults] })
    try {
      const execution = await runner.start("callback-results")
      await execution.sendCallbackSuccess("two", "2")
      await execution.sendCallbackSuccess("one", "1")
      assert.strictEqual(execution.getOperation("cool-off")?.status, "STARTED")
      await execution.evict()
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["1", "2"])
      assert.strictEqual(execution.invocations, 2)
    } finally {
      await runner.dispose()
    }
  })
})

describe("replay order in a batch", () => {
  it("lets the items that ended before a failing one settle first, as they did", async () => {
    const fn = durable("late-failure", async (_: unknown, ctx) => {
      const batch = await ctx.map("m", [0, 1, 2, 3], async (item, i) => {
        if (i === 0) {
          await item.wait("w", { seconds: 3 })
          throw new Error("boom")
        }
        return i
      }, { maxConcurrency: 2 })
      return batch.all.map((entry) => [entry.index, entry.status])
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const calm = await runner.run("late-failure")
      const expected = [[0, "FAILED"], [1, "SUCCEEDED"], [2, "SUCCEEDED"], [3, "SUCCEEDED"]]
      assert.deepStrictEqual(calm.result, expected)
      const crashed = await runner.run("late-failure", undefined, { crashAtEveryCheckpoint: true })
      assert.deepStrictEqual(crashed.result, expected)
      const evicted = await runner.start("late-failure")
      await evicted.evict()
      await evicted.settle()
      assert.deepStrictEqual(evicted.result, expected)
    } finally {
      await runner.dispose()
    }
  })
})

describe("replay order with what had not ended", () => {
  it("settles a callback completed while the execution was evicted after the recorded one that ended first", async () => {
    const fn = durable("completed-while-evicted", async (_: unknown, ctx) => {
      const [x] = await ctx.createCallback<string>("x")
      const [y] = await ctx.createCallback<string>("y")
      const both = await Promise.all([x.then((v) => ctx.step("after-x", async () => v)), y.then((v) => ctx.step("after-y", async () => v))])
      await ctx.wait("cool-off", { seconds: 2 })
      return both
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start("completed-while-evicted")
      await execution.sendCallbackSuccess("y", "b")
      await execution.evict()
      await execution.sendCallbackSuccess("x", "a")
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["a", "b"])
    } finally {
      await runner.dispose()
    }
  })

  it("lets the next in turn go at once while another waits, so calls made meanwhile keep their ids", async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const fn = durable("held-beside-chain", async (_: unknown, ctx) => {
      const slow = ctx.step("slow", async () => {
        await sleep(10)
        return 0
      })
      const chain = ctx.step("fast", async () => 1).then(() => ctx.step("after-fast", async () => 2))
      for (let i = 0; i < 8; i++) await Promise.resolve() // plain awaits, fewer than the rounds a turn waits
      await ctx.step("mine", async () => 3)
      await ctx.wait("cool-off", { seconds: 2 })
      return await Promise.all([slow, chain])
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const calm = await runner.run("held-beside-chain")
      assert.strictEqual(calm.status, "SUCCEEDED")
      const crashed = await runner.run("held-beside-chain", undefined, { crashAtEveryCheckpoint: true })
      assert.strictEqual(crashed.status, "SUCCEEDED", crashed.error?.errorMessage)
      const evicted = await runner.start("held-beside-chain")
      await evicted.evict()
      await evicted.settle()
      assert.strictEqual(evicted.status, "SUCCEEDED", evicted.error?.errorMessage)
      assert.deepStrictEqual(evicted.result, [0, 2])
    } finally {
      await runner.dispose()
    }
  })
})

describe("replay order of operations called side by side", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  it("lets the continuation of the one that ended first call before the next goes, though both were called in one tick", async () => {
    const fn = durable("side-by-side-then", async (_: unknown, ctx) => {
      const both = await Promise.all([
        ctx.step("a", async () => 1).then(async () => {
          await Promise.resolve() // a continuation a few microtasks deep
          return ctx.step("a2", async () => {
            await sleep(60)
            return "A"
          })
        }),
        ctx.step("b", async () => {
          await sleep(30)
          return 2
        }).then(() => ctx.step("b2", async () => "B"))
      ])
      await ctx.wait("tail", { seconds: 1 })
      return both
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start("side-by-side-then")
      await execution.evict()
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["A", "B"])
    } finally {
      await runner.dispose()
    }
  })

  it("holds an invoked child's outcome that came in while the parent was evicted, as one that had not ended", async () => {
    const kid = durable("kid", async (input: { n: string }, ctx) => {
      const [answer] = await ctx.createCallback<string>("k")
      return `${input.n}:${await answer}`
    })
    const fn = durable("two-kids", async (_: unknown, ctx) => {
      const both = await Promise.all(["a", "b"].map((n) => ctx.invoke(`i${n}`, "kid", { n }).then((v) => ctx.step(`${n}-1`, async () => v))))
      await ctx.wait("tail", { seconds: 1 })
      return both
    })
    const runner = createTestRunner({ functions: [fn, kid] })
    try {
      const parent = await runner.start("two-kids")
      const child = async (name: string) => runner.execution((await parent.refresh()).getOperation(name)!.state.childExecutionId!)
      await (await child("ib")).sendCallbackSuccess("k", "y")
      await parent.evict()
      await (await child("ia")).sendCallbackSuccess("k", "x")
      await parent.settle()
      assert.strictEqual(parent.status, "SUCCEEDED", parent.error?.errorMessage)
      assert.deepStrictEqual(parent.result, ["a:x", "b:y"])
    } finally {
      await runner.dispose()
    }
  })
})

describe("replay order after a replay", () => {
  it("keeps settling operations that end in one batch in the order they ended, whether begun during the replay or after it", async () => {
    const fn = durable("after-replay", async (_: unknown, ctx) => {
      const callbacks = await Promise.all([0, 1, 2].map((i) => ctx.createCallback<string>(`c${i}`)))
      const done = await Promise.all(callbacks.map(([answer], i) => answer.then(async (value) => {
        const seen = await ctx.step(`s${i}`, async () => value)
        if (i % 2 === 0) await ctx.wait(`w${i}`, { seconds: 1 + i })
        return ctx.step(`k${i}`, async () => seen)
      })))
      await ctx.wait("tail", { seconds: 2 })
      return done
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start("after-replay")
      await execution.sendCallbackSuccess("c0", "0")
      await execution.evict()
      await execution.sendCallbackSuccess("c2", "2") // w2 begins after the replay that w0 was held in
      await execution.advanceTime(3160) // both waits fall due in one batch
      await execution.evict()
      await execution.sendCallbackSuccess("c1", "1")
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["0", "1", "2"])
    } finally {
      await runner.dispose()
    }
  })
})

describe("replay order of a child context's outcome", () => {
  // A child's outcome is queued without waiting, beside a step's append made before it: the log holds the step's
  // end first, so the step's continuation must take its next id first on the first run too (the replay fuzz probe).
  const run = async (name: string, child: () => Promise<number>) => {
    const fn = durable(name, async (_: unknown, ctx) => {
      const both = await Promise.all([
        ctx.runInChildContext("child", child).catch(() => 0).then(() => ctx.step("after-child", async () => "C")),
        ctx.step("s", async () => 1).then(() => ctx.step("after-s", async () => "S"))
      ])
      await ctx.wait("tail", { seconds: 1 })
      return both
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start(name)
      const ids = Object.fromEntries(execution.operations.map((op) => [op.name, Number(op.id)]))
      assert.isBelow(ids["after-s"]!, ids["after-child"]!, "the step ended first in the log")
      await execution.evict()
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["C", "S"])
      assert.strictEqual(execution.invocations, 2, "resumed by a cold replay")
    } finally {
      await runner.dispose()
    }
  }

  it("lets a child's caller go on after the steps whose appends came before its outcome", () => run("child-after-step", async () => 0))

  it("does so for a child that failed", () =>
    run("failed-child-after-step", async () => {
      await Promise.resolve()
      throw new Error("no")
    }))

  // The child fails at once, after the steps' write was made but before their callers went on: those callers call
  // first on a replay (their ends come first in the log), so they must on the first run too (write-releases.ts).
  it("lets the callers of a write just made call before a child that failed at once goes on", async () => {
    const fn = durable("failed-at-once", async (_: unknown, ctx) => {
      const lanes = await Promise.all([
        (async () => {
          await ctx.step("a", async () => 1)
          return ctx.step("after-a", async () => "A")
        })(),
        (async () => {
          await ctx.step("b", async () => 2)
          return ctx.step("after-b", async () => "B")
        })(),
        (async () => {
          try {
            await ctx.runInChildContext("f", async () => {
              throw new Error("no")
            })
          } catch {
            // caught: the lane goes on
          }
          return ctx.step("after-f", async () => "F")
        })()
      ])
      await ctx.wait("tail", { seconds: 1 })
      return lanes
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start("failed-at-once")
      const ids = Object.fromEntries(execution.operations.map((op) => [op.name, Number(op.id)]))
      const ends = execution.history.flatMap((e) => (e._tag === "StepSucceeded" || e._tag === "ContextFailed" ? [e.name] : []))
      assert.deepStrictEqual(ends.slice(0, 3), ["a", "b", "f"], "the steps' ends were written before the child's")
      assert.isBelow(ids["after-a"]!, ids["after-f"]!)
      assert.isBelow(ids["after-b"]!, ids["after-f"]!)
      await execution.evict()
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["A", "B", "F"])
      assert.strictEqual(execution.invocations, 2, "resumed by a cold replay")
    } finally {
      await runner.dispose()
    }
  })

  // Two children called side by side fail at once: the first's caller goes on at once, and the second's waits for its
  // rounds, as a replay lets them go; they went together, and the shorter chain called first (the fuzz, seed 1890).
  it("lets the caller of the first of two children that failed side by side call first", async () => {
    const fails = async () => {
      throw new Error("no")
    }
    const fn = durable("two-failed-children", async (_: unknown, ctx) => {
      const lanes = await Promise.all([
        (async () => {
          await ctx.runInChildContext("f1", fails).catch(() => undefined)
          for (let i = 0; i < 3; i++) await Promise.resolve()
          return ctx.step("after-f1", async () => "1")
        })(),
        (async () => {
          await ctx.runInChildContext("f2", fails).catch(() => undefined)
          return ctx.step("after-f2", async () => "2")
        })()
      ])
      await ctx.wait("tail", { seconds: 1 })
      return lanes
    })
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start("two-failed-children")
      assert.deepStrictEqual(execution.operations.map((op) => op.name), ["f1", "f2", "after-f1", "after-f2", "tail"])
      await execution.evict()
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
      assert.deepStrictEqual(execution.result, ["1", "2"])
    } finally {
      await runner.dispose()
    }
  })
})

describe("replay order of a callback's creation", () => {
  // createCallback answers once its CallbackStarted is written: after ends written before it (its id is encoded
  // first). Its creation takes a turn at that place on replay; settled at once, its caller took ids ahead of them.
  const replays = async (fn: ReturnType<typeof durable>, name: string, complete?: string) => {
    const runner = createTestRunner({ functions: [fn] })
    try {
      const execution = await runner.start(name)
      const ids = execution.operations.map((op) => `${op.id}:${op.name}`)
      await execution.evict()
      if (complete !== undefined) await execution.sendCallbackSuccess(complete, JSON.stringify("ok"))
      await execution.settle()
      assert.strictEqual(execution.status, "SUCCEEDED", `${execution.error?.errorMessage} (first run: ${ids.join(", ")})`)
    } finally {
      await runner.dispose()
    }
  }

  it("lets a step's caller that ended before a callback's start call first, though the callback was created first", { timeout: 60_000 }, async () => {
    const fn = durable("cb-beside-step", async (_: unknown, ctx) =>
      Promise.all([
        (async () => {
          const [answer, callbackId] = await ctx.createCallback<string>("c")
          await ctx.step("send", async () => callbackId) // the usual: hand the id out in a step
          return answer
        })(),
        (async () => {
          await ctx.step("s1", async () => 1)
          return ctx.step("s2", async () => 2)
        })()
      ]))
    await replays(fn, "cb-beside-step", "c")
  })

  it("does so beside child contexts, whose callers go on at their place in the log", { timeout: 60_000 }, async () => {
    const fn = durable("cb-empty-child", async (_: unknown, ctx) => {
      const all = await Promise.all([
        (async () => {
          await ctx.createCallback<string>("c")
          return ctx.step("a-next", async () => "a")
        })(),
        (async () => {
          await ctx.runInChildContext("empty", async () => "b")
          return ctx.step("b-next", async () => "b")
        })(),
        (async () => {
          await ctx.runInChildContext("kc", async (c) => c.step("kc.s", async () => "c"))
          return ctx.step("c-next", async () => "c")
        })()
      ])
      await ctx.wait("end", { seconds: 100 })
      return all
    })
    await replays(fn, "cb-empty-child")
  })
})
