/**
 * The replay fuzz's handlers (replay-order-fuzz.test.ts, on the test runner; test/adapters/node/replay-order-sqlite
 * .test.ts, on a SQLite file): lanes of callbacks, waitForCallbacks, steps, maps, child contexts and plain awaits run
 * side by side, each lane awaiting one operation at a time, from a seed.
 */
import { durable } from "../../src/index.ts"
import { random } from "./replay-fuzz-runs.ts"

type Op = "callback" | "waitForCallback" | "step" | "map" | "mapOfSteps" | "mapOfCallbacks" | "failingChild" | "child" | "handOut" | "caughtStep" | "now" | "awaits"
const KINDS: ReadonlyArray<Op> = ["callback", "callback", "waitForCallback", "step", "step", "map", "mapOfSteps", "mapOfCallbacks", "failingChild", "child", "handOut", "caughtStep", "now", "awaits"]


export const lanesOf = (seed: number): Array<Array<Op>> => {
  const next = random(seed)
  const int = (n: number) => Math.floor(next() * n)
  return Array.from({ length: 1 + int(4) }, () => Array.from({ length: 1 + int(4) }, () => KINDS[int(KINDS.length)]!))
}

export const handlerOf = (name: string, lanes: Array<Array<Op>>) =>
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
