/**
 * One of several hosts on one PostgreSQL database, in its own process, for the multi-host tests:
 *   node --conditions=reprise-source multi-host-server.ts <url> <schema> <host id> <ledger file> <lease ms> [schedules]
 * Prints `listening <port>` once it serves. With `schedules`, it also serves the schedules of the schedule races:
 * `skip-<i>`, `allow-<i>` and `cancel-<i>` (i < RACE_SCHEDULES), of a function that waits ten minutes, ticking once a year.
 * Every step body appends `<host> <execution> <step>` to the ledger (a
 * file outside the database), and every callback id handed out is appended as `callback <execution> <id>`.
 */
import { appendFileSync } from "node:fs"
import { durable, schedule } from "reprise"
import { servePostgres } from "../../../adapters/postgres/serve-postgres.ts"

const [url, schema, hostId, ledger, leaseMs, withSchedules] = process.argv.slice(2) as [string, string, string, string, string, string?]

/** As many as the schedule races in multi-host.test.ts use. */
const RACE_SCHEDULES = 4

const held = durable("held", async (_: unknown, ctx) => {
  await ctx.wait("hold", { minutes: 10 })
})
const schedules = withSchedules === "schedules"
  ? Array.from({ length: RACE_SCHEDULES }, (_, i) => [
    schedule(`skip-${i}`, { function: held, cron: "0 0 1 1 *", overlap: "skip" }),
    schedule(`allow-${i}`, { function: held, cron: "0 0 1 1 *", overlap: "allow" }),
    schedule(`cancel-${i}`, { function: held, cron: "0 0 1 1 *", overlap: "cancel-previous" })
  ]).flat()
  : []

const shared = durable("shared-work", async (input: { n: number }, ctx) => {
  let total = 0
  for (let i = 0; i < 4; i++) {
    total += await ctx.step(`step-${i}`, async () => {
      appendFileSync(ledger, `${hostId} ${ctx.executionId} step-${i}\n`)
      await new Promise((resolve) => setTimeout(resolve, 5))
      return input.n + i
    })
  }
  await ctx.wait("breather", { seconds: 1 })
  const answer = await ctx.waitForCallback("approval", async (callbackId) => {
    appendFileSync(ledger, `callback ${ctx.executionId} ${callbackId}\n`)
  })
  const last = await ctx.step("after", async () => {
    appendFileSync(ledger, `${hostId} ${ctx.executionId} after\n`)
    return (JSON.parse(answer) as { add: number }).add
  })
  return total + last
})

const server = await servePostgres({
  functions: [shared, held],
  schedules,
  url,
  schema,
  port: 0,
  evictEveryMs: 500,
  leases: { hostId, leaseMs: Number(leaseMs) },
  logging: { level: "warn" }
})
console.log(`listening ${server.port}`)
