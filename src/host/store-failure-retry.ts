/**
 * Resuming after a store failure (issue 19): when a write of an execution fails in the store (a full disk, a
 * read-only file, a store that is down), its actor stops (docs/engine.md, "Conditional appends") and nothing that
 * was not written is acknowledged. Its next stored alarm would resume it, but that can be the watchdog, 30 s away,
 * and the store may not even have taken the alarm. So the host watches the store's write failures and delivers an
 * alarm to each such execution on a backoff (0.5 s doubling, at most 30 s) until a delivery goes through; a write of
 * that execution that succeeds resets its backoff. When the fault clears, the execution goes on by itself.
 *
 * Until its next delivery is due, the execution is not loaded for anything else (`mayLoad`, the engine's loadGate):
 * a message for it answers StoreFailure (503, try again). Each load replays it and runs again the step body whose
 * result could not be written; client retries had done that on every request (60 runs of one body in 27 s of a full
 * disk, in the crash soak). Now a body runs at most once per backoff step.
 */
import { Clock, Effect, Queue, type Scope } from "effect"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import { StoreFailure } from "../store/store-errors.ts"
import type { HostErrorReporter } from "./alarm-dispatcher.ts"

const FIRST_DELAY_MS = 500
const MAX_DELAY_MS = 30_000
/** Backoffs kept at most (a long outage refuses many starts that never exist); the oldest go first. */
const MAX_TRACKED = 10_000

export interface StoreFailureRetry {
  /** The store, reporting its write failures and successes here. */
  watch<S extends ExecutionStoreShape>(store: S): S
  /** Refuses to load an execution whose writes failed until its next delivery is due (the engine's loadGate). */
  mayLoad(executionId: string): Effect.Effect<void, StoreFailure>
  /** Delivers alarms to the executions whose writes failed, until the scope closes. */
  run(deliver: (executionId: string) => Effect.Effect<void, unknown>, onError: HostErrorReporter): Effect.Effect<void, never, Scope.Scope>
}

const delayOf = (attempt: number) => Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16))

export const makeStoreFailureRetry = Effect.gen(function*() {
  const failures = yield* Queue.unbounded<string>()
  /** Consecutive failed attempts of each execution (the backoff's exponent), oldest first. */
  const attempts = new Map<string, number>()
  /** When each execution's next delivery is due: until then it is not loaded. */
  const dueAt = new Map<string, number>()
  /** Executions with a delivery scheduled or running. */
  const scheduled = new Set<string>()

  /** A write or a delivery of the execution failed: its next attempt is due one backoff step later (once per step). */
  const backOff = (executionId: string, now: number) => {
    if ((dueAt.get(executionId) ?? 0) <= now) {
      const attempt = attempts.get(executionId) ?? 0
      attempts.delete(executionId)
      attempts.set(executionId, attempt + 1)
      dueAt.set(executionId, now + delayOf(attempt))
      if (attempts.size > MAX_TRACKED) {
        const oldest = attempts.keys().next().value!
        attempts.delete(oldest)
        dueAt.delete(oldest)
      }
    }
    Queue.offerUnsafe(failures, executionId)
  }

  const failed = (executionId: string) => (error: unknown) =>
    error instanceof StoreFailure ? Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => backOff(executionId, now))) : Effect.void
  const succeeded = (executionId: string) =>
    Effect.sync(() => {
      attempts.delete(executionId)
      dueAt.delete(executionId)
    })

  const retry: StoreFailureRetry = {
    watch: (store) => ({
      ...store,
      // Every step's write passes here: the success side does nothing unless some execution is backing off.
      append: (executionId, events, expectedSeq, options) =>
        Effect.tapError(
          attempts.size === 0 ? store.append(executionId, events, expectedSeq, options) : Effect.tap(store.append(executionId, events, expectedSeq, options), succeeded(executionId)),
          failed(executionId)
        ),
      setAlarm: (executionId, at) => Effect.tapError(store.setAlarm(executionId, at), failed(executionId)),
      deleteAlarm: (executionId) => Effect.tapError(store.deleteAlarm(executionId), failed(executionId))
    }),
    mayLoad: (executionId) =>
      dueAt.size === 0
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const due = dueAt.get(executionId)
          if (due === undefined || due <= now) return Effect.void
          return Effect.fail(
            new StoreFailure({
              operation: "load",
              reason: `the writes of execution ${executionId} are failing; it is retried in ${Math.ceil((due - now) / 1000)} s`
            })
          )
        }),
    run: (deliver, onError) =>
      Effect.asVoid(Effect.forkScoped(Effect.forever(Effect.gen(function*() {
        const executionId = yield* Queue.take(failures)
        if (scheduled.has(executionId)) return
        scheduled.add(executionId)
        const firstFailure = (attempts.get(executionId) ?? 0) <= 1
        const now = yield* Clock.currentTimeMillis
        yield* Effect.forkScoped(Effect.sleep(Math.max(0, (dueAt.get(executionId) ?? now) - now)).pipe(
          Effect.andThen(Effect.suspend(() => {
            scheduled.delete(executionId)
            return deliver(executionId)
          })),
          // Still failing: the store is not back; try again later (a failed write queues it again too).
          Effect.catchCause((cause) =>
            Effect.flatMap(Clock.currentTimeMillis, (failedAt) => Effect.sync(() => backOff(executionId, failedAt))).pipe(
              Effect.andThen(Effect.sync(() => firstFailure && onError(new Error("the store still fails; retrying the execution with backoff", { cause }), executionId)))
            ))
        ))
      }))))
  }
  return retry
})
