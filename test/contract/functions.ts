/**
 * The durable functions every runtime serves for the contract suite. Runtime-neutral: they import only `reprise`,
 * so the Node process, the Deno process, the bundled Worker and AWS's runner all run these very functions.
 */
import { createRetryStrategy, durable, JitterStrategy } from "reprise"

/** A few steps, each using the previous one's result. */
export const steps = durable("contract-steps", async (input: { readonly n: number }, ctx) => {
  const doubled = await ctx.step("double", async () => input.n * 2)
  const plusOne = await ctx.step("add-one", async () => doubled + 1)
  return { value: await ctx.step("square", async () => plusOne * plusOne) }
}, { description: "Three steps" })

/** A step, a 1-second durable wait, a step. */
export const nap = durable("contract-nap", async (input: { readonly label: string }, ctx) => {
  const before = await ctx.step("before", async () => `${input.label} slept`)
  await ctx.wait("nap", { seconds: 1 })
  return { woke: await ctx.step("after", async () => before) }
})

/**
 * Waits for a callback whose id the submitter hands out (the checks read it from the execution's operations;
 * under AWS's runner, from the runner).
 */
export const approval = durable("contract-approval", async (input: { readonly label: string }, ctx) => {
  const label = await ctx.step("prepare", async () => input.label)
  const answer = await ctx.waitForCallback("approval", async () => undefined, { timeout: { hours: 1 } })
  return { label, answer }
})

export const child = durable("contract-child", async (input: { readonly n: number }, ctx) =>
  ({ squared: await ctx.step("square", async () => input.n * input.n) }))

/** Invokes contract-child and ends with its result. */
export const parent = durable("contract-parent", async (input: { readonly n: number }, ctx) => {
  const result = await ctx.invoke("call-child", "contract-child", { n: input.n })
  return { fromChild: result }
})

/** A step whose first attempt throws; its retry, 1 s later on a durable timer, succeeds. */
export const flaky = durable("contract-flaky", async (_input: unknown, ctx) =>
  ({
    attempts: await ctx.step("flaky", async ({ attempt }) => {
      if (attempt === 1) throw new Error("the first attempt fails")
      return attempt
    }, { retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 }, jitter: JitterStrategy.NONE }) })
  }))

/** Counts to `total` two steps per run, continuing as new between runs. */
export const chain = durable("contract-chain", async (input: { readonly done: number; readonly total: number }, ctx) => {
  let done = input.done
  for (let i = 0; i < 2 && done < input.total; i++) {
    const before = done
    done = await ctx.step("tick", async () => before + 1)
  }
  if (done < input.total) return ctx.continueAsNew({ done, total: input.total })
  return { done }
})

/** Fails at once with an error of its own type, after one step (listing shows why it failed). */
export const outOfStock = durable("contract-out-of-stock", async (input: { readonly sku: string }, ctx) => {
  const sku = await ctx.step("look-up", async () => input.sku)
  throw Object.assign(new Error(`no stock for ${sku}`), { name: "OutOfStock" })
})

export const functions = [steps, nap, approval, child, parent, flaky, chain, outOfStock]
