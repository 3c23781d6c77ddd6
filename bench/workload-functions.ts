/** The functions of the four workloads of bench/workloads.ts (issue 13), shared by its server and its in-memory engine. */
import { durable } from "../src/index.ts"

/** W1: n sequential trivial steps. W2: the same with n = 10. */
export const steps = durable("steps", async (n: number, ctx) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
})

/** W3: n steps, then a one-second wait. */
export const stepsThenWait = durable("steps-then-wait", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) await ctx.step(async () => i)
  await ctx.wait("pause", { seconds: 1 })
  return "woke"
})

/** W4: one external callback; its result is the execution's. */
export const callbackOnce = durable("callback-once", async (_: unknown, ctx) =>
  await ctx.waitForCallback("reply", async () => undefined))

export const workloadFunctions = [steps, stepsThenWait, callbackOnce]
