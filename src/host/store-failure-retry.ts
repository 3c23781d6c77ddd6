/**
 * Resuming after a store failure (issue 19): when a write of an execution fails in the store (a full disk, a
 * read-only file, a store that is down), its actor stops (docs/engine.md, "Conditional appends") and nothing that
 * was not written is acknowledged. Its next stored alarm would resume it, but that can be the watchdog, 30 s away,
 * and the store may not even have taken the alarm. So the host watches the store's write failures and delivers an
 * alarm to each such execution on a backoff (0.5 s doubling, at most 30 s) until a delivery goes through; a write of
 * that execution that succeeds resets its backoff. When the fault clears, the execution goes on by itself.
 */
import { Effect, Queue, type Scope } from "effect"
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
  /** Delivers alarms to the executions whose writes failed, until the scope closes. */
  run(deliver: (executionId: string) => Effect.Effect<void, unknown>, onError: HostErrorReporter): Effect.Effect<void, never, Scope.Scope>
}

export const makeStoreFailureRetry = Effect.gen(function*() {
  const failures = yield* Queue.unbounded<string>()
  /** Consecutive failed writes or deliveries of each execution: the backoff's exponent. */
  const attempts = new Map<string, number>()
  /** Executions with a delivery scheduled or running. */
  const scheduled = new Set<string>()

  const failed = (executionId: string) => (error: unknown) =>
    Effect.sync(() => {
      if (error instanceof StoreFailure) Queue.offerUnsafe(failures, executionId)
    })
  const succeeded = (executionId: string) => Effect.sync(() => void attempts.delete(executionId))

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
    run: (deliver, onError) =>
      Effect.asVoid(Effect.forkScoped(Effect.forever(Effect.gen(function*() {
        const executionId = yield* Queue.take(failures)
        if (scheduled.has(executionId)) return
        scheduled.add(executionId)
        const attempt = attempts.get(executionId) ?? 0
        attempts.delete(executionId)
        attempts.set(executionId, attempt + 1)
        if (attempts.size > MAX_TRACKED) attempts.delete(attempts.keys().next().value!)
        const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16))
        yield* Effect.forkScoped(Effect.sleep(delay).pipe(
          Effect.andThen(Effect.suspend(() => {
            scheduled.delete(executionId)
            return deliver(executionId)
          })),
          // Still failing: the store is not back; try again later (a failed write queues it again too).
          Effect.catchCause((cause) => Effect.sync(() => Queue.offerUnsafe(failures, executionId)).pipe(
            Effect.andThen(Effect.sync(() => attempt === 0 && onError(new Error("the store still fails; retrying the execution with backoff", { cause }), executionId)))
          ))
        ))
      }))))
  }
  return retry
})
