/**
 * A seeded fuzz of replay order: lanes of callbacks, waitForCallbacks, steps and maps run side by side, each lane
 * awaiting one operation at a time; the callbacks are completed from outside in a seeded order, and the execution
 * is evicted at each completion (a cold replay then). Its outcome must be the one of a run without evictions.
 * It found a child context's caller going on before the steps whose appends came before its outcome (child-context.ts),
 * and, with child contexts that fail at once or run a step, that caller going on before the callers of a write just
 * made, or after a later one (write-releases.ts: 92 of 4,000 runs failed before, 2,000 seeds); with callbacks whose
 * ids are handed out in a step, a callback's creation settling on replay before the ends written ahead of its start
 * (replay-order.ts creation turns: 323 of 4,000 runs failed before); with steps that fail and are caught and
 * `ctx.now()`, the callers of operations that ended in one write going on together, in the depth of their promise
 * chains, where a replay lets them go one at a time (write-releases.ts pacing: 74 of 2,000 runs failed before,
 * 1,000 seeds); with lanes that await plain work before a call, a replay letting the first recorded operation go
 * before a body's lanes had made their first calls (`bodyStarted`: 62 of 2,000 runs failed before), and two
 * children failing side by side going on together (seed 1890). FUZZ_SEEDS=3000 passes.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { type FuzzMode, random, runFuzzSeed } from "./replay-fuzz-runs.ts"

type Op = "callback" | "waitForCallback" | "step" | "map" | "mapOfSteps" | "mapOfCallbacks" | "failingChild" | "child" | "handOut" | "caughtStep" | "now" | "awaits"
const KINDS: ReadonlyArray<Op> = ["callback", "callback", "waitForCallback", "step", "step", "map", "mapOfSteps", "mapOfCallbacks", "failingChild", "child", "handOut", "caughtStep", "now", "awaits"]
/** About 2 s here; FUZZ_SEEDS=3000 for a longer look (about 20 s; none fails). */
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 200)


const lanesOf = (seed: number): Array<Array<Op>> => {
  const next = random(seed)
  const int = (n: number) => Math.floor(next() * n)
  return Array.from({ length: 1 + int(4) }, () => Array.from({ length: 1 + int(4) }, () => KINDS[int(KINDS.length)]!))
}

const handlerOf = (name: string, lanes: Array<Array<Op>>) =>
  durable(name, async (_: unknown, ctx) =>
    Promise.all(lanes.map(async (lane, l) => {
      const seen: Array<unknown> = []
      for (let o = 0; o < lane.length; o++) {
        const tag = `${l}.${o}`
        const op = lane[o]!
        if (op === "callback") {
          const [answer] = await ctx.createCallback<string>(`c${tag}`)
          seen.push(await answer)
        } else if (op === "waitForCallback") {
          seen.push(await ctx.waitForCallback<string>(`w${tag}`, async () => undefined))
        } else if (op === "step") {
          seen.push(await ctx.step(`s${tag}`, async () => tag))
        } else if (op === "caughtStep") {
          try {
            await ctx.step(`x${tag}`, async () => {
              throw new Error(`x${tag}`)
            }, { retryStrategy: () => ({ shouldRetry: false }) })
          } catch (error) {
            seen.push(String(error))
          }
        } else if (op === "awaits") {
          // Plain awaits (an `await helper()`), then a step: its call comes a few microtasks after the lane goes on.
          for (let i = 0; i < 3; i++) await Promise.resolve()
          seen.push(await ctx.step(`p${tag}`, async () => tag))
        } else if (op === "now") {
          seen.push((await ctx.now()).getTime() > 0)
        } else if (op === "handOut") {
          // The usual: create a callback, hand its id out in a step, then wait for the answer.
          const [answer, callbackId] = await ctx.createCallback<string>(`c${tag}`)
          await ctx.step(`h${tag}`, async () => callbackId.length)
          seen.push(await answer)
        } else if (op === "failingChild") {
          try {
            await ctx.runInChildContext(`f${tag}`, async () => {
              throw new Error(`f${tag}`)
            })
          } catch (error) {
            seen.push(String(error))
          }
        } else if (op === "child") {
          seen.push(await ctx.runInChildContext(`k${tag}`, async (child) => child.step(`k${tag}.0`, async () => tag)))
        } else {
          const batch = await ctx.map(`m${tag}`, [0, 1], async (item, i) => {
            if (op === "mapOfSteps") return item.step(`m${tag}.${i}`, async () => i)
            if (op === "mapOfCallbacks") return (await item.createCallback<string>(`c${tag}.${i}`))[0]
            return i
          })
          seen.push(batch.getResults())
        }
      }
      return seen
    })))

const runSeed = (seed: number, mode: FuzzMode) => runFuzzSeed(handlerOf(`fuzz-${seed}`, lanesOf(seed)), `fuzz-${seed}`, seed, mode, false)

describe("replay order under a seeded fuzz", () => {
  it(`replays ${SEEDS} seeds of lanes side by side as they ran, evicted at every completion`, { timeout: 60_000 }, async () => {
    const failures: Array<string> = []
    for (let seed = 0; seed < SEEDS; seed++) {
      const calm = await runSeed(seed, "none")
      assert.strictEqual(calm.status, "SUCCEEDED", `seed ${seed}: ${calm.error}`)
      for (const evictions of ["after-completion", "before-completion"] as const) {
        const evicted = await runSeed(seed, evictions)
        if (JSON.stringify(evicted) !== JSON.stringify(calm)) failures.push(`seed ${seed}, evicted ${evictions}: ${evicted.status} ${evicted.error ?? ""}`)
      }
    }
    assert.deepStrictEqual(failures, [])
  })
})
