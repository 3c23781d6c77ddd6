/**
 * Flow control across several hosts on one PostgreSQL database (docs/postgres.md): reprise/engine's FlowLedger over
 * two tables and the store's own, so that a function's concurrency, rate limit and queue hold for all hosts at once.
 *
 * - The queue is the QUEUED rows of `executions`, ordered by the queue keys of their first event (priority, then
 *   queue time) and by `arrival` (a sequence filled by every insert, migration 4): nothing is written to queue a
 *   start beyond its ExecutionStarted, so nothing queued can be lost between two writes.
 * - `flow_slots`: one row per execution holding a concurrency slot (or, `held` false, waiting for one after it woke
 *   up), with the host and an expiry renewed with the host's leases. A host that dies stops renewing: its slots
 *   lapse with its leases, and no longer count.
 * - `flow_starts`: one row per start counted in a rate window (dropped once out of every window).
 * - Each decision (a take) is one transaction under an advisory lock per function: the counts, the queue ahead, and
 *   the rows it writes cannot interleave with another host's.
 * - A slot given back NOTIFYs every host (LISTEN on a connection of its own); a bounded poll is the backstop.
 */
import { Effect, Schedule, type Scope } from "effect"
import type { Client, Pool, PoolClient } from "pg"
import type { FlowLedgerShape, LedgerAnswer, LedgerEntry, LedgerTake } from "reprise/engine"
import { storeFailure, type StoreFailure } from "reprise/store"

export interface FlowLedgerOptions {
  /** This host (the leases' id): whose slots these are. */
  readonly hostId: string
  /** How long a slot lasts without renewal: the leases' length. */
  readonly leaseMs: number
  /** The backstop: each host looks at every queue at least this often (default 1,000 ms). */
  readonly pollMs?: number | undefined
}

export interface PostgresFlowLedger extends FlowLedgerShape {
  /** The renewal of this host's slots, the LISTEN for freed slots and the poll, for the host's lifetime. */
  start(): Effect.Effect<void, never, Scope.Scope>
  /** Gives back every slot of this host (at shutdown). */
  releaseAll(): Promise<void>
}

export const DEFAULT_FLOW_POLL_MS = 1_000

const channelOf = (schema: string) => `reprise_${schema}_flow`

export const makeFlowLedger = (
  pool: Pool,
  schema: string,
  connect: () => Promise<Client>,
  transaction: <A>(pool: Pool, work: (client: PoolClient) => Promise<A>) => Promise<A>,
  options: FlowLedgerOptions
): PostgresFlowLedger => {
  const t = (table: string) => `"${schema}".${table}`
  const { hostId, leaseMs } = options
  const pollMs = Math.max(20, Math.floor(options.pollMs ?? DEFAULT_FLOW_POLL_MS))
  const channel = channelOf(schema)
  let handler: (functionName: string | undefined) => void = () => {}

  // A queued execution's keys, from its first event (f) and its debounce replacements.
  const q = (field: string) => `(f.event->'queue'->>'${field}')`
  const notBefore = `GREATEST(COALESCE(${q("notBefore")}::bigint, 0), COALESCE((SELECT max((r.event->>'notBefore')::bigint) ` +
    `FROM ${t("events")} AS r WHERE r.execution_id = x.execution_id AND r.seq > 1 AND r.event->>'_tag' = 'ExecutionInputReplaced'), 0))`
  const queued = `${t("executions")} AS x JOIN ${t("events")} AS f ON f.execution_id = x.execution_id AND f.seq = 1 ` +
    "WHERE x.status = 'QUEUED' AND x.function_name = $1"

  const sql = {
    lock: "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
    queue: `SELECT x.execution_id, x.seq, ${q("priority")}::int AS priority, ${q("concurrencyKey")} AS concurrency_key, ` +
      `${q("rateKey")} AS rate_key, ${q("debounceKey")} AS debounce_key, ${notBefore} AS not_before FROM ${queued} ` +
      `ORDER BY ${q("priority")}::int DESC, (f.event->>'at')::bigint, COALESCE(x.arrival, 0), x.execution_id LIMIT $2`,
    // A queued execution with the same keys that may go now and comes first (all of them for a new start: $3 null).
    ahead: `WITH c AS (SELECT ${q("priority")}::int AS p, (f.event->>'at')::bigint AS at, COALESCE(x.arrival, 0) AS arrival, x.execution_id AS id ` +
      `FROM ${t("executions")} AS x JOIN ${t("events")} AS f ON f.execution_id = x.execution_id AND f.seq = 1 WHERE x.execution_id = $3) ` +
      `SELECT 1 FROM ${queued} AND x.execution_id <> $2 ` +
      `AND ($4::text IS NULL OR COALESCE(${q("concurrencyKey")}, '') = $4) AND ($5::text IS NULL OR COALESCE(${q("rateKey")}, '') = $5) ` +
      `AND ${notBefore} <= $6 AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM c WHERE ${q("priority")}::int > c.p OR ` +
      `(${q("priority")}::int = c.p AND ((f.event->>'at')::bigint < c.at OR ((f.event->>'at')::bigint = c.at AND ` +
      `(COALESCE(x.arrival, 0) < c.arrival OR (COALESCE(x.arrival, 0) = c.arrival AND x.execution_id < c.id))))))) LIMIT 1`,
    lapsed: `DELETE FROM ${t("flow_slots")} WHERE function_name = $1 AND group_key = $2 AND expires_at < clock_timestamp()`,
    slots: `SELECT count(*) FILTER (WHERE held)::int AS held, count(*) FILTER (WHERE NOT held)::int AS waiting FROM ${t("flow_slots")} ` +
      "WHERE function_name = $1 AND group_key = $2 AND execution_id <> $3 AND expires_at > clock_timestamp()",
    outOfWindow: `DELETE FROM ${t("flow_starts")} WHERE function_name = $1 AND rate_key = $2 AND at <= $3`,
    window: `SELECT count(*)::int AS n, min(at) AS oldest FROM ${t("flow_starts")} WHERE function_name = $1 AND rate_key = $2 AND at > $3`,
    hold: `INSERT INTO ${t("flow_slots")} (execution_id, function_name, group_key, host_id, held, expires_at) ` +
      "VALUES ($1, $2, $3, $4, $5, clock_timestamp() + $6 * interval '1 millisecond') ON CONFLICT (execution_id) DO UPDATE SET " +
      "function_name = excluded.function_name, group_key = excluded.group_key, host_id = excluded.host_id, held = excluded.held, expires_at = excluded.expires_at",
    count: `INSERT INTO ${t("flow_starts")} (function_name, rate_key, at, execution_id) VALUES ($1, $2, $3, $4)`,
    // The hosts are woken only if someone waits: a queued start of the function, or a resumed execution of the key.
    release: `WITH gone AS (DELETE FROM ${t("flow_slots")} WHERE execution_id = $1 AND host_id = $2 RETURNING function_name, group_key, held) ` +
      `SELECT pg_notify($3, g.function_name) FROM gone AS g WHERE EXISTS (SELECT 1 FROM ${t("executions")} AS x ` +
      "WHERE x.status = 'QUEUED' AND x.function_name = g.function_name) OR " +
      `EXISTS (SELECT 1 FROM ${t("flow_slots")} AS w WHERE w.function_name = g.function_name AND w.group_key = g.group_key AND NOT w.held)`,
    releaseAll: `WITH gone AS (DELETE FROM ${t("flow_slots")} WHERE host_id = $1 RETURNING function_name) ` +
      "SELECT pg_notify($2, function_name) FROM (SELECT DISTINCT function_name FROM gone) AS g",
    renew: `UPDATE ${t("flow_slots")} SET expires_at = clock_timestamp() + $2 * interval '1 millisecond' WHERE host_id = $1`,
    debouncing: `SELECT x.execution_id FROM ${queued} AND ${q("debounceKey")} = $2 ORDER BY (f.event->>'at')::bigint DESC LIMIT 1`,
    notify: "SELECT pg_notify($1, $2)"
  }

  const attempt = <A>(operation: string, work: () => Promise<A>): Effect.Effect<A, StoreFailure> =>
    Effect.tryPromise({ try: work, catch: storeFailure(operation) })

  const take = (request: LedgerTake) =>
    transaction(pool, async (client): Promise<LedgerAnswer> => {
      const { functionName: fn, executionId, now, concurrency, rate, mode } = request
      await client.query(sql.lock, [`reprise_flow_${schema}`, fn])
      let rateOpensAt: number | undefined
      if (rate !== undefined) {
        await client.query(sql.outOfWindow, [fn, rate.key, now - rate.periodMs])
        const row = (await client.query<{ n: number; oldest: string | null }>(sql.window, [fn, rate.key, now - rate.periodMs])).rows[0]!
        if (row.n >= rate.limit) rateOpensAt = Number(row.oldest) + rate.periodMs
      }
      let slotsFull = false
      if (concurrency !== undefined) {
        await client.query(sql.lapsed, [fn, concurrency.key])
        const row = (await client.query<{ held: number; waiting: number }>(sql.slots, [fn, concurrency.key, executionId])).rows[0]!
        // Executions that began already and wait for a slot again come before queued starts.
        slotsFull = row.held >= concurrency.limit || (mode !== "resume" && row.waiting > 0)
      }
      let ahead = false
      if (mode !== "resume" && rateOpensAt === undefined && !slotsFull) {
        const keys = [concurrency?.key ?? null, rate?.key ?? null]
        ahead = (await client.query(sql.ahead, [fn, executionId, mode === "dequeue" ? executionId : null, ...keys, now])).rows.length > 0
      }
      if (rateOpensAt !== undefined || slotsFull || ahead) {
        if (mode === "resume" && concurrency !== undefined) {
          await client.query(sql.hold, [executionId, fn, concurrency.key, hostId, false, leaseMs]) // its place in line
        }
        return rateOpensAt === undefined ? { _tag: "Full" } : { _tag: "Full", rateOpensAt }
      }
      if (concurrency !== undefined) await client.query(sql.hold, [executionId, fn, concurrency.key, hostId, true, leaseMs])
      if (rate !== undefined) await client.query(sql.count, [fn, rate.key, now, executionId])
      return { _tag: "Taken" }
    })

  type QueueRow = {
    execution_id: string
    seq: number
    priority: number
    concurrency_key: string | null
    rate_key: string | null
    debounce_key: string | null
    not_before: string
  }
  const entryOf = (row: QueueRow): LedgerEntry => ({
    executionId: row.execution_id,
    seq: row.seq,
    priority: row.priority,
    ...(row.concurrency_key === null ? {} : { concurrencyKey: row.concurrency_key }),
    ...(row.rate_key === null ? {} : { rateKey: row.rate_key }),
    ...(row.debounce_key === null ? {} : { debounceKey: row.debounce_key }),
    notBefore: Number(row.not_before)
  })

  const reportingFailures = (what: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
    effect.pipe(Effect.asVoid, Effect.catchCause((cause) => Effect.logWarning(`flow control: ${what} failed`, cause)))

  return {
    take: (request) => attempt("flowTake", () => take(request)),
    release: (executionId) => attempt("flowRelease", () => pool.query(sql.release, [executionId, hostId, channel])).pipe(Effect.asVoid),
    queue: (functionName, limit) =>
      attempt("flowQueue", () => pool.query<QueueRow>(sql.queue, [functionName, limit])).pipe(Effect.map((result) => result.rows.map(entryOf))),
    debouncing: (functionName, debounceKey) =>
      attempt("flowDebouncing", () => pool.query<{ execution_id: string }>(sql.debouncing, [functionName, debounceKey])).pipe(
        Effect.map((result) => result.rows[0]?.execution_id)
      ),
    wake: (functionName) => attempt("flowWake", () => pool.query(sql.notify, [channel, functionName])).pipe(Effect.asVoid),
    onWake: (wake) => void (handler = wake),
    releaseAll: async () => {
      await pool.query(sql.releaseAll, [hostId, channel])
    },
    start: () =>
      Effect.gen(function*() {
        const every = Math.max(50, Math.floor(leaseMs / 3))
        yield* Effect.forkScoped(Effect.repeat(reportingFailures("slot renewal")(attempt("flowRenew", () => pool.query(sql.renew, [hostId, leaseMs]))), Schedule.spaced(every)))
        yield* Effect.forkScoped(Effect.repeat(Effect.sync(() => handler(undefined)), Schedule.spaced(pollMs)))
        yield* Effect.acquireRelease(
          attempt("flowListen", async () => {
            const client = await connect()
            client.on("notification", (message) => {
              if (message.channel === channel) handler(message.payload)
            })
            client.on("error", () => {}) // a dropped listener only slows the queues down to the poll
            await client.query(`LISTEN "${channel}"`)
            return client
          }),
          (client) => Effect.promise(() => client.end().catch(() => {}))
        ).pipe(reportingFailures("listening for freed slots"))
      })
  }
}
