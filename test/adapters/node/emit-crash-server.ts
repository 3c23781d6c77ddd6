/**
 * A Reprise server in its own process, for the ctx.emit crash test: `node emit-crash-server.ts <db>`.
 * Prints `listening <port>` once it serves. Each step takes a little while, then its chunk is emitted.
 */
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath] = process.argv.slice(2) as [string]
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const chunks = durable("chunks", async (count: number, ctx) => {
  for (let i = 0; i < count; i++) {
    const text = await ctx.step(`chunk-${i}`, async () => {
      await sleep(30)
      return `chunk ${i}`
    })
    await ctx.emit("chunk", { i, text })
  }
  return count
})

const server = await serve({ functions: [chunks], dbPath, port: 0, evictEveryMs: 200 })
console.log(`listening ${server.port}`)
