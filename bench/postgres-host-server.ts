/**
 * One host of bench/postgres-hosts.ts, in its own process:
 *   node --conditions=reprise-source bench/postgres-host-server.ts <url> <schema> <host id> <leases: on|off>
 * Prints `listening <port>` once it serves.
 */
import { durable } from "reprise"
import { servePostgres } from "reprise/postgres"

const [url, schema, hostId, leases] = process.argv.slice(2) as [string, string, string, string]

const tenSteps = durable("ten-steps", async (_: unknown, ctx) => {
  let sum = 0
  for (let i = 0; i < 10; i++) sum += await ctx.step(async () => i)
  return sum
})
const ping = durable("ping", async (_: unknown, ctx) => ctx.waitForCallback("pong", async () => undefined))

const server = await servePostgres({
  functions: [tenSteps, ping],
  url,
  schema,
  port: 0,
  maxConnections: 10,
  leases: leases === "off" ? false : { hostId },
  logging: { level: "warn" }
})
console.log(`listening ${server.port}`)
