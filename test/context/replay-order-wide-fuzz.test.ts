/**
 * A wide replay fuzz (the review's): lanes of every kind of operation (steps, caught failures, plain awaits,
 * children, waits, callbacks, waitForCallback, maps with microtask bodies, maps of steps, `ctx.promise.all`,
 * at-most-once and retried steps, waitForCondition, parallel, an async serdes) whose bodies end within microtasks of
 * each other, calm against evicted after each completion and crashed at every checkpoint. FUZZ_SEEDS, FUZZ_FROM,
 * KINDS widen it.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable, StepSemantics, type DurableContext } from "../../src/index.ts"
import { plain, random, runFuzzSeed } from "./replay-fuzz-runs.ts"

const SEEDS = Number(process.env.FUZZ_SEEDS ?? 300)
const FROM = Number(process.env.FUZZ_FROM ?? 0)
const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }
type Op = "step" | "caught" | "awaits" | "child" | "wait" | "callback" | "wfc" | "map" | "all" | "amo" | "retry" | "cond" | "mapSteps" | "par" | "serdes"
const ALL: ReadonlyArray<Op> = ["step", "step", "caught", "awaits", "child", "wait", "callback", "wfc", "map", "all", "amo", "retry", "cond", "mapSteps", "par", "serdes"]
const KINDS: ReadonlyArray<Op> = (process.env.KINDS?.split(",") as Array<Op> | undefined) ?? ALL

const fuzzed = (seed: number) => {
  const next = random(seed)
  const int = (n: number) => Math.floor(next() * n)
  const lanes = Array.from({ length: 2 + int(3) }, () => Array.from({ length: 1 + int(4) }, () => ({ op: KINDS[int(KINDS.length)]!, body: int(41), gap: int(21) })))
  const name = `wide-${seed}`
  return {
    name, lanes,
    fn: durable(name, async (_: unknown, ctx: DurableContext) => {
      const r = await Promise.all(lanes.map(async (lane, l) => {
        const seen: Array<unknown> = []
        for (let o = 0; o < lane.length; o++) {
          const { op, body, gap } = lane[o]!
          const tag = `${l}.${o}`
          const work = async () => { await plain(body); return tag }
          if (op === "step") seen.push(await ctx.step(`s${tag}`, work))
          else if (op === "caught") {
            try { await ctx.step(`x${tag}`, async () => { await plain(body); throw new Error(tag) }, noRetry) } catch (e) { seen.push(String(e)) }
          } else if (op === "awaits") { await plain(gap); seen.push(await ctx.step(`p${tag}`, work)) }
          else if (op === "child") seen.push(await ctx.runInChildContext(`k${tag}`, (c) => c.step(`k${tag}.0`, work)))
          else if (op === "wait") { await ctx.wait(`t${tag}`, { seconds: 1 }); await plain(gap % 8); seen.push(await ctx.step(`t${tag}.a`, work)) }
          else if (op === "callback") { const [answer] = await ctx.createCallback<string>(`c${tag}`); seen.push(await answer) }
          else if (op === "wfc") seen.push(await ctx.waitForCallback<string>(`w${tag}`, async () => { await plain(body) }))
          else if (op === "map") seen.push((await ctx.map(`m${tag}`, [0, 1, 2], async (_i, i) => { await plain((body + i * 7) % 30); return i })).getResults())
          else if (op === "mapSteps") seen.push((await ctx.map(`n${tag}`, [0, 1], async (item, i) => item.step(`n${tag}.${i}`, async () => { await plain((body + i * 11) % 30); return i }))).getResults())
          else if (op === "all") seen.push(await ctx.promise.all(`a${tag}`, [ctx.step(`a${tag}.0`, work), ctx.step(`a${tag}.1`, async () => { await plain(gap); return 1 })]))
          else if (op === "serdes") seen.push(await ctx.step(`z${tag}`, work, { serdes: { serialize: async (v: unknown) => JSON.stringify(v), deserialize: async (d: string | undefined) => (d === undefined ? undefined : JSON.parse(d)) } }))
          else if (op === "amo") seen.push(await ctx.step(`o${tag}`, work, { semantics: StepSemantics.AtMostOncePerRetry }))
          else if (op === "retry") seen.push(await ctx.step(`r${tag}`, async (sc) => { await plain(body); if (sc.attempt < 2) throw new Error("again"); return tag }, { retryStrategy: (_e, attempt) => ({ shouldRetry: attempt < 3, delay: { seconds: 1 } }) }))
          else if (op === "cond") seen.push(await ctx.waitForCondition(`q${tag}`, async (s: number) => { await plain(body % 10); return s + 1 }, { initialState: 0, waitStrategy: (s: number) => s < 2 ? { shouldContinue: true, delay: { seconds: 1 } } : { shouldContinue: false } }))
          else seen.push((await ctx.parallel(`y${tag}`, [0, 1].map((b) => async (br: DurableContext) => { await plain(b * gap); return br.step(`y${tag}.${b}`, async () => { await plain((body + b * 13) % 30); return b }) }))).getResults())
          await plain(gap % 6)
        }
        return seen
      }))
      await ctx.wait("cool-off", { seconds: 5 })
      return r
    })
  }
}

describe("replay order under a wide seeded fuzz", () => {
  it(`replays ${SEEDS} seeds of every kind of operation as they ran`, { timeout: 3_600_000 }, async () => {
    const differed: Array<string> = []
    for (let seed = FROM; seed < FROM + SEEDS; seed++) {
      const { fn, name, lanes } = fuzzed(seed)
      const calm = await runFuzzSeed(fn, name, seed, "none", true)
      if (calm.status !== "SUCCEEDED") { differed.push(`seed ${seed} calm: ${calm.status} ${calm.error}`); continue }
      for (const mode of ["after-completion", "crash"] as const) {
        // A crash after an at-most-once step's StepStarted interrupts it by design.
        if (mode === "crash" && lanes.some((l) => l.some((o) => o.op === "amo"))) continue
        const run = await runFuzzSeed(fn, name, seed, mode, true)
        if (run.status !== "SUCCEEDED" || JSON.stringify(run.result) !== JSON.stringify(calm.result)) {
          differed.push(`seed ${seed} ${mode}: ${run.status} ${(run.error ?? "result differs").slice(0, 160)} ${JSON.stringify(lanes.map((l) => l.map((o) => `${o.op}/${o.body}/${o.gap}`)))}`)
        }
      }
    }
    assert.deepStrictEqual(differed, [])
  })
})
