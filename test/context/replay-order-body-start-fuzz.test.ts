/**
 * A seeded fuzz of bodies' starts (the review of the body-start rounds): lanes that await up to DEPTH rounds of plain
 * microtasks before their calls, at the start of the handler, of child contexts, nested children, map items, parallel
 * branches, a ctx.promise combinator and waitForCallback submitters, beside children that end or fail at once and
 * lanes that wait (ends the actor writes itself). Each seed runs calm and evicted before or after each completion;
 * the outcome must match. It found a child that ends at once at a body's start going on before the start's rounds on
 * a first run (5 of 2,000 seeds). FUZZ_SEEDS, FUZZ_FROM, DEPTH, KINDS and MODES (crash: crashed at every checkpoint)
 * widen the look: 2,000 seeds, depth 25, and 500 seeds in crash mode pass.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, type DurableContext } from "../../src/index.ts"
import { type FuzzMode, type FuzzPlan, plain, planOf as planOfKinds, replaySeeds, runFuzzSeed } from "./replay-fuzz-runs.ts"

type Op = "callback" | "step" | "caughtStep" | "awaits" | "childLanes" | "mapLanes" | "parallelLanes" | "combLanes" | "nestedLanes" | "failingChild" | "child" | "wfc" | "now" | "wait"
const KINDS: ReadonlyArray<Op> = (process.env.KINDS?.split(",") as Array<Op> | undefined) ?? ["callback", "callback", "step", "caughtStep", "awaits", "childLanes", "mapLanes", "parallelLanes", "combLanes", "nestedLanes", "failingChild", "child", "wfc", "now", "wait"]
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 100)
const FROM = Number(process.env.FUZZ_FROM ?? 0)
const DEPTH = Number(process.env.DEPTH ?? 10)


type Plan = FuzzPlan<Op>
const planOf = (seed: number): Plan => planOfKinds(seed, KINDS, DEPTH, 1, 3)

/** Two lanes in a fresh body: one step then another; plain awaits then a step. */
const inner = async (c: DurableContext, tag: string, d: number) => {
  const r = await Promise.all([
    (async () => { const a = await c.step(`${tag}.a`, async () => 1); return c.step(`${tag}.a2`, async () => a + 1) })(),
    (async () => { await plain(d); return c.step(`${tag}.p`, async () => 2) })()
  ])
  if (COOL) await c.wait(`${tag}.cool`, { seconds: 5 })
  return r
}
const COOL = process.env.COOL !== "0"


const handlerOf = (name: string, plan: Plan) =>
  durable(name, async (_: unknown, ctx) =>
    Promise.all(plan.lanes.map(async (lane, l) => {
      const seen: Array<unknown> = []
      for (let o = 0; o < lane.length; o++) {
        const tag = `${l}.${o}`
        const d = plan.depths[(l * 7 + o) % 64]!
        const op = lane[o]!
        if (op === "callback") {
          const [answer] = await ctx.createCallback<string>(`c${tag}`)
          seen.push(await answer)
        } else if (op === "step") {
          seen.push(await ctx.step(`s${tag}`, async () => tag))
        } else if (op === "caughtStep") {
          try {
            await ctx.step(`x${tag}`, async () => { throw new Error(`x${tag}`) }, { retryStrategy: () => ({ shouldRetry: false }) })
          } catch (error) { seen.push(String(error)) }
        } else if (op === "awaits") {
          await plain(d)
          seen.push(await ctx.step(`p${tag}`, async () => tag))
        } else if (op === "wait") {
          await ctx.wait(`t${tag}`, { seconds: 1 })
          await plain(d % 4)
          seen.push(await ctx.step(`t${tag}.after`, async () => tag))
        } else if (op === "now") {
          seen.push((await ctx.now()).getTime() > 0)
        } else if (op === "childLanes") {
          seen.push(await ctx.runInChildContext(`k${tag}`, (c) => inner(c, `k${tag}`, d)))
        } else if (op === "nestedLanes") {
          seen.push(await ctx.runInChildContext(`n${tag}`, (o2) => Promise.all([
            o2.step(`n${tag}.s`, async () => 0),
            o2.runInChildContext(`n${tag}.i`, (c) => inner(c, `n${tag}.i`, d))
          ])))
        } else if (op === "mapLanes") {
          seen.push((await ctx.map(`m${tag}`, [0, 1], async (item, i) => inner(item, `m${tag}.${i}`, (d + i) % (DEPTH + 1)))).getResults())
        } else if (op === "parallelLanes") {
          seen.push((await ctx.parallel(`q${tag}`, [0, 1].map((b) => async (branch: DurableContext) => inner(branch, `q${tag}.${b}`, (d + b * 3) % (DEPTH + 1))))).getResults())
        } else if (op === "combLanes") {
          // a combinator at the start of a child body, beside a lane of plain awaits
          seen.push(await ctx.runInChildContext(`y${tag}`, (c) => Promise.all([
            (async () => { const r = await c.promise.all([c.step(`y${tag}.a`, async () => 1), c.step(`y${tag}.b`, async () => 2)]); return [r, await c.step(`y${tag}.after`, async () => 3)] })(),
            (async () => { await plain(d); return c.step(`y${tag}.p`, async () => 4) })()
          ])))
        } else if (op === "failingChild") {
          try { await ctx.runInChildContext(`f${tag}`, async () => { await plain(d % 3); throw new Error(`f${tag}`) }) } catch (error) { seen.push(String(error)) }
        } else if (op === "child") {
          seen.push(await ctx.runInChildContext(`j${tag}`, async (c) => { await plain(d); return c.step(`j${tag}.0`, async () => tag) }))
        } else {
          seen.push(await ctx.waitForCallback<string>(`w${tag}`, async () => { await plain(d) }))
        }
      }
      return seen
    })).then(async (r) => { await ctx.wait("top-cool", { seconds: 5 }); return r }))

const runSeed = (seed: number, mode: FuzzMode) => runFuzzSeed(handlerOf(`fuzz-${seed}`, planOf(seed)), `fuzz-${seed}`, seed, mode, true)

const MODES = (process.env.MODES?.split(",") as Array<FuzzMode> | undefined) ?? ["after-completion", "before-completion"]
describe("replay order at bodies' starts under a seeded fuzz", () => {
  it(`replays ${SEEDS} seeds of lanes that await plain work at bodies' starts as they ran`, { timeout: 600_000 }, async () => {
    const failures = await replaySeeds(FROM, SEEDS, MODES, runSeed, (seed) => planOf(seed).lanes)
    if (process.env.SHOW !== undefined) console.log(JSON.stringify(await runSeed(Number(process.env.SHOW), "after-completion")))
    assert.deepStrictEqual(failures, [])
  })
})
