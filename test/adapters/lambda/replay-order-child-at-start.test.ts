/**
 * A child context that ends at once beside a lane of plain awaits, at the handler's start, then a wait (an
 * invocation ends; the next replays). The replay's start rounds (replay-order.ts `bodyStarted`) hold the child's end;
 * reprise/lambda runs the same engine over the service's checkpoints, so its first run holds the child's caller
 * for them too (write-releases.ts, body-starts.ts).
 */
import { describe, expect, it } from "vitest"
import type { DurableContext } from "reprise"
import { runUnder } from "./harness.ts"

const plain = async (n: number) => { for (let i = 0; i < n; i++) await Promise.resolve() }

const body = async (_event: unknown, ctx: DurableContext) => {
  const r = await Promise.all([
    (async () => { await ctx.runInChildContext("k", async () => 1); return ctx.step("after-k", async () => 1) })(),
    (async () => { await plain(9); return ctx.step("p", async () => 2) })()
  ])
  await ctx.wait("cool-off", { seconds: 1 })
  return r
}

describe("reprise/lambda: a child that ends at once at the handler's start", () => {
  it("replays beside a lane of plain awaits", async () => {
    const run = await runUnder("reprise", body)
    expect(run.error).toBeUndefined()
    expect(run.status).toBe("SUCCEEDED")
  })
})
