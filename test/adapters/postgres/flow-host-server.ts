/**
 * One of several hosts on one PostgreSQL database with flow-controlled functions, in its own process, for the
 * multi-host flow-control tests:
 *   node --conditions=reprise-source flow-host-server.ts <url> <schema> <host id> <ledger file> <lease ms>
 * Prints `listening <port>` once it serves. Each step body appends `enter <host> <execution> <step> <group>` before
 * its work and `exit …` after it to the ledger (a file outside the database, appended atomically by every host), so
 * the file's order bounds how many bodies ran at once.
 */
import { appendFileSync } from "node:fs"
import { durable } from "reprise"
import { servePostgres } from "../../../adapters/postgres/serve-postgres.ts"

const [url, schema, hostId, ledger, leaseMs] = process.argv.slice(2) as [string, string, string, string, string]

const body = (executionId: string, step: string, group: string, ms: number) => async () => {
  appendFileSync(ledger, `enter ${hostId} ${executionId} ${step} ${group}\n`)
  await new Promise((resolve) => setTimeout(resolve, ms))
  appendFileSync(ledger, `exit ${hostId} ${executionId} ${step} ${group}\n`)
  return step
}

/** Concurrency 3: two steps around a wait (the slot is given back while it waits, and taken again after). */
const limited = durable("limited", async (input: { n: number }, ctx) => {
  await ctx.step("first", body(ctx.executionId, "first", "all", 40))
  await ctx.wait("pause", { seconds: 1 })
  await ctx.step("second", body(ctx.executionId, "second", "all", 40))
  return input.n
}, { concurrency: 3 })

/** Two at once per customer. */
const perCustomer = durable("per-customer", async (input: { n: number; customer: string }, ctx) => {
  await ctx.step("work", body(ctx.executionId, "work", input.customer, 600))
  return input.n
}, { concurrency: { limit: 2, key: (input: { customer: string }) => input.customer } })

/** Concurrency 3 with long bodies, for the host killed while it holds slots. */
const slow = durable("slow", async (input: { n: number }, ctx) => {
  await ctx.step("work", body(ctx.executionId, "work", "all", 1_500))
  return input.n
}, { concurrency: 3 })

/** At most 5 starts per second. */
const rated = durable("rated", async (input: { n: number }, ctx) => {
  await ctx.step("work", body(ctx.executionId, "work", "all", 5))
  return input.n
}, { rateLimit: { limit: 5, period: { seconds: 1 } } })

/** Starts of one customer within 1 s collapse into one execution, run with the last input. */
const debounced = durable("debounced", async (input: { customer: string; v: number }, ctx) => {
  await ctx.step("work", body(ctx.executionId, "work", input.customer, 5))
  return input.v
}, { debounce: { period: { seconds: 1 }, key: (input: { customer: string }) => input.customer } })

/** One at a time, long bodies: the others wait QUEUED (to be stopped). */
const single = durable("single", async (input: { n: number }, ctx) => {
  await ctx.step("work", body(ctx.executionId, "work", "all", 1_000))
  return input.n
}, { concurrency: 1 })

/** One at a time, a body long enough that the queue behind it stays put while the test reads positions. */
const held = durable("held", async (input: { n: number }, ctx) => {
  await ctx.step("work", body(ctx.executionId, "work", "all", 20_000))
  return input.n
}, { concurrency: 1 })

/** No limit of its own: its two steps run at once, and every step of key "api" counts against 2, on every host. */
const stepLimited = durable("step-limited", async (input: { n: number; ms: number }, ctx) => {
  const api = { concurrencyKey: "api", limit: 2 }
  await Promise.all([ctx.step("a", body(ctx.executionId, "a", "api", input.ms), api), ctx.step("b", body(ctx.executionId, "b", "api", input.ms), api)])
  return input.n
})

/**
 * Concurrency 2 and a step limit of 1 (key "db"): its first step waits for its turn beside a 1 s wait, keeping its
 * slot meanwhile, then a second step waits again. Two limits counted in one ledger must not hold each other up.
 */
const bothLimited = durable("both-limited", async (input: { n: number }, ctx) => {
  const db = { concurrencyKey: "db", limit: 1 }
  await Promise.all([ctx.wait("pause", { seconds: 1 }), ctx.step("a", body(ctx.executionId, "a", "db", 100), db)])
  await ctx.step("b", body(ctx.executionId, "b", "db", 100), db)
  return input.n
}, { concurrency: 2 })

const server = await servePostgres({
  functions: [limited, perCustomer, slow, rated, debounced, single, held, stepLimited, bothLimited],
  url,
  schema,
  port: 0,
  evictEveryMs: 500,
  leases: { hostId, leaseMs: Number(leaseMs) },
  flowPollMs: 500,
  logging: { level: "warn" }
})
console.log(`listening ${server.port}`)
