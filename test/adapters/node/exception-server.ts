/**
 * A Reprise server in its own process whose step body sets a timer that throws: `node exception-server.ts <db>
 * [server-throws|two-servers-throw]`. With `server-throws`, code outside any durable function throws from a timer once
 * it listens; with `two-servers-throw`, the same with a second server (its own file) open in the process.
 * Prints `listening <port>` once it serves; its log (JSON, errors only) goes to stderr.
 */
import { durable } from "../../../src/index.ts"
import { serve } from "../../../adapters/node/serve.ts"

const [dbPath, mode] = process.argv.slice(2) as [string, string?]

const careless = durable("careless", async (_: unknown, ctx) =>
  ctx.step("notify", async () => {
    setTimeout(() => {
      throw new RangeError("the notifier's timer threw")
    }, 10)
    await new Promise((resolve) => setTimeout(resolve, 100))
    return "sent"
  }))

const server = await serve({ functions: [careless], dbPath, port: 0, logging: { format: "json", level: "error" } })
if (mode === "two-servers-throw") await serve({ functions: [careless], dbPath: `${dbPath}-second.db`, port: 0, logging: { format: "json", level: "error" } })
console.log(`listening ${server.port}`)
if (mode === "server-throws" || mode === "two-servers-throw") {
  setTimeout(() => {
    throw new Error("the server's own code threw")
  }, 200)
}
