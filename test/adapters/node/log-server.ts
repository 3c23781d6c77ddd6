/**
 * A Reprise server in its own process, for the log tests: `node log-server.ts <db>`. Prints `listening <port>` on
 * stdout once it serves; its log goes to stderr, as `npm start`'s does.
 */
import { createRetryStrategy, durable, JitterStrategy } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath] = process.argv.slice(2) as [string]

const flaky = durable("flaky-charge", async (_input: unknown, ctx) => {
  await ctx.step("reserve", async () => "reserved")
  await ctx.step("charge", async () => {
    throw new Error("card gateway down") // CHARGE-THROWS
  }, { retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 }, backoffRate: 1, jitter: JitterStrategy.NONE }) })
})

const server = await serve({ functions: [flaky], dbPath, port: 0, evictEveryMs: 200 })
console.log(`listening ${server.port}`)
