/**
 * Shapes of code side by side whose replays, evicted and under crash mode, must match the first run, five times
 * each. The three escape shapes (a continuation calling in another context than its operation's: a branch awaiting a
 * step begun outside it) failed before the callers of one write were paced whatever their contexts
 * (write-releases.ts); most others failed before the callers of one write were paced at all. SHAPE=<name> runs one.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import type { DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { gate } from "./step-gate.ts"

const cool = (c: DurableContext) => c.wait("cool-off", { seconds: 5 })
const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }
const fail = (c: DurableContext, name: string) => c.step(name, async () => {
  await gate()
  throw new Error(name)
}, noRetry)
/** A caught failure, then a step: a longer promise chain than `ok`. */
const caught = async (c: DurableContext, name: string) => {
  try {
    await fail(c, name)
  } catch {}
  return c.step(`after-${name}`, async () => name)
}
const ok = async (c: DurableContext, name: string) => {
  await c.step(name, async () => { await gate(); return name })
  return c.step(`after-${name}`, async () => name)
}

const ATTEMPTS = new Map<string, number>()
type Shape = (ctx: DurableContext) => Promise<unknown>

export const SHAPES: Record<string, Shape> = {
  // A child's code awaits a step of its parent's context beside one of its own (a branch awaiting a config step).
  escapeIntoChild: async (ctx) => {
    const outer = ctx.step("outer", async () => { await gate(); return "o" })
    return ctx.runInChildContext("c", async (c) => {
      const r = await Promise.all([
        (async () => {
          await outer.then((x) => x).then((x) => x).then((x) => x).then((x) => x)
          return c.step("after-outer", async () => "x")
        })(),
        ok(c, "inner")
      ])
      await cool(c)
      return r
    })
  },
  // The same, the outer step failing and caught (a longer chain), the child's own step simple.
  escapeCaughtIntoChild: async (ctx) => {
    const outer = fail(ctx, "outer")
    return ctx.runInChildContext("c", async (c) => {
      const r = await Promise.all([
        (async () => {
          try { await outer } catch {}
          return c.step("after-outer", async () => "x")
        })(),
        ok(c, "inner")
      ])
      await cool(c)
      return r
    })
  },
  // A parallel's branches await a step begun before the parallel, beside their own step.
  parallelAwaitsOuter: async (ctx) => {
    const config = ctx.step("config", async () => { await gate(); return 1 })
    const r = await ctx.parallel("p", [0, 1].map((b) => async (branch: DurableContext) => {
      const r = await Promise.all([
        (async () => {
          await config.then((x) => x).then((x) => x).then((x) => x).then((x) => x)
          return branch.step(`b${b}-after-config`, async () => b)
        })(),
        ok(branch, `b${b}-own`)
      ])
      await cool(branch)
      return r
    }))
    return r.getResults()
  },
  // Lanes with a caught failure inside one child context.
  lanesInChild: async (ctx) => ctx.runInChildContext("c", async (c) => {
    const r = await Promise.all([caught(c, "f"), ok(c, "s")])
    await cool(c)
    return r
  }),
  // Lanes in parallel branches, each branch with a caught failure beside a success.
  parallelLanes: async (ctx) => (await ctx.parallel("p", [0, 1].map((b) => async (c: DurableContext) => {
    const r = await Promise.all([caught(c, `f${b}`), ok(c, `s${b}`)])
    await cool(c)
    return r
  }))).getResults(),
  // A combinator over a failed and a succeeded step, beside a lane.
  allSettledBeside: async (ctx) => Promise.all([
    (async () => {
      const r = await ctx.promise.allSettled([fail(ctx, "cf"), ctx.step("cs", async () => { await gate(); return 1 })])
      return [r.map((x) => x.status), await ctx.step("after-comb", async () => 1)]
    })(),
    ok(ctx, "lane")
  ]),
  // A combinator beside a caught failure: the combinator's ops end with the failure.
  allBesideCaught: async (ctx) => Promise.all([
    (async () => {
      const r = await ctx.promise.all([ctx.step("a", async () => { await gate(); return 1 }), ctx.step("b", async () => { await gate(); return 2 })])
      return [r, await ctx.step("after-comb", async () => 1)]
    })(),
    caught(ctx, "f")
  ]),
  // ctx.now() beside a step and a caught failure.
  nowBeside: async (ctx) => Promise.all([
    (async () => {
      await ctx.now()
      return ctx.step("after-now", async () => 1)
    })(),
    caught(ctx, "f"),
    ok(ctx, "s")
  ]),
  // A child that returns at once (its end in the write) beside steps.
  childEndBesideSteps: async (ctx) => Promise.all([
    (async () => {
      await ctx.runInChildContext("k", async () => { await gate(); return 1 })
      return ctx.step("after-k", async () => 1)
    })(),
    caught(ctx, "f"),
    ok(ctx, "s")
  ]),
  // A failing child beside steps.
  failingChildBesideSteps: async (ctx) => Promise.all([
    (async () => {
      try { await ctx.runInChildContext("k", async () => { await gate(); throw new Error("k") }) } catch {}
      return ctx.step("after-k", async () => 1)
    })(),
    ok(ctx, "s"),
    caught(ctx, "f")
  ]),
  // A child running a step, beside steps of its parent: the child's step and the parent's share a write.
  childStepBesideSteps: async (ctx) => Promise.all([
    (async () => {
      await ctx.runInChildContext("k", async (k) => k.step("k-step", async () => { await gate(); return 1 }))
      return ctx.step("after-k", async () => 1)
    })(),
    caught(ctx, "f"),
    ok(ctx, "s")
  ]),
  // A step that fails once (retried) beside lanes.
  retryBeside: async (ctx) => Promise.all([
    (async () => {
      await ctx.step("r", async () => {
        const n = ATTEMPTS.get(ctx.executionId) ?? 0
        ATTEMPTS.set(ctx.executionId, n + 1)
        await gate()
        if (n === 0) throw new Error("once")
        return 1
      }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 1 } }) })
      return ctx.step("after-r", async () => 1)
    })(),
    caught(ctx, "f"),
    ok(ctx, "s")
  ]),
  // A map whose items hold a caught failure beside a success.
  mapLanes: async (ctx) => (await ctx.map("m", [0, 1, 2], async (c, i) => {
    const r = await Promise.all([caught(c, `f${i}`), ok(c, `s${i}`)])
    await cool(c)
    return r
  })).getResults(),
  // Many lanes, failing-caught ones first.
  manyLanes: async (ctx) => Promise.all([caught(ctx, "f0"), ok(ctx, "s1"), caught(ctx, "f2"), ok(ctx, "s3"), ok(ctx, "s4")]),
  nestedChildLanes: async (ctx) => ctx.runInChildContext("o", async (o) => o.runInChildContext("i", async (c) => {
    const r = await Promise.all([caught(c, "f"), ok(c, "s"), ok(c, "t")])
    await cool(c)
    return r
  })),
  // waitForCallback lanes beside caught failures (the submitter is a step).
  waitForCallbackBeside: async (ctx) => Promise.all([
    ctx.waitForCallback("w", async () => { await gate() }, { timeout: { seconds: 1 } }).then(() => "answered", () => "timed out").then(async (x) => [x, await ctx.step("after-w", async () => 1)]),
    caught(ctx, "f"),
    ok(ctx, "s")
  ])
}

const wrap = (name: string, shape: Shape) => durable(name, async (_: unknown, ctx) => {
  const r = await shape(ctx)
  await ctx.wait("cool-off-top", { seconds: 5 })
  return r
})

const ONLY = process.env.SHAPE
describe("replay order of shapes side by side", () => {
  for (const [key, shape] of Object.entries(SHAPES)) {
    if (ONLY !== undefined && ONLY !== key) continue
    it(key, async () => {
      const fn = wrap(key, shape)
      const problems: Array<string> = []
      for (let rep = 0; rep < 5; rep++) {
        const runner = createTestRunner({ functions: [fn] })
        try {
          const calm = await runner.run(key)
          if (calm.status !== "SUCCEEDED") problems.push(`calm ${calm.status} ${calm.error?.errorMessage}`)
          const ids = calm.operations.map((op) => `${op.id}=${op.name}`).join(" ")
          const ev = await runner.start(key)
          await ev.evict()
          await runner.fireAt(ev.executionId, ev.now.getTime() + 5_000)
          await ev.settle()
          if (ev.status !== "SUCCEEDED") problems.push(`evicted ${ev.status} ${ev.error?.errorMessage} | calm ids ${ids}`)
          else if (JSON.stringify(ev.result) !== JSON.stringify(calm.result)) problems.push(`evicted result differs`)
          const cr = await runner.run(key, undefined, { crashAtEveryCheckpoint: true })
          if (cr.status !== "SUCCEEDED") problems.push(`crash ${cr.status} ${cr.error?.errorMessage}`)
          else if (JSON.stringify(cr.result) !== JSON.stringify(calm.result)) problems.push(`crash result differs ${JSON.stringify(cr.result)} vs ${JSON.stringify(calm.result)}`)
        } finally {
          await runner.dispose()
        }
      }
      assert.deepStrictEqual([...new Set(problems)], [])
    })
  }
})
