/**
 * A child context that ends at once (no operation of its own) at a body's start, beside a lane that awaits a
 * little plain work before its first call. A replay holds the child's end (a turn) for the start's rounds, so the
 * lane calls first; the first run let the child's caller go on at once (its outcome is queued, not a written append,
 * so body-starts.ts did not hold it) and it took the id first. Failed at 6fa7351 (passed at 3cb3cb5, which gave the
 * start no rounds on either side).
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

const plain = async (n: number) => { for (let i = 0; i < n; i++) await Promise.resolve() }

const shapes: Record<string, (ctx: DurableContext, depth: number) => Promise<unknown>> = {
  childReturns: (ctx, depth) => Promise.all([
    (async () => { await ctx.runInChildContext("k", async () => 1); return ctx.step("after-k", async () => 1) })(),
    (async () => { await plain(depth); return ctx.step("p", async () => 2) })()
  ]),
  childFails: (ctx, depth) => Promise.all([
    (async () => {
      try { await ctx.runInChildContext("f", async () => { throw new Error("f") }) } catch {}
      return ctx.step("after-f", async () => 1)
    })(),
    (async () => { await plain(depth); return ctx.step("p", async () => 2) })()
  ]),
  inAChild: (ctx, depth) => ctx.runInChildContext("outer", async (o) => {
    const r = await Promise.all([
      (async () => { await o.runInChildContext("k", async () => 1); return o.step("after-k", async () => 1) })(),
      (async () => { await plain(depth); return o.step("p", async () => 2) })()
    ])
    await o.wait("cool-inner", { seconds: 5 })
    return r
  })
}

describe("a child that ends at once at a body's start", () => {
  for (const [key, shape] of Object.entries(shapes)) {
    for (const depth of [3, 9, 20]) {
      it(`${key}, a lane of ${depth} plain awaits beside it`, async () => {
        const fn = durable(`${key}-${depth}`, async (_: unknown, ctx) => {
          const r = await shape(ctx, depth)
          await ctx.wait("cool-off", { seconds: 5 })
          return r
        })
        const runner = createTestRunner({ functions: [fn] })
        try {
          const execution = await runner.start(`${key}-${depth}`)
          await execution.evict()
          await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
          await execution.settle()
          assert.strictEqual(execution.status, "SUCCEEDED", execution.error?.errorMessage)
          const crashed = await runner.run(`${key}-${depth}`, undefined, { crashAtEveryCheckpoint: true })
          assert.strictEqual(crashed.status, "SUCCEEDED", crashed.error?.errorMessage)
        } finally {
          await runner.dispose()
        }
      })
    }
  }
})
