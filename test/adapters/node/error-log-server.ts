/**
 * A Reprise server in its own process, for the error log tests: `node error-log-server.ts <db> <sleeper|no-sleeper>`.
 * `quick` is always served; `sleeper` (which waits 2 s) only with `sleeper`, so that a second start without it finds
 * the sleeping execution's alarm for a function it does not serve. Prints `listening <port>` on stdout once it
 * serves; its log goes to stderr, as `npm start`'s does.
 */
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath, served] = process.argv.slice(2) as [string, string]

const quick = durable("quick", async () => "done")
const sleeper = durable("sleeper", async (_input: unknown, ctx) => {
  await ctx.wait("nap", { seconds: 2 })
  return "rested"
})

const server = await serve({ functions: served === "sleeper" ? [quick, sleeper] : [quick], dbPath, port: 0 })
console.log(`listening ${server.port}`)
