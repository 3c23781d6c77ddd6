/**
 * Several hosts on one PostgreSQL database: each execution is held by at most one host at a time, through a lease
 * row (`leases`: the holder and an expiry on the database's clock). The engine takes the lease before it makes an
 * actor and gives it back when the actor leaves memory (reprise/engine's Ownership port); the store fences its
 * appends on it (postgres-store.ts), so a host that lost a lease, paused past its expiry say, writes nothing more.
 *
 * - Renewal: every third of the lease's length, one UPDATE renews every lease this host holds; one that is gone (a
 *   host took it after it lapsed) is reported lost, and the engine drops that actor at once.
 * - Asking: a host that needs an execution held elsewhere (a callback, a stop or a child's outcome reached it) asks
 *   the holder with NOTIFY; the holder lets an idle actor go, and the asker takes the lease, retrying with backoff
 *   for a bounded time (a 503 to the client after that: the execution is running user code on the other host).
 * - Takeover: alarms are delivered only by the holder, so a sweep delivers the due alarms of executions whose lease
 *   has lapsed or that nobody holds (a host died): every running execution has one (its watchdog), so nothing stays
 *   stuck longer than the lease plus the watchdog.
 */
import { Clock, Effect, Schedule, type Scope } from "effect"
import { keepListening } from "./pg-listen.ts"
import type { PgListener, PgQueries } from "./pg-shapes.ts"
import { HAND_OVER, type OwnershipShape, type Revocation, WATCHDOG_MS } from "reprise/engine"
import type { AlarmDispatcherShape, WakeUpSourceShape } from "reprise/host"
import { StoreFailure, storeFailure } from "reprise/store"

export interface LeaseOptions {
  /** This host's id, unique among the hosts on the database (default: a random UUID per process). */
  readonly hostId?: string | undefined
  /** How long a lease lasts without renewal (default 10,000 ms): how soon a dead host's executions move. */
  readonly leaseMs?: number | undefined
  /** How long a host waits for another to let an execution go before answering 503 (default 30,000 ms). */
  readonly acquireTimeoutMs?: number | undefined
}

export interface Leases extends OwnershipShape {
  readonly hostId: string
  readonly leaseMs: number
  /** Executions this host holds now. */
  readonly held: ReadonlySet<string>
  /** Gives back every lease this host holds (at shutdown, so that the other hosts need not wait for them to lapse). */
  releaseAll(): Promise<void>
  /**
   * Renews one lease of this host that lapsed while nobody took it (true), as the renewal would at its next round:
   * a write fenced off by it can then be made again. False when it is not this host's any more.
   */
  renewLapsed(executionId: string): Promise<boolean>
  /** The renewal, the NOTIFY listener and the takeover sweep, for the host's lifetime. */
  start(dispatcher: AlarmDispatcherShape): Effect.Effect<void, never, Scope.Scope>
}

export const DEFAULT_LEASE_MS = 10_000

const channelOf = (schema: string) => `reprise_${schema}_wanted`

export const makeLeases = (
  pool: PgQueries,
  schema: string,
  connect: () => Promise<PgListener>,
  options: LeaseOptions = {}
): Leases => {
  const hostId = options.hostId ?? crypto.randomUUID()
  const leaseMs = Math.max(100, Math.floor(options.leaseMs ?? DEFAULT_LEASE_MS))
  const acquireTimeoutMs = Math.max(0, options.acquireTimeoutMs ?? 30_000)
  const t = (table: string) => `"${schema}".${table}`
  const channel = channelOf(schema)
  const held = new Set<string>()
  let revoke: (executionId: string, why: Revocation) => void = () => {}

  const sql = {
    // Taken when free, lapsed, or already ours (a renewal); no row back when another host holds it.
    take: `INSERT INTO ${t("leases")} (execution_id, host_id, expires_at) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond') ` +
      `ON CONFLICT (execution_id) DO UPDATE SET host_id = excluded.host_id, expires_at = excluded.expires_at ` +
      `WHERE ${t("leases")}.host_id = excluded.host_id OR ${t("leases")}.expires_at < clock_timestamp() RETURNING 1`,
    give: `DELETE FROM ${t("leases")} WHERE execution_id = $1 AND host_id = $2`,
    // At shutdown: each execution this host held whose alarm is its watchdog or nearer is due now, so that the other
    // hosts' takeover sweep loads it at once (one cut off mid-step had waited for its watchdog, 30 s); one that only
    // waits finds nothing due and sleeps on. Those further off (a long wait, an ended one's retention) are left.
    giveAll: `WITH mine AS (DELETE FROM ${t("leases")} WHERE host_id = $1 RETURNING execution_id) ` +
      `UPDATE ${t("alarms")} AS a SET at = $2 FROM mine WHERE a.execution_id = mine.execution_id AND a.at > $2 AND a.at <= $3`,
    // A lease of ours is renewed even after it lapsed, if nobody took it: no one else can have written meanwhile.
    renew: `UPDATE ${t("leases")} SET expires_at = clock_timestamp() + $2 * interval '1 millisecond' ` +
      `WHERE host_id = $1 AND execution_id = ANY($3::text[]) RETURNING execution_id`,
    renewOne: `UPDATE ${t("leases")} SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' ` +
      `WHERE execution_id = $1 AND host_id = $2 RETURNING 1`,
    orphans: `SELECT a.execution_id FROM ${t("alarms")} AS a LEFT JOIN ${t("leases")} AS l ON l.execution_id = a.execution_id ` +
      `WHERE a.at <= $1 AND (l.execution_id IS NULL OR l.expires_at < clock_timestamp()) ORDER BY a.at LIMIT $2`,
    ask: "SELECT pg_notify($1, $2)"
  }

  /** One lease operation at a time per execution, so a give-back cannot overtake the take that follows it. */
  const chains = new Map<string, Promise<unknown>>()
  const serially = <A>(executionId: string, work: () => Promise<A>): Promise<A> => {
    const next = (chains.get(executionId) ?? Promise.resolve()).then(work, work)
    const settled = next.then(() => {}, () => {})
    chains.set(executionId, settled)
    void settled.then(() => chains.get(executionId) === settled && chains.delete(executionId))
    return next
  }

  const take = (executionId: string) =>
    serially(executionId, async () => {
      if (held.has(executionId)) return true
      const taken = ((await pool.query(sql.take, [executionId, hostId, leaseMs])).rowCount ?? 0) > 0
      if (taken) held.add(executionId)
      return taken
    })

  /** True once taken; false when another host holds it ("try"), or kept it past `acquireTimeoutMs` ("wait": "kept"). */
  const acquire = async (executionId: string, mode: "try" | "wait"): Promise<boolean | "kept"> => {
    if (held.has(executionId)) return true
    const deadline = Date.now() + acquireTimeoutMs
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      if (await take(executionId)) return true
      if (mode === "try") return false
      if (Date.now() >= deadline) return "kept"
      await pool.query(sql.ask, [channel, executionId])
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }

  const renew = async () => {
    if (held.size === 0) return
    const ours = [...held]
    const rows = (await pool.query<{ execution_id: string }>(sql.renew, [hostId, leaseMs, ours])).rows
    const kept = new Set(rows.map((row) => row.execution_id))
    for (const executionId of ours) {
      if (kept.has(executionId) || !held.has(executionId)) continue
      held.delete(executionId)
      revoke(executionId, "lost")
    }
  }

  const attempt = <A>(operation: string, work: () => Promise<A>): Effect.Effect<A, StoreFailure> =>
    Effect.tryPromise({ try: work, catch: storeFailure(operation) })
  const reportingFailures = (what: string) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
    effect.pipe(Effect.asVoid, Effect.catchCause((cause) => Effect.logWarning(`leases: ${what} failed`, cause)))

  return {
    hostId,
    leaseMs,
    held,
    acquire: (executionId, mode) =>
      Effect.flatMap(attempt("acquireLease", () => acquire(executionId, mode)), (taken) =>
        taken !== "kept"
          ? Effect.succeed(taken)
          // Not the store's failure: the execution is busy on another host (HTTP: 503 execution-busy).
          : Effect.fail(new StoreFailure({
            operation: HAND_OVER,
            reason: `execution ${executionId} is running on another host, which did not let it go within ${acquireTimeoutMs} ms; try again`
          }))),
    release: (executionId) =>
      attempt("releaseLease", () =>
        serially(executionId, async () => {
          if (!held.delete(executionId)) return
          await pool.query(sql.give, [executionId, hostId])
        })).pipe(reportingFailures(`giving back ${executionId}`)),
    onRevoke: (handler) => void (revoke = handler),
    renewLapsed: (executionId) =>
      serially(executionId, async () => held.has(executionId) && ((await pool.query(sql.renewOne, [executionId, hostId, leaseMs])).rowCount ?? 0) > 0),
    releaseAll: async () => {
      held.clear()
      const now = Date.now()
      await pool.query(sql.giveAll, [hostId, now, now + WATCHDOG_MS])
    },
    start: (dispatcher) =>
      Effect.gen(function*() {
        const every = Math.max(50, Math.floor(leaseMs / 3))
        yield* Effect.forkScoped(Effect.repeat(reportingFailures("renewal")(attempt("renewLeases", renew)), Schedule.spaced(every)))
        const sweep = Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const due = yield* attempt("orphanAlarms", () => pool.query<{ execution_id: string }>(sql.orphans, [now, 100]))
          for (const row of due.rows) yield* Effect.ignore(dispatcher.deliver(row.execution_id))
        })
        yield* Effect.forkScoped(Effect.repeat(reportingFailures("takeover sweep")(sweep), Schedule.spaced(every)))
        // The listener: a connection of its own, made again when it drops (requests missed meanwhile are asked again
        // by their askers' retries).
        yield* keepListening({
          connect,
          channel,
          onNotification: (executionId) => {
            if (executionId !== undefined && held.has(executionId)) revoke(executionId, "wanted")
          },
          onFailure: (what, cause) => Effect.logWarning(`leases: ${what} failed`, cause)
        })
      })
  }
}

/**
 * The wake-ups with the leases' loops started beside them (they need the dispatcher too), and those of the flow
 * ledger and the lifecycle bus.
 */
export const withLeases = (
  wakeUps: WakeUpSourceShape,
  leases: Leases,
  ...others: ReadonlyArray<{ start(): Effect.Effect<void, never, Scope.Scope> } | undefined>
): WakeUpSourceShape => ({
  start: (dispatcher) =>
    Effect.andThen(
      Effect.andThen(wakeUps.start(dispatcher), leases.start(dispatcher)),
      Effect.forEach(others, (other) => (other === undefined ? Effect.void : other.start()), { discard: true })
    )
})
