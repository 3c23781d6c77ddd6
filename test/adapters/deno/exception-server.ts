/**
 * A Reprise server on Deno in its own process whose step bodies set timers that throw:
 *   deno run -A --config adapters/deno/deno.json exception-server.ts <db> [server-throws]
 * With `server-throws`, code outside any durable function throws from a timer once it listens. Prints
 * `listening <port>` once it serves; its log (JSON, errors only) goes to stderr.
 */
import { promisify } from "node:util"
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { Deno, sleep } from "./deno-test-api.ts"

const [dbPath, mode] = Deno.args as [string, string?]

/** One step per kind of timer; each throws while its body still awaits, or (the last) after it returned. */
const careless = durable("careless", async (_: unknown, ctx) => {
  await ctx.step("timeout", async () => {
    setTimeout(() => {
      throw new RangeError("the notifier's timer threw")
    }, 10)
    await promisify(setTimeout)(100) // Node's own promise form, kept by the wrapped global
  })
  await ctx.step("interval", async () => {
    const interval = setInterval(() => {
      clearInterval(interval)
      throw new TypeError("the poller's interval threw")
    }, 10)
    await sleep(100)
  })
  await ctx.step("immediate", async () => {
    setImmediate(() => {
      throw new SyntaxError("the immediate threw")
    })
    await sleep(100)
  })
  await ctx.step("after-return", async () => {
    setTimeout(() => {
      throw new EvalError("the late timer threw")
    }, 0)
    return 1
  })
  return "sent"
})

/** Its step throws from a timer at once, then works for 3 s: a kill lands in it, and the next start resumes it. */
const resumed = durable("resumed", async (_: unknown, ctx) =>
  ctx.step("slow", async () => {
    setTimeout(() => {
      throw new RangeError("the resumed step's timer threw")
    }, 0)
    await sleep(3_000)
    return "slow done"
  }))

const steady = durable("steady", async (_: unknown, ctx) => ctx.step("work", async () => "done"))

const server = await serve({ functions: [careless, resumed, steady], dbPath, port: 0, logging: { format: "json", level: "error" } })
console.log(`listening ${server.port}`)
if (mode === "server-throws") {
  setTimeout(() => {
    throw new Error("the server's own code threw")
  }, 200)
}
