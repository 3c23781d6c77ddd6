/**
 * A LISTEN on a connection of its own, kept for the host's lifetime: when the connection drops (a PostgreSQL
 * restart or failover, a proxy's idle timeout, pg_terminate_backend) it is made again, after a pause that doubles
 * from 250 ms to 30 s while connecting keeps failing. Found by the PostgreSQL probe: the listeners never came back,
 * so the queues waited for their poll and hand-overs for the holder's eviction for the rest of the process.
 */
import { Deferred, Duration, Effect, Exit, type Scope } from "effect"
import type { PgListener } from "./pg-shapes.ts"

export interface ListenOptions {
  readonly connect: () => Promise<PgListener>
  readonly channel: string
  readonly onNotification: (payload: string | undefined) => void
  /** Each time the LISTEN is in place again after a drop: what came meanwhile was missed. */
  readonly onRelistened?: () => void
  /** What dropped or failed (the listener goes on). */
  readonly onFailure: (what: string, error: unknown) => Effect.Effect<void>
}

const MAX_PAUSE_MS = 30_000
/** A LISTEN that stayed up this long resets the pause: one dropped sooner (an idle timeout) keeps doubling it. */
const STABLE_MS = 30_000

/** One connection's LISTEN, until it drops: fails with why. */
const listenOnce = (options: ListenOptions, listening: () => void) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const client = await options.connect()
        let dropped!: (why: unknown) => void
        const drop = new Promise<unknown>((resolve) => (dropped = resolve))
        client.on("notification", (message) => {
          if (message.channel === options.channel) options.onNotification(message.payload)
        })
        client.on("error", (error) => dropped(error))
        client.on("end", () => dropped(new Error("the connection ended")))
        try {
          await client.query(`LISTEN "${options.channel}"`)
        } catch (error) {
          await client.end().catch(() => {})
          throw error
        }
        return { client, drop }
      },
      catch: (error) => error
    }),
    ({ drop }) =>
      Effect.flatMap(
        Effect.andThen(Effect.sync(listening), Effect.promise(() => drop)),
        (why) => Effect.fail(why)
      ),
    ({ client }) => Effect.promise(() => client.end().catch(() => {}))
  )

/**
 * Keeps the LISTEN in place until the scope closes. Returns once the first LISTEN is in place (or its first attempt
 * failed: the host starts anyway, and the loop goes on trying), so that the host hears what is sent after its start.
 */
export const keepListening = (options: ListenOptions): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const first = yield* Deferred.make<void>()
    yield* Effect.forkScoped(Effect.gen(function*() {
      let failures = 0
      let listenedBefore = false
      for (;;) {
        let listenedAt: number | undefined
        const exit = yield* Effect.exit(listenOnce(options, () => {
          if (listenedBefore) options.onRelistened?.()
          listenedBefore = true
          listenedAt = Date.now()
          Deferred.doneUnsafe(first, Exit.void)
        }))
        if (listenedAt !== undefined && Date.now() - listenedAt >= STABLE_MS) failures = 0
        if (exit._tag === "Failure") yield* options.onFailure(`listening on ${options.channel}`, exit.cause)
        yield* Deferred.done(first, Exit.void)
        failures++
        yield* Effect.sleep(Duration.millis(Math.min(MAX_PAUSE_MS, 250 * 2 ** Math.min(failures - 1, 7))))
      }
    }))
    yield* Deferred.await(first)
  })
