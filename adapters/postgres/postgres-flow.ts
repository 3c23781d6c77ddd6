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
 * - Each decision (a take) is one call of the schema's `flow_take` function (migration 4; migration 5 added the
 *   refusing rate limit's "refuse" and "check" modes): one round trip, one transaction under an advisory lock per
 *   function, so the counts, the queue ahead and the rows it writes cannot interleave with another host's.
 * - A slot given back NOTIFYs every host (LISTEN on a connection of its own); a bounded poll is the backstop.
 * - Step limits use the same rows (step-limits-shared.ts): a body's token is a slot of the name `step limit/<key>`.
 */
import { Effect, Schedule, type Scope } from "effect"
import { keepListening } from "./pg-listen.ts"
import type { PgListener, PgQueries } from "./pg-shapes.ts"
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
  pool: PgQueries,
  schema: string,
  connect: () => Promise<PgListener>,
  options: FlowLedgerOptions
): PostgresFlowLedger => {
  const t = (table: string) => `"${schema}".${table}`
  const { hostId, leaseMs } = options
  const pollMs = Math.max(20, Math.floor(options.pollMs ?? DEFAULT_FLOW_POLL_MS))
  const channel = channelOf(schema)
  const handlers: Array<(functionName: string | undefined) => void> = []
  const handler = (functionName: string | undefined) => {
    for (const wake of handlers) wake(functionName)
  }
  /** The executions whose slot rows (held, or waiting) this host holds. */
  const mine = new Set<string>()

  // A queued execution's keys, from its first event (f) and its debounce replacements.
  const q = (field: string) => `(f.event->'queue'->>'${field}')`
  const notBefore = `GREATEST(COALESCE(${q("notBefore")}::bigint, 0), COALESCE((SELECT max((r.event->>'notBefore')::bigint) ` +
    `FROM ${t("events")} AS r WHERE r.execution_id = x.execution_id AND r.seq > 1 AND r.event->>'_tag' = 'ExecutionInputReplaced'), 0))`
  const queued = `${t("executions")} AS x JOIN ${t("events")} AS f ON f.execution_id = x.execution_id AND f.seq = 1 ` +
    "WHERE x.status = 'QUEUED' AND x.function_name = $1"

  const sql = {
    // The decision itself is a function of the schema (migration 4): one round trip, one transaction.
    take: `SELECT taken, rate_opens_at, decided_at FROM ${t("flow_take")}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    queue: `SELECT x.execution_id, x.seq, ${q("priority")}::int AS priority, ${q("concurrencyKey")} AS concurrency_key, ` +
      `${q("rateKey")} AS rate_key, ${q("debounceKey")} AS debounce_key, ${notBefore} AS not_before FROM ${queued} ` +
      `ORDER BY ${q("priority")}::int DESC, (f.event->>'at')::bigint, COALESCE(x.arrival, 0), x.execution_id LIMIT $2`,
    // Each one's place in the queue's order (as `queue` reads it), for describe and list.
    positions: "SELECT s.execution_id, s.position FROM (SELECT x.execution_id, row_number() OVER (ORDER BY " +
      `${q("priority")}::int DESC, (f.event->>'at')::bigint, COALESCE(x.arrival, 0), x.execution_id) AS position ` +
      `FROM ${queued}) AS s WHERE s.execution_id = ANY($2::text[])`,
    // The hosts are woken only if someone waits: a queued start of the function, or a resumed execution of the key.
    release: `WITH gone AS (DELETE FROM ${t("flow_slots")} WHERE execution_id = $1 AND host_id = $2 RETURNING function_name, group_key, held) ` +
      `SELECT pg_notify($3, g.function_name) FROM gone AS g WHERE EXISTS (SELECT 1 FROM ${t("executions")} AS x ` +
      "WHERE x.status = 'QUEUED' AND x.function_name = g.function_name) OR " +
      `EXISTS (SELECT 1 FROM ${t("flow_slots")} AS w WHERE w.function_name = g.function_name AND w.group_key = g.group_key AND NOT w.held)`,
    // A lapsed row (its host died) becomes this host's; a live one stays its holder's, only kept from lapsing.
    reserve: `INSERT INTO ${t("flow_slots")} AS l (execution_id, function_name, group_key, host_id, held, expires_at) ` +
      "VALUES ($1, $2, $3, $4, true, clock_timestamp() + $5 * interval '1 millisecond') ON CONFLICT (execution_id) DO UPDATE SET " +
      "host_id = CASE WHEN l.expires_at <= clock_timestamp() THEN excluded.host_id ELSE l.host_id END, " +
      "held = l.held OR l.expires_at <= clock_timestamp(), expires_at = GREATEST(l.expires_at, excluded.expires_at)",
    releaseAll: `WITH gone AS (DELETE FROM ${t("flow_slots")} WHERE host_id = $1 RETURNING function_name) ` +
      "SELECT pg_notify($2, function_name) FROM (SELECT DISTINCT function_name FROM gone) AS g",
    // Only the rows this host still means to hold: one whose give-back failed is not renewed, and lapses.
    renew: `UPDATE ${t("flow_slots")} SET expires_at = clock_timestamp() + $2 * interval '1 millisecond' ` +
      "WHERE host_id = $1 AND execution_id = ANY($3::text[])",
    debouncing: `SELECT x.execution_id FROM ${queued} AND ${q("debounceKey")} = $2 ORDER BY (f.event->>'at')::bigint DESC LIMIT 1`,
    notify: "SELECT pg_notify($1, $2)"
  }

  const attempt = <A>(operation: string, work: () => Promise<A>): Effect.Effect<A, StoreFailure> =>
    Effect.tryPromise({ try: work, catch: storeFailure(operation) })

  const take = async (request: LedgerTake): Promise<LedgerAnswer> => {
    const { functionName, executionId, concurrency, rate, mode } = request
    const row = (await pool.query<{ taken: boolean; rate_opens_at: string | null; decided_at: string }>(sql.take, [
      functionName,
      executionId,
      // A refusing rate limit counts the queued starts of its key too (migration 5's "refuse" mode).
      mode === "start" && rate?.refuse === true ? "refuse" : mode,
      hostId,
      leaseMs,
      concurrency?.key ?? null,
      concurrency?.limit ?? null,
      rate?.key ?? null,
      rate?.limit ?? null,
      rate?.periodMs ?? null
    ])).rows[0]!
    // A slot held, or a place in line for one: this host renews it until it gives it back.
    if (concurrency !== undefined && (row.taken || mode === "resume")) mine.add(executionId)
    if (row.taken) return { _tag: "Taken", at: Number(row.decided_at) }
    return row.rate_opens_at === null ? { _tag: "Full" } : { _tag: "Full", rateOpensAt: Number(row.rate_opens_at) }
  }

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
    // Not renewed (not in `mine`): it lapses after `forMs` unless the execution takes it.
    reserve: ({ executionId, functionName, key, forMs }) =>
      attempt("flowReserve", () => pool.query(sql.reserve, [executionId, functionName, key, hostId, forMs])).pipe(Effect.asVoid),
    release: (executionId) =>
      attempt("flowRelease", () => {
        mine.delete(executionId) // first: should the delete fail, the row is no longer renewed and lapses
        return pool.query(sql.release, [executionId, hostId, channel])
      }).pipe(Effect.asVoid),
    queue: (functionName, limit) =>
      attempt("flowQueue", () => pool.query<QueueRow>(sql.queue, [functionName, limit])).pipe(Effect.map((result) => result.rows.map(entryOf))),
    positions: (functionName, executionIds) =>
      attempt("flowPositions", () => pool.query<{ execution_id: string; position: string }>(sql.positions, [functionName, [...executionIds]])).pipe(
        Effect.map((result) => new Map(result.rows.map((row) => [row.execution_id, Number(row.position)])))
      ),
    debouncing: (functionName, debounceKey) =>
      attempt("flowDebouncing", () => pool.query<{ execution_id: string }>(sql.debouncing, [functionName, debounceKey])).pipe(
        Effect.map((result) => result.rows[0]?.execution_id)
      ),
    wake: (functionName) => attempt("flowWake", () => pool.query(sql.notify, [channel, functionName])).pipe(Effect.asVoid),
    onWake: (wake) => void handlers.push(wake),
    releaseAll: async () => {
      mine.clear()
      await pool.query(sql.releaseAll, [hostId, channel])
    },
    start: () =>
      Effect.gen(function*() {
        const every = Math.max(50, Math.floor(leaseMs / 3))
        yield* Effect.forkScoped(Effect.repeat(reportingFailures("slot renewal")(attempt("flowRenew", async () => {
          if (mine.size > 0) await pool.query(sql.renew, [hostId, leaseMs, [...mine]])
        })), Schedule.spaced(every)))
        yield* Effect.forkScoped(Effect.repeat(Effect.sync(() => handler(undefined)), Schedule.spaced(pollMs)))
        // Until the LISTEN is back after a drop, the queues wait for the poll; once back, one pass catches up.
        yield* keepListening({
          connect,
          channel,
          onNotification: (payload) => handler(payload),
          onRelistened: () => handler(undefined),
          onFailure: (what, cause) => Effect.logWarning(`flow control: ${what} failed`, cause)
        })
      })
  }
}
