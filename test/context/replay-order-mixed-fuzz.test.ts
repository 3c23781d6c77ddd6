/**
 * A seeded fuzz that mixes what the other replay fuzzes take one at a time (the final review's): steps whose bodies
 * end together and so share a write (step-gate.ts), caught failures among them, child contexts begun after plain
 * awaits, lanes inside children, a parallel's branches awaiting a step begun outside it, waits, callbacks and
 * children that fail at once. Calm against evicted before or after each completion. It fails on f474766 (before the
 * callers of one write were paced and bodies' starts had their rounds); DEPTH up to 25 passes 600 seeds, and above
 * 32 it fails as documented (continuations deeper than the rounds). FUZZ_SEEDS, FUZZ_FROM, KINDS, MODES widen it.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { type FuzzMode, type FuzzPlan, plain, planOf as planOfKinds, runFuzzSeed } from "./replay-fuzz-runs.ts"
import { gate } from "./step-gate.ts"

type Op = "gstep" | "gcaught" | "childLate" | "awaits" | "step" | "failingChild" | "childLanes" | "wait" | "outerPar" | "callback" | "gchild"
const KINDS: ReadonlyArray<Op> = (process.env.KINDS?.split(",") as Array<Op> | undefined) ?? ["gstep", "gstep", "gcaught", "childLate", "childLate", "awaits", "step", "failingChild", "childLanes", "wait", "outerPar", "callback", "gchild"]
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 100)
const FROM = Number(process.env.FUZZ_FROM ?? 0)
const DEPTH = Number(process.env.DEPTH ?? 25)
const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

type Plan = FuzzPlan<Op>
const planOf = (seed: number): Plan => planOfKinds(seed, KINDS, DEPTH, 2, 4)

const inner = async (c: DurableContext, tag: string, d: number) =>
  Promise.all([
    (async () => { const a = await c.step(`${tag}.a`, async () => { await gate(); return 1 }); return c.step(`${tag}.a2`, async () => a + 1) })(),
    (async () => { await plain(d); return c.step(`${tag}.p`, async () => 2) })(),
    (async () => { try { await c.step(`${tag}.x`, async () => { await gate(); throw new Error("x") }, noRetry) } catch {} return c.step(`${tag}.x2`, async () => 3) })()
  ])

const handlerOf = (name: string, plan: Plan) =>
  durable(name, async (_: unknown, ctx) =>
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
        else if (op === "childLate") { await plain(d); seen.push(await ctx.runInChildContext(`k${tag}`, (c) => inner(c, `k${tag}`, (d * 7) % (DEPTH + 1)))) }
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
    })).then(async (r) => { await ctx.wait("top-cool", { seconds: 5 }); return r }))

const runSeed = (seed: number, mode: FuzzMode) => runFuzzSeed(handlerOf(`mixed-${seed}`, planOf(seed)), `mixed-${seed}`, seed, mode, true)
const MODES = (process.env.MODES?.split(",") as Array<FuzzMode> | undefined) ?? ["after-completion", "before-completion"]

describe("replay order under a mixed seeded fuzz", () => {
  it(`replays ${SEEDS} seeds of mixed lanes as they ran`, { timeout: 600_000 }, async () => {
    const failures: Array<string> = []
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      const calm = await runSeed(seed, "none")
      if (calm.status !== "SUCCEEDED") { failures.push(`seed ${seed}: calm ${calm.status} ${calm.error}`); continue }
      for (const mode of MODES) {
        const other = await runSeed(seed, mode)
        const same = mode === "crash" ? other.status === calm.status && JSON.stringify(other.result) === JSON.stringify(calm.result) : JSON.stringify(other) === JSON.stringify(calm)
        if (!same) failures.push(`seed ${seed}, ${mode}: ${other.status} ${(other.error ?? "").slice(0, 200)} ${JSON.stringify(planOf(seed).lanes)}`)
      }
    }
    assert.deepStrictEqual(failures, [])
  })
})
