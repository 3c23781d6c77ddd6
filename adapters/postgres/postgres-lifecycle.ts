/**
 * The lifecycle bus on PostgreSQL (reprise/engine's LifecycleBus port): the changes each host writes (started, left
 * the queue, paused, resumed, rewound, ended) go to the other hosts by NOTIFY on `reprise_<schema>_life`, so that
 * `GET /v1/events` on any host tells every change as it is written, with its event and seq, rather than what a poll
 * of the listing saw each second (found by the PostgreSQL probe: leaving the queue was lost, on one host too).
 *
 * The changes of one turn go together, a JSON array in as few notifications as PostgreSQL's 8,000-byte payload
 * allows, sent on the pool after the write (a host that dies between the two loses them: the feed is live, and a
 * client lists to catch up). Each host hears its own notifications too and drops them: its feed had them first.
 */
import { Effect, type Scope } from "effect"
import type { LifecycleBusShape, LifecycleChange } from "reprise/engine"
import { keepListening } from "./pg-listen.ts"
import type { PgListener, PgQueries } from "./pg-shapes.ts"

export interface PostgresLifecycleBus extends LifecycleBusShape {
  /** The LISTEN for the other hosts' changes, for the host's lifetime. */
  start(): Effect.Effect<void, never, Scope.Scope>
}

/** Under PostgreSQL's 8,000-byte limit on a notification's payload, with room for the host id. */
const MAX_PAYLOAD_BYTES = 7_500

const channelOf = (schema: string) => `reprise_${schema}_life`

/** How long the next notification waits for the one before it. */
export const NOTIFY_WAIT_MS = 5_000

/** `query`, or a failure once `ms` have passed without an answer (the query itself may still end later). */
const answeredWithin = <A>(query: Promise<A>, ms: number): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([query, late]).finally(() => clearTimeout(timer))
}

const encoder = new TextEncoder()

interface Message {
  /** The host that wrote the changes. */
  readonly h: string
  readonly c: ReadonlyArray<LifecycleChange>
}

export const makeLifecycleBus = (pool: PgQueries, schema: string, connect: () => Promise<PgListener>, hostId: string): PostgresLifecycleBus => {
  const channel = channelOf(schema)
  let deliver: (change: LifecycleChange) => void = () => {}
  let pending: Array<LifecycleChange> = []

  /** The changes as notification payloads, each under the limit (a change that alone is over it is dropped). */
  const payloads = (changes: ReadonlyArray<LifecycleChange>): Array<string> => {
    const out: Array<string> = []
    let batch: Array<LifecycleChange> = []
    const flush = () => {
      if (batch.length > 0) out.push(JSON.stringify({ h: hostId, c: batch } satisfies Message))
      batch = []
    }
    let size = 0
    for (const change of changes) {
      const bytes = encoder.encode(JSON.stringify(change)).length + 1
      if (bytes + hostId.length + 20 > MAX_PAYLOAD_BYTES) continue
      if (size + bytes + hostId.length + 20 > MAX_PAYLOAD_BYTES) {
        flush()
        size = 0
      }
      batch.push(change)
      size += bytes
    }
    flush()
    return out
  }

  // One notification after another: sent side by side they took different connections of the pool and could
  // commit out of order, so another host told a resume before the pause it undid (a flaky multi-host test).
  // A notification that does not answer within NOTIFY_WAIT_MS (a half-open connection) no longer holds the ones after
  // it: they go on (the review: one stuck query held every later one for good).
  let sent: Promise<unknown> = Promise.resolve()
  const send = () => {
    const changes = pending
    pending = []
    for (const payload of payloads(changes)) {
      // A lost notification loses a live change, never data: reported, not retried.
      sent = sent.then(() => answeredWithin(pool.query("SELECT pg_notify($1, $2)", [channel, payload]), NOTIFY_WAIT_MS)).catch((error: unknown) => {
        console.warn(`reprise/postgres: telling the other hosts of ${changes.length} lifecycle changes failed`, error)
      })
    }
  }

  return {
    publish: (change) => {
      if (pending.length === 0) setTimeout(send, 0)
      pending.push(change)
    },
    onChange: (handler) => void (deliver = handler),
    start: () =>
      keepListening({
        connect,
        channel,
        onNotification: (payload) => {
          if (payload === undefined) return
          let message: Message
          try {
            message = JSON.parse(payload) as Message
          } catch {
            return // not ours
          }
          if (message.h === hostId || !Array.isArray(message.c)) return
          for (const change of message.c) deliver(change)
        },
        onFailure: (what, cause) => Effect.logWarning(`lifecycle feed: ${what} failed`, cause)
      })
  }
}
