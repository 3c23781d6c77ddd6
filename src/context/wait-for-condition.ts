/**
 * `ctx.waitForCondition`: poll a check durably until the wait strategy says stop. A STEP operation of subtype
 * WaitForCondition, as on AWS. Each poll that says "not yet" is recorded as a `StepSucceeded` carrying the new state
 * and `nextAttemptAt` (the operation is then PENDING, like AWS's RETRY with a Payload, which AWS's history shows as
 * StepSucceeded with RetryDetails); the next poll waits on the actor's durable timer. The last poll is a plain
 * `StepSucceeded`. A check (or strategy, or serdes) that throws fails the operation at once: `StepFailed`, no retry.
 * Replay resumes from the last recorded state; finished polls never run again.
 */
import type { ErrorObject } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"
import { type Begun, type ContextCore, mayNotStart, never } from "./context-core.ts"
import { checkWaitMillis, type Duration, durationToMillis } from "./duration.ts"
import { RecordedError, SerdesFailedError, StepError } from "./errors.ts"
import type { DurableContextLogger } from "./logger.ts"
import { operationLogger } from "./operation-logger.ts"
import { withJitterSource } from "./retry.ts"
import { deserializeWith, serializeWith } from "./serdes-call.ts"
import { type Serdes, serdesContext } from "./serdes.ts"
import { runOwned } from "./usage-tracker.ts"
import { failedBySerdes, readBack } from "./serdes-failure.ts"
import { underFinishedBatch } from "./finished-batches.ts"

export type WaitForConditionDecision = { readonly shouldContinue: true; readonly delay: Duration } | { readonly shouldContinue: false }

export interface WaitForConditionContext {
  readonly logger: DurableContextLogger
  /** 1-based number of this poll. */
  readonly attempt: number
}

export type WaitForConditionCheck<T> = (state: T, context: WaitForConditionContext) => Promise<T> | T
/** AWS's names for a check and a wait strategy. */
export type WaitForConditionCheckFunc<T> = WaitForConditionCheck<T>
export type WaitForConditionWaitStrategyFunc<T> = WaitForConditionConfig<T>["waitStrategy"]

/** What Reprise hands a wait strategy beyond AWS's (state, attempt): how long polling has gone on. */
export interface WaitForConditionProgress {
  /** Milliseconds from the start of the first poll to the end of this one. */
  readonly elapsedMs: number
}

export interface WaitForConditionConfig<T> {
  readonly initialState: T
  /** Asked after every poll with the state it returned and the 1-based poll number (`createWaitStrategy` makes one). */
  readonly waitStrategy: (state: T, attempt: number, progress: WaitForConditionProgress) => WaitForConditionDecision
  readonly serdes?: Serdes<T>
}

/** A check that throws, or a strategy that gives up, fails it with StepError (AWS's class; same message). */
const failed = (error: ErrorObject, cause?: unknown) =>
  new StepError(error.errorMessage, cause ?? new RecordedError(error), error.errorData)

export const runWaitForCondition = async <T>(
  core: ContextCore,
  begun: Begun,
  check: WaitForConditionCheck<T>,
  config: WaitForConditionConfig<T>
): Promise<T> => {
  if (typeof check !== "function" || typeof config?.waitStrategy !== "function" || config.initialState === undefined) {
    throw new TypeError("waitForCondition requires a check function and a config with waitStrategy and initialState")
  }
  const { session } = core
  const { id, ref } = begun
  const serdes = config.serdes ?? session.serdes.defaultSerdes
  const context = serdesContext(session.executionId, id)

  let op: OperationState | undefined = begun.recorded
  for (;;) {
    if (op !== undefined) {
      if (op.status === "SUCCEEDED") return await readBack(session, serdes, op.result, context)
      if (op.status === "FAILED") throw failed(op.error!)
      if (op.status === "PENDING" && op.nextAttemptAt! > session.now()) {
        op = await session.whenChanged(id)
        continue
      }
    }
    // A poll that fell due in an item of a batch that completed without it does not run (finished-batches.ts).
    if (op !== undefined && underFinishedBatch(session, core.parentId)) return never()
    if (session.state.paused) {
      await session.whenResumed() // no poll while the execution is paused
      op = session.state.operations.get(id)
      continue
    }
    if (session.draining?.() === true) return never() // the host shuts down: the poll runs at the next start
    // First poll, or a poll that is due: start from the last recorded state.
    const attempt = (op?.attempt ?? 0) + 1
    const startedAt = session.now()
    const outcome = await poll(core, begun, op, check, config, attempt)
    if (!outcome.ok) {
      const error = core.errorRecord(outcome.error, ref)
      await session.append([{ _tag: "StepFailed", ...ref, startedAt, attempt, error }])
      throw failed(error, outcome.error)
    }
    const result = outcome.payload === undefined ? {} : { result: outcome.payload }
    if (outcome.nextAttemptAt === undefined) {
      await session.append([{ _tag: "StepSucceeded", ...ref, startedAt, attempt, ...result }])
      return outcome.state
    }
    // A poll that says "not yet": the state and the time of the next poll (see the file comment).
    const pending = { _tag: "StepSucceeded" as const, ...ref, startedAt, attempt, ...result, nextAttemptAt: outcome.nextAttemptAt }
    await session.append([pending])
    op = session.state.operations.get(id)
  }
}

type Poll<T> =
  | { readonly ok: true; readonly state: T; readonly payload: string | undefined; readonly nextAttemptAt: number | undefined }
  | { readonly ok: false; readonly error: unknown }

/** One poll: the check, the serdes round trip and the strategy's decision. Anything thrown fails the operation. */
const poll = async <T>(
  core: ContextCore,
  { id, ref }: Begun,
  op: OperationState | undefined,
  check: WaitForConditionCheck<T>,
  config: WaitForConditionConfig<T>,
  attempt: number
): Promise<Poll<T>> => {
  const { session } = core
  const what = `waitForCondition ${JSON.stringify(ref.name ?? id)}`
  const serdes = config.serdes ?? session.serdes.defaultSerdes
  const context = serdesContext(session.executionId, id)
  const firstAt = op?.startedAt ?? session.now()
  if (session.replayOnly !== undefined) return never() // the replay check runs no check function
  if (mayNotStart(session)) return never() // like a step body (runBody in step.ts)
  session.enterUserCode(ref, true)
  try {
    const current = op === undefined ? config.initialState : (await deserializeWith(serdes, op.result, context)) as T
    // Like a step body: no durable operations inside a check.
    const next = await runOwned({ kind: "step", executionId: session.executionId, name: ref.name, id, ref, attempt }, () =>
      check(current, { logger: pollLogger(core, id, ref.name, attempt), attempt }))
    const payload = await serializeWith(serdes, next, context)
    core.checkPayload(payload, `The state of ${what}`)
    // The strategy sees what a replay would: the state after the serdes round trip.
    const state = (await deserializeWith(serdes, payload, context)) as T
    const elapsedMs = session.now() - firstAt
    const decision = withJitterSource(session.random, () => config.waitStrategy(state, attempt, { elapsedMs }))
    // One that forgot to return had failed with "Cannot read properties of undefined (reading 'shouldContinue')".
    if (typeof decision !== "object" || decision === null) {
      throw new TypeError(`The waitStrategy of ${what} must return { shouldContinue, delay? }, got ${String(decision)}`)
    }
    const nextAttemptAt = decision.shouldContinue
      ? session.now() + checkWaitMillis(durationToMillis(decision.delay, "waitForCondition delay"), `The delay of ${what}`)
      : undefined
    return { ok: true, state, payload, nextAttemptAt }
  } catch (error) {
    // AWS's history shows the operation started when its serdes failed the execution on the first poll.
    if (error instanceof SerdesFailedError && op === undefined) session.post([{ _tag: "StepStarted", ...ref, attempt }])
    if (failedBySerdes(session, error)) return never()
    return { ok: false, error }
  } finally {
    session.exitUserCode()
  }
}

const pollLogger = (core: ContextCore, id: string, name: string | undefined, attempt: number): DurableContextLogger =>
  operationLogger(core.session, id, name, attempt)
