/**
 * The lanes of the separate-writes fuzz (replay-order-separate-writes.test.ts, and on Durable Objects
 * test/adapters/cloudflare/replay-order.test.ts): steps whose bodies take 0-40 microtasks (an `async` body that
 * computes), caught failures, one-step children and plain awaits of 0-20 before a call, so that steps of different
 * lanes end within each other's continuations. A seed gives the same lanes on every runtime.
 */
import type { DurableContext } from "../../src/index.ts"
import { plain, random } from "./replay-fuzz-runs.ts"

type Op = "step" | "caught" | "awaits" | "child"
const KINDS: ReadonlyArray<Op> = ["step", "step", "caught", "awaits", "child"]
const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

export interface SeparateOp {
  readonly op: Op
  /** Microtasks the step body takes. */
  readonly body: number
  /** Plain awaits before an `awaits` op's step; `gap % 6` after every op. */
  readonly gap: number
}

/** 2-4 lanes of 1-4 operations. */
export const separateLanes = (seed: number): Array<Array<SeparateOp>> => {
  const next = random(seed)
  const int = (n: number) => Math.floor(next() * n)
  return Array.from({ length: 2 + int(3) }, () =>
    Array.from({ length: 1 + int(4) }, () => ({ op: KINDS[int(KINDS.length)]!, body: int(41), gap: int(21) })))
}

/** Runs the lanes side by side; what each lane saw, in its order. */
export const runSeparateLanes = (ctx: DurableContext, lanes: Array<Array<SeparateOp>>) =>
  Promise.all(lanes.map(async (lane, l) => {
    const seen: Array<unknown> = []
    for (let o = 0; o < lane.length; o++) {
      const { op, body, gap } = lane[o]!
      const tag = `${l}.${o}`
      if (op === "step") seen.push(await ctx.step(`s${tag}`, async () => { await plain(body); return tag }))
      else if (op === "caught") {
        try {
          await ctx.step(`x${tag}`, async () => { await plain(body); throw new Error(tag) }, noRetry)
        } catch (error) {
          seen.push(String(error))
        }
      } else if (op === "awaits") {
        await plain(gap)
        seen.push(await ctx.step(`p${tag}`, async () => { await plain(body); return tag }))
      } else {
        seen.push(await ctx.runInChildContext(`k${tag}`, (c) => c.step(`k${tag}.0`, async () => { await plain(body); return tag })))
      }
      await plain(gap % 6)
    }
    return seen
  }))
