/** The Worker of bench/cloudflare-flow.ts: one-step functions without limits, with a limit never reached, with a tight one. */
import { durable } from "../src/index.ts"
import { createWorker } from "../adapters/cloudflare/index.ts"

const body = async (input: { n: number }, ctx: Parameters<Parameters<typeof durable>[1]>[1]) => await ctx.step("one", async () => input.n + 1)

const worker = createWorker({
  functions: [
    durable("free", body),
    durable("roomy", body, { concurrency: 1000 }),
    durable("tight", body, { concurrency: 5 })
  ]
})
export const { ExecutionObject, IndexObject, FlowObject } = worker
export default { fetch: worker.fetch }
