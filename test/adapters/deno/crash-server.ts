/**
 * A Reprise server on Deno in its own process, for the crash tests:
 *   deno run -A --config adapters/deno/deno.json crash-server.ts <store file> <side-effect file>
 * The store is a SQLite file (`serve({ dbPath })`) when its name ends in .db, else a KV file.
 * Prints `listening <port>` once it serves. Its step bodies append their side effects to the file.
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { Deno, sleep } from "./deno-test-api.ts"

const [storePath, sideEffects] = Deno.args as [string, string]
const note = (line: string) => Deno.writeTextFileSync(sideEffects, `${line}\n`, { append: true })

const manySteps = durable("many-steps", async (count: number, ctx) => {
  let total = 0
  for (let i = 0; i < count; i++) {
    total += await ctx.step(`step-${i}`, async () => {
      note(`begin ${i}`)
      await sleep(40)
      note(`done ${i}`)
      return i
    })
  }
  return total
})

/** Steps of 800 ms each: a SIGTERM lands while one runs. */
const slowSteps = durable("slow-steps", async (count: number, ctx) => {
  for (let i = 0; i < count; i++) {
    await ctx.step(`slow-${i}`, async () => {
      note(`begin ${i}`)
      await sleep(800)
      note(`done ${i}`)
    })
  }
  return count
})

const napping = durable("napping", async (_: unknown, ctx) => {
  await ctx.step("before", async () => note("before"))
  await ctx.wait("nap", { seconds: 2 })
  await ctx.step("after", async () => note("after"))
  return "woke"
})

const where = storePath.endsWith(".db") ? { dbPath: storePath } : { kvPath: storePath }
const server = await serve({ functions: [manySteps, slowSteps, napping], ...where, port: 0, evictEveryMs: 200 })
console.log(`listening ${server.port}`)
