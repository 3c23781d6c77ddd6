/**
 * `ctx.step`: run a body, checkpoint its outcome, retry it on durable timers.
 * AtLeastOncePerRetry (default) writes only the outcome, which carries the attempt's start time; AtMostOncePerRetry
 * makes StepStarted durable before the body runs, so an attempt found open on replay was interrupted.
 */
import type { ErrorObject } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"
import { stepTraceparent } from "../log/trace-ids.ts"
import { type Begun, bodyMayNotRun, type ContextCore, never } from "./context-core.ts"
import { durationToMillis } from "./duration.ts"
import { isError, isInstance, readSafely, typeOf } from "./error-text.ts"
import { ConfigurationError, PayloadTooLargeError, RecordedError, SerdesFailedError, StepError, StepInterruptedError, revived } from "./errors.ts"

/** A step's failure for good, as its caller sees it: a StepError caused by the record of the last attempt's error. */
const stepErrorOf = (error: ErrorObject): StepError => revived(StepError, error)
import type { DurableContextLogger } from "./logger.ts"
import { type RetryDecision, type RetryStrategy, retryPresets, StepSemantics, withJitterSource } from "./retry.ts"
import { serializeJson, serializeWith } from "./serdes-call.ts"
import { defaultSerdes, type Serdes, serdesContext } from "./serdes.ts"
import type { StepContext, StepFunc } from "./types.ts"
import { closeAttempt, openAttempt } from "./open-steps.ts"
import { runOwned } from "./usage-tracker.ts"
import { withDeadline } from "./step-timeout.ts"
import { AGAIN, NOT_HERE, releaseWhenSettled, takeTurn, turnAfterPause } from "./step-turn.ts"
import { readBack } from "./serdes-failure.ts"
import { underFinishedBatch } from "./finished-batches.ts"

export interface StepRun<T> {
  readonly fn: StepFunc<T>
  /** For error messages. */
  readonly name?: string | undefined
  readonly retryStrategy?: RetryStrategy | undefined
  readonly semantics?: StepSemantics | undefined
  readonly serdes?: Serdes<T> | undefined
  /** Milliseconds one attempt may take (see step-timeout.ts). */
  readonly timeoutMs?: number | undefined
  readonly logger: (attempt: number) => DurableContextLogger
  /** A saga's compensation: its body runs even once a stop is requested (saga.ts). */
  readonly compensation?: boolean | undefined
  /** Turns the final error into what the caller sees (StepError by default). */
  readonly finalError?: (error: ErrorObject) => Error
  /** `concurrencyKey` and `limit`: at most `limit` bodies of the key run at once (Session.stepLimit). */
  readonly limit?: { readonly key: string; readonly limit: number } | undefined
}

/**
 * Records a failed attempt; returns the final error to throw, or undefined when a retry is scheduled. A function of
 * its own, not a closure in runStep: every step would make one, and few ever fail.
 */
const recordFailure = async <T>(
  core: ContextCore,
  ref: Begun["ref"],
  run: StepRun<T>,
  attempt: number,
  thrown: unknown,
  startedAt: number | undefined
): Promise<Error | undefined> => {
  const { session } = core
  const error = core.errorRecord(thrown, ref)
  // The retry strategy gets what was thrown, unless reading it throws (a hostile getter or Proxy): then its record.
  const cause = isError(thrown) && typeof readSafely(() => thrown.message) === "string" ? thrown : new RecordedError(error)
  const strategy = run.retryStrategy ?? retryPresets.default
  let decision: RetryDecision
  let delay = 1000
  try {
    // A payload over the limit will not shrink on retry.
    decision = isInstance(thrown, PayloadTooLargeError) ? { shouldRetry: false } : withJitterSource(session.random, () => strategy(cause, attempt))
    // A strategy that forgot to return had failed with "Cannot read properties of undefined (reading 'shouldRetry')".
    if (typeof decision !== "object" || decision === null) {
      throw new ConfigurationError(`The retryStrategy of step ${JSON.stringify(ref.name ?? ref.id)} must return { shouldRetry, delay? }, got ${String(decision)}`)
    }
    if (decision.shouldRetry && decision.delay !== undefined) delay = durationToMillis(decision.delay, "retry delay")
  } catch (strategyFailed) {
    // A strategy that throws (or asks for an invalid delay) reaches user code with nothing recorded: the step's end
    // is no longer coming (write-releases.ts counts it under way until then).
    session.outcomeAbandoned?.(ref.id)
    throw strategyFailed
  }
  const started = startedAt === undefined ? {} : { startedAt }
  if (decision.shouldRetry) {
    await session.append([{ _tag: "StepFailed", ...ref, ...started, attempt, error, nextAttemptAt: session.now() + delay }])
    return undefined
  }
  await session.append([{ _tag: "StepFailed", ...ref, ...started, attempt, error }])
  return (run.finalError ?? stepErrorOf)(error)
}

export const runStep = async <T>(core: ContextCore, begun: Begun, run: StepRun<T>): Promise<T> => {
  const { session } = core
  const { id, ref } = begun
  const serdes = run.serdes ?? session.serdes.defaultSerdes
  const atMostOnce = run.semantics === StepSemantics.AtMostOncePerRetry
  // Checked where the step would first run, not on a replay of one recorded under the code that misspelt it.
  if (begun.recorded === undefined && run.semantics !== undefined && !atMostOnce) invalidSemantics(run.semantics)

  let op: OperationState | undefined = begun.recorded
  for (;;) {
    if (op !== undefined) {
      if (op.status === "SUCCEEDED") {
        // Replay's hot path: the default serdes is JSON, parsed without a promise.
        if (serdes === defaultSerdes) return (op.result === undefined ? undefined : JSON.parse(op.result)) as T
        return await readBack(session, serdes, op.result, serdesContext(session.executionId, id))
      }
      if (op.status === "FAILED") throw (run.finalError ?? stepErrorOf)(op.error!)
      if (op.status === "PENDING" && op.nextAttemptAt! > session.now()) {
        op = await session.whenChanged(id)
        continue
      }
      if (op.status === "STARTED" && op.attemptOpen && atMostOnce) {
        // The attempt began before a crash and never finished: let the strategy decide as if it had thrown.
        const interrupted = new StepInterruptedError(`Step ${JSON.stringify(ref.name ?? id)} was interrupted during attempt ${op.attempt}`)
        const failure = await recordFailure(core, ref, run, op.attempt, interrupted, undefined)
        if (failure !== undefined) throw failure
        op = session.state.operations.get(id)
        continue
      }
    }
    // A retry that fell due in an item of a batch that completed without it does not run (finished-batches.ts).
    if (op !== undefined && underFinishedBatch(session, core.parentId)) return never()
    if (session.state.paused) {
      // No attempt starts while the execution is paused (a retry that fell due, an interrupted attempt).
      await session.whenResumed()
      op = session.state.operations.get(id)
      continue
    }
    // The host shuts down: the attempt begins at the next start, rather than being cut off and run again there.
    if (session.draining?.() === true) return never()
    // Flow control: a suspended execution that woke up takes its function's concurrency slot back first.
    const slot = session.acquireSlot?.()
    if (slot !== undefined) {
      await slot
      op = session.state.operations.get(id)
      continue
    }
    // Under a step limit the turn comes first (step-turn.ts): no attempt begins, and nothing is written, while the
    // body waits for it; an at-most-once step's StepStarted made a crash meanwhile an interrupted attempt. A gate that
    // fails (an outside flow object unreachable) fails the step with no attempt begun.
    let release: (() => void) | undefined
    if (run.limit !== undefined && session.stepLimit !== undefined && session.replayOnly === undefined) {
      if (bodyMayNotRun(session, run.compensation === true)) return never()
      const turn = await takeTurn(session, run.limit, run.compensation === true)
      if (turn === NOT_HERE) return never() // stopped, ended or dropped while it waited
      if (turn === AGAIN) {
        op = session.state.operations.get(id)
        continue
      }
      release = turn
      // The turn came during a shutdown: its attempt begins at the next start, like one that had not waited.
      if (session.draining?.() === true) {
        release()
        return never()
      }
    }
    // A default step's start written without an outcome (see open-steps.ts) is that attempt, run again.
    const attempt = op?.status === "STARTED" && op.attemptOpen ? op.attempt : (op?.attempt ?? 0) + 1
    const startedAt = session.now()
    if (atMostOnce) {
      try {
        await session.append([{ _tag: "StepStarted", ...ref, attempt }])
      } catch (error) {
        release?.()
        throw error
      }
      // Paused while its StepStarted was written: its attempt is open, its body waits (not holding a turn).
      if (session.state.paused) {
        if (release === undefined) await session.whenResumed()
        else {
          release()
          const turn = await turnAfterPause(session, run.limit!, run.compensation === true)
          if (turn === NOT_HERE) return never()
          release = turn
        }
      }
    } else openAttempt(session, ref, attempt)
    // The body runs here, not in a function of its own: one promise, one frame and one outcome object less per step.
    if (session.replayOnly !== undefined) return never() // the replay check runs no step body
    // A stop requested inside a saga: only its compensations start.
    if (bodyMayNotRun(session, run.compensation === true)) {
      release?.()
      return never()
    }
    if (release !== undefined) session.bodyHasTurn?.(release)
    session.enterUserCode(ref)
    let ok = true
    let value: unknown
    // A body past its timeout keeps its turn under a step limit until it settles (step-turn.ts).
    let body: PromiseLike<unknown> | undefined
    try {
      const what = run.timeoutMs === undefined ? noDeadline : () => `Attempt ${attempt} of step ${JSON.stringify(run.name ?? id)}`
      value = await withDeadline(run.timeoutMs, what, (signal) => {
        const result = runOwned({ kind: "step", executionId: session.executionId, name: run.name, id, ref, attempt }, () => run.fn(new AttemptContext(attempt, signal, session, id, run)))
        if (release === undefined || run.timeoutMs === undefined) return result
        return (body = Promise.resolve(result)) // the deadline races this one: a thenable's then is called once
      }, session.stopped)
    } catch (error) {
      ok = false
      value = error
    } finally {
      if (body !== undefined) releaseWhenSettled(release!, body)
      else release?.()
      session.exitUserCode()
      closeAttempt(session, id)
    }
    // A body that was running when its batch completed without it: its outcome is not recorded (AWS's checkpoints
    // from there are no-ops), so that the log is the same whether the actor stayed warm or replayed.
    if (underFinishedBatch(session, core.parentId)) return never()
    const recordStart = atMostOnce ? undefined : startedAt
    if (ok) {
      let payload: string | undefined
      try {
        payload = serdes === defaultSerdes
          ? serializeJson(value, ref.name === undefined ? `operation ${id}` : `step ${JSON.stringify(ref.name)} (${id})`)
          : await serializeWith(serdes, value, serdesContext(session.executionId, id))
        core.checkPayload(payload, () => `The result of step ${JSON.stringify(ref.name ?? id)}`)
      } catch (error) {
        if (error instanceof SerdesFailedError) {
          // A result that cannot be serialised will not serialise on retry either, and running the body again would
          // repeat its effects: the execution fails, as in AWS's SDK (an unrecoverable invocation), the step started.
          if (session.state.operations.get(id)?.attemptOpen !== true) session.post([{ _tag: "StepStarted", ...ref, attempt }])
          session.fail(error)
          return never()
        }
        const failure = await recordFailure(core, ref, run, attempt, error, recordStart)
        if (failure !== undefined) throw failure
        op = session.state.operations.get(id)
        continue
      }
      await session.append([{
        _tag: "StepSucceeded",
        ...ref,
        ...(recordStart === undefined ? {} : { startedAt: recordStart }),
        attempt,
        ...(payload === undefined ? {} : { result: payload })
      }])
      // First run and replay see the same value: the one read back from what was stored (AWS's SDK does the same).
      if (serdes === defaultSerdes) return (payload === undefined ? undefined : JSON.parse(payload)) as T
      return await readBack(session, serdes, payload, serdesContext(session.executionId, id))
    }
    const failure = await recordFailure(core, ref, run, attempt, value, recordStart)
    if (failure !== undefined) throw failure
    op = session.state.operations.get(id)
  }
}

const SESSION = Symbol("session")
const ID = Symbol("operationId")
const RUN = Symbol("run")
const LOGGER = Symbol("logger")

/**
 * What a step body gets. A class, not a literal with accessors: a literal made its getters and setter anew for
 * every step (about 0.6 us each here), and most bodies read none of them. So `logger`, `idempotencyKey` and
 * `traceparent` are getters of the class (a spread copy of the context holds `attempt` and `signal` only; pass the
 * context itself on). Its own state is under symbols, not #private fields, so a Proxy of it or an object made with
 * it as prototype still reads them. The logger is made when asked, and a body may still swap it.
 */
class AttemptContext<T> implements StepContext {
  readonly attempt: number
  readonly signal: AbortSignal
  readonly [SESSION]: ContextCore["session"]
  readonly [ID]: string
  readonly [RUN]: StepRun<T>
  [LOGGER]: StepContext["logger"] | undefined
  constructor(attempt: number, signal: AbortSignal, session: ContextCore["session"], id: string, run: StepRun<T>) {
    this.attempt = attempt
    this.signal = signal
    this[SESSION] = session
    this[ID] = id
    this[RUN] = run
    this[LOGGER] = undefined
  }
  get idempotencyKey(): string {
    return `${this[SESSION].executionId}:${this[ID]}`
  }
  get logger(): StepContext["logger"] {
    return this[LOGGER] ??= this[RUN].logger(this.attempt)
  }
  set logger(replacement: StepContext["logger"]) {
    this[LOGGER] = replacement
  }
  get traceparent(): string {
    return stepTraceparent(this[SESSION].state, this[ID], this.attempt, this[SESSION].sampled?.())
  }
}

/** The description of an attempt without a deadline: never asked for (withDeadline asks only at a deadline). */
const noDeadline = () => ""

const SEMANTICS: ReadonlyArray<unknown> = Object.values(StepSemantics)

/**
 * Throws on a `semantics` that is neither value: a misspelt "AT_MOST_ONCE" ran the body at least once per retry,
 * the opposite of what was asked, without a word.
 */
const invalidSemantics = (semantics: unknown): void => {
  if (!SEMANTICS.includes(semantics)) {
    throw new ConfigurationError(`A step's semantics must be ${SEMANTICS.map((value) => JSON.stringify(value)).join(" or ")} (StepSemantics), got ${typeof semantics === "string" ? JSON.stringify(semantics) : typeOf(semantics)}`)
  }
}
