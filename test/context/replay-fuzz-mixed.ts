/**
 * The lanes of the mixed replay fuzz (replay-order-mixed-fuzz.test.ts, and on Durable Objects
 * test/adapters/cloudflare/replay-order.test.ts): steps whose bodies end together (step-gate.ts) and so share a
 * write, caught failures among them, child contexts begun after plain awaits, lanes inside children, a parallel's
 * branches awaiting a step begun outside it, waits, callbacks and children that fail at once. A seed's plan
 * (replay-fuzz-runs.ts `planOf`) gives the same lanes on every runtime.
 */
import type { DurableContext } from "../../src/index.ts"
import { type FuzzPlan, plain } from "./replay-fuzz-runs.ts"
import { gate } from "./step-gate.ts"

export type MixedOp = "gstep" | "gcaught" | "childLate" | "awaits" | "step" | "failingChild" | "childLanes" | "wait" | "outerPar" | "callback" | "gchild"
export const MIXED_KINDS: ReadonlyArray<MixedOp> = ["gstep", "gstep", "gcaught", "childLate", "childLate", "awaits", "step", "failingChild", "childLanes", "wait", "outerPar", "callback", "gchild"]
const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

const inner = async (c: DurableContext, tag: string, d: number) =>
  Promise.all([
    (async () => { const a = await c.step(`${tag}.a`, async () => { await gate(); return 1 }); return c.step(`${tag}.a2`, async () => a + 1) })(),
    (async () => { await plain(d); return c.step(`${tag}.p`, async () => 2) })(),
    (async () => { try { await c.step(`${tag}.x`, async () => { await gate(); throw new Error("x") }, noRetry) } catch {} return c.step(`${tag}.x2`, async () => 3) })()
  ])

/** Runs a plan's lanes side by side (`depth`: the plan's most plain awaits); what each lane saw, in its order. */
export const runMixedLanes = (ctx: DurableContext, plan: FuzzPlan<MixedOp>, depth: number) =>
  Promise.all(plan.lanes.map(async (lane, l) => {
    const seen: Array<unknown> = []
    for (let o = 0; o < lane.length; o++) {
      const tag = `${l}.${o}`
      const d = plan.depths[(l * 7 + o) % 64]!
      const op = lane[o]!
      if (op === "gstep") seen.push(await ctx.step(`g${tag}`, async () => { await gate(); return tag }))
      else if (op === "gcaught") {
        try { await ctx.step(`x${tag}`, async () => { await gate(); throw new Error(`x${tag}`) }, noRetry) } catch (e) { seen.push(String(e)) }
      } else if (op === "step") seen.push(await ctx.step(`s${tag}`, async () => tag))
      else if (op === "awaits") { await plain(d); seen.push(await ctx.step(`p${tag}`, async () => tag)) }
      else if (op === "childLate") { await plain(d); seen.push(await ctx.runInChildContext(`k${tag}`, (c) => inner(c, `k${tag}`, (d * 7) % (depth + 1)))) }
      else if (op === "childLanes") seen.push(await ctx.runInChildContext(`j${tag}`, (c) => inner(c, `j${tag}`, d)))
      else if (op === "gchild") seen.push(await ctx.runInChildContext(`h${tag}`, async (c) => { await c.step(`h${tag}.0`, async () => { await gate(); return 0 }); await plain(d % 5); return c.step(`h${tag}.1`, async () => 1) }))
      else if (op === "failingChild") { try { await ctx.runInChildContext(`f${tag}`, async () => { await plain(d % 3); throw new Error(`f${tag}`) }) } catch (e) { seen.push(String(e)) } }
      else if (op === "wait") { await ctx.wait(`t${tag}`, { seconds: 1 }); await plain(d % 4); seen.push(await ctx.step(`t${tag}.after`, async () => tag)) }
      else if (op === "callback") { const [answer] = await ctx.createCallback<string>(`c${tag}`); seen.push(await answer) }
      else {
        const outer = ctx.step(`o${tag}`, async () => { await gate(); return 5 })
        seen.push((await ctx.parallel(`q${tag}`, [0, 1].map((b) => async (br: DurableContext) => {
          if (b === 0) { const v = await outer; return br.step(`q${tag}.0`, async () => v) }
          await plain(d); const v = await br.step(`q${tag}.1a`, async () => { await gate(); return 1 }); return br.step(`q${tag}.1b`, async () => v)
        }))).getResults())
      }
    }
    return seen
  }))
