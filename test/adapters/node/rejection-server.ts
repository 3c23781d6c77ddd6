/**
 * A Reprise server in its own process whose step body leaves a promise to reject with nothing handling it:
 * `node rejection-server.ts <db>`. Prints `listening <port>` once it serves; its log goes to stderr.
 */
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath] = process.argv.slice(2) as [string]

const careless = durable("careless", async (_: unknown, ctx) => {
  const sent = await ctx.step("notify", async () => {
    void Promise.reject(new TypeError("the notification was never awaited")) // a floating fetch that failed, say
    await new Promise((resolve) => setTimeout(resolve, 50))
    return "sent"
  })
  return sent
})

const server = await serve({ functions: [careless], dbPath, port: 0, logging: { format: "json", level: "error" } })
console.log(`listening ${server.port}`)
