/**
 * One host of bench/postgres-flow.ts, in its own process (leases on: several hosts on one database):
 *   node --conditions=reprise-source bench/postgres-flow-host.ts <url> <schema> <host id>
 * Prints `listening <port>` once it serves. The same ten-step function three times: without limits, under a
 * concurrency limit that W2 never reaches (200), and under one that queues most of it (10).
 */
import { durable } from "reprise"
import { servePostgres } from "reprise/postgres"

const [url, schema, hostId] = process.argv.slice(2) as [string, string, string]

const tenSteps = async (_: unknown, ctx: Parameters<Parameters<typeof durable>[1]>[1]) => {
  let sum = 0
  for (let i = 0; i < 10; i++) sum += await ctx.step(async () => i)
  return sum
}

const server = await servePostgres({
  functions: [
    durable("ten-steps", tenSteps),
    durable("ten-steps-200", tenSteps, { concurrency: 200 }),
    durable("ten-steps-10", tenSteps, { concurrency: 10 })
  ],
  url,
  schema,
  port: 0,
  maxConnections: 10,
  leases: { hostId },
  logging: { level: "warn" }
})
console.log(`listening ${server.port}`)
