/**
 * A Reprise server in its own process, for the crash tests: `node crash-server.ts <db> <side-effect file> [grace ms]`.
 * Prints `listening <port>` once it serves. Its step bodies write their side effects to the file.
 */
import { appendFileSync } from "node:fs"
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath, sideEffects, grace] = process.argv.slice(2) as [string, string, string?]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const manySteps = durable("many-steps", async (count: number, ctx) => {
  let total = 0
  for (let i = 0; i < count; i++) {
    total += await ctx.step(`step-${i}`, async () => {
      appendFileSync(sideEffects, `begin ${i}\n`)
      await sleep(40)
      appendFileSync(sideEffects, `done ${i}\n`)
      return i
    })
  }
  return total
})

/** Steps of 800 ms each: a SIGTERM lands while one runs. */
const slowSteps = durable("slow-steps", async (count: number, ctx) => {
  for (let i = 0; i < count; i++) {
    await ctx.step(`slow-${i}`, async () => {
      appendFileSync(sideEffects, `begin ${i}\n`)
      await sleep(800)
      appendFileSync(sideEffects, `done ${i}\n`)
    })
  }
  return count
})

const napping = durable("napping", async (_: unknown, ctx) => {
  await ctx.step("before", async () => appendFileSync(sideEffects, "before\n"))
  await ctx.wait("nap", { seconds: 2 })
  await ctx.step("after", async () => appendFileSync(sideEffects, "after\n"))
  return "woke"
})

const server = await serve({
  functions: [manySteps, slowSteps, napping],
  dbPath,
  port: 0,
  evictEveryMs: 200,
  ...(grace === undefined ? {} : { shutdownGraceMs: Number(grace) })
})
console.log(`listening ${server.port}`)
