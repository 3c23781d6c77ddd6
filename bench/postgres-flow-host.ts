/**
 * One host of bench/postgres-flow.ts, in its own process (leases on: several hosts on one database):
 *   node --conditions=reprise-source bench/postgres-flow-host.ts <url> <schema> <host id>
 * Prints `listening <port>` once it serves. The same ten-step function four times: without limits, under a
 * concurrency limit that W2 never reaches (200), under one that queues most of it (10), and with a step limit on
 * every step that W2 never reaches.
 */
import { durable } from "reprise"
import { servePostgres } from "reprise/postgres"

const [url, schema, hostId] = process.argv.slice(2) as [string, string, string]

const tenSteps = async (_: unknown, ctx: Parameters<Parameters<typeof durable>[1]>[1]) => {
  let sum = 0
  for (let i = 0; i < 10; i++) sum += await ctx.step(async () => i)
  return sum
}

/** Each step under a step limit W2 never reaches (1,000 bodies of one key): the cost of counting turns in the database. */
const tenLimitedSteps = async (_: unknown, ctx: Parameters<Parameters<typeof durable>[1]>[1]) => {
  let sum = 0
  for (let i = 0; i < 10; i++) sum += await ctx.step(async () => i, { concurrencyKey: "api", limit: 1_000 })
  return sum
}

const server = await servePostgres({
  functions: [
    durable("ten-steps", tenSteps),
    durable("ten-steps-step-limit", tenLimitedSteps),
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
