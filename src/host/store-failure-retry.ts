/**
 * Resuming after a store failure (issue 19): when a write of an execution fails in the store (a full disk, a
 * read-only file, a store that is down), its actor stops (docs/engine.md, "Conditional appends") and nothing that
 * was not written is acknowledged. Its next stored alarm would resume it, but that can be the watchdog, 30 s away,
 * and the store may not even have taken the alarm. So the host watches the store's write failures and delivers an
 * alarm to each such execution on a backoff (0.5 s doubling, at most 30 s) until a delivery goes through; a write of
 * that execution that succeeds resets its backoff. When the fault clears, the execution goes on by itself.
 *
 * Until its next delivery is due, or until some write succeeds (the store is back), the execution is not loaded for
 * another message than a stop or a pause (`mayLoad`, the engine's loadGate): the message answers a StoreFailure of
 * operation WRITES_FAILING (503 with the time left). Each load replays it and runs again the step body whose result
 * could not be written; client retries had done that on every request (60 runs of one body in 27 s of a full disk,
 * in the crash soak). Now, while every write fails, a body runs once per delivery of the backoff.
 */
import { Cause, Clock, Effect, Queue, type Scope } from "effect"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import { StoreFailure, WRITES_FAILING } from "../store/store-errors.ts"
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
  /**
   * The gate of each execution: when its next delivery is due (until then it is not loaded), and the count of
   * successful writes when it last failed. A write that succeeds since (any execution's) says the store is back: the
   * gate then lets loads through at once, not only when the delivery is due.
   */
  const gates = new Map<string, { due: number; okWrites: number }>()
  /** Successful writes while some execution is tracked. */
  let okWrites = 0
  /** Executions with a delivery scheduled or running. */
  const scheduled = new Set<string>()

  /** A write or a delivery of the execution failed: its next attempt is due one backoff step later (once per step). */
  const backOff = (executionId: string, now: number) => {
    const gate = gates.get(executionId)
    if (gate === undefined || gate.due <= now) {
      // A failure long after the last step starts the backoff again (a later fault, not the same one).
      const attempt = gate === undefined || now - gate.due > MAX_DELAY_MS ? 0 : attempts.get(executionId) ?? 0
      attempts.delete(executionId)
      attempts.set(executionId, attempt + 1)
      gates.set(executionId, { due: now + delayOf(attempt), okWrites })
      if (attempts.size > MAX_TRACKED) {
        const oldest = attempts.keys().next().value!
        attempts.delete(oldest)
        gates.delete(oldest)
      }
    } else {
      gate.okWrites = okWrites
    }
    Queue.offerUnsafe(failures, executionId)
  }

  const failed = (executionId: string) => (error: unknown) =>
    error instanceof StoreFailure ? Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => backOff(executionId, now))) : Effect.void
  const succeeded = (executionId: string) =>
    Effect.sync(() => {
      okWrites++
      attempts.delete(executionId)
      gates.delete(executionId)
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
      gates.size === 0
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const gate = gates.get(executionId)
          if (gate === undefined || gate.due <= now || okWrites > gate.okWrites) return Effect.void
          return Effect.fail(
            new StoreFailure({
              operation: WRITES_FAILING,
              reason: `The writes of execution ${executionId} are failing; it is retried in ${Math.ceil((gate.due - now) / 1000)} s`,
              retryAfterMs: gate.due - now
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
        yield* Effect.forkScoped(Effect.sleep(Math.max(0, (gates.get(executionId)?.due ?? now) - now)).pipe(
          Effect.andThen(Effect.flatMap(Clock.currentTimeMillis, (dueNow) => {
            scheduled.delete(executionId)
            // Due: the gate is open for this delivery (a timer may fire a little before the clock reaches `due`).
            const gate = gates.get(executionId)
            if (gate !== undefined && gate.due > dueNow) gate.due = dueNow
            return deliver(executionId)
          })),
          // Still failing: the store is not back; try again later (a failed write queues it again too).
          Effect.catchCause((cause) =>
            Effect.flatMap(Clock.currentTimeMillis, (failedAt) => Effect.sync(() => backOff(executionId, failedAt))).pipe(
              Effect.andThen(Effect.sync(() => firstFailure && onError(new Error("the store still fails; retrying the execution with backoff", { cause: Cause.squash(cause) }), executionId)))
            ))
        ))
      }))))
  }
  return retry
})
