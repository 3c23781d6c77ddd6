/**
 * `saga(ctx, name?, body)`: steps that declare how to undo themselves. When the body fails, or the execution is
 * stopped while the saga runs, the compensations of the steps that succeeded run in reverse order, each as a
 * durable step (retried, recorded, never run twice once recorded); then the saga fails with the body's error, or
 * the execution ends STOPPED.
 *
 * Layout, fixed so that replay finds every id whatever the timing: the saga is a CONTEXT (subtype Saga) with two
 * children, the body (SagaBody) and, only when compensating, the compensations (SagaCompensation). Compensable
 * steps are steps of subtype SagaStep directly in the body. The compensations context first records its plan (the
 * ids to undo, in order), so a replay after a crash undoes the same steps in the same order.
 *
 * A stop reaches a running saga as a request (ExecutionStopRequested, written by the actor when a Saga context is
 * open): no new step body starts except compensations, and the execution ends STOPPED once the saga is done.
 */
import { childId } from "../log/operation-id.ts"
import type { ContextCore } from "./context-core.ts"
import { recordValue } from "./deterministic.ts"
import { DurableContextImpl } from "./durable-context.ts"
import { DurablePromise } from "./durable-promise.ts"
import { runChildContext } from "./child-context.ts"
import { afterTurn } from "./replay-order.ts"
import { ChildContextError, DurableOperationError, ExecutionStoppedError } from "./errors.ts"
import { operationLogger } from "./operation-logger.ts"
import type { RetryStrategy } from "./retry.ts"
import { runStep } from "./step.ts"
import type { DurableContext, StepConfig, StepContext, StepFunc } from "./types.ts"

export interface SagaStepConfig<T> extends Omit<StepConfig<T>, "subType"> {
  /** Undoes the step, given its result; runs as a durable step when the saga fails or is stopped. */
  readonly compensate: (result: T, context: StepContext) => Promise<unknown> | unknown
  /** Retries of the compensation (default: the steps' default strategy). */
  readonly compensationRetryStrategy?: RetryStrategy
}

export interface Saga {
  /** A step with its compensation, run on the saga's body context (call it from the body itself). */
  step<T>(name: string | undefined, fn: StepFunc<T>, config: SagaStepConfig<T>): DurablePromise<T>
  step<T>(fn: StepFunc<T>, config: SagaStepConfig<T>): DurablePromise<T>
}

export type SagaBody<T> = (context: DurableContext, saga: Saga) => Promise<T>

/** Some compensations failed for good; `cause` is what made the saga compensate. */
export class CompensationError extends DurableOperationError {
  readonly errorType = "CompensationError"
}

interface Registered {
  readonly name: string | undefined
  readonly config: SagaStepConfig<any>
  result?: unknown
  succeeded: boolean
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown } | { readonly ok: "stopped" }

export function saga<T>(context: DurableContext, name: string | undefined, body: SagaBody<T>): DurablePromise<T>
export function saga<T>(context: DurableContext, body: SagaBody<T>): DurablePromise<T>
export function saga<T>(context: DurableContext, ...args: Array<any>): DurablePromise<T> {
  const [name, body] = (typeof args[0] === "function" ? [undefined, args[0]] : args) as [string | undefined, SagaBody<T>]
  if (typeof body !== "function") return new DurablePromise<T>(Promise.reject(new TypeError("saga needs a body function")))
  return context.runInChildContext(name, (sagaContext) => runSaga(coreOf(sagaContext), sagaContext, body), { subType: "Saga" })
}

const coreOf = (context: DurableContext): ContextCore => {
  if (!(context instanceof DurableContextImpl)) throw new TypeError("saga needs the DurableContext Reprise gave the handler")
  return context.core
}

const runSaga = async <T>(sagaCore: ContextCore, sagaContext: DurableContext, body: SagaBody<T>): Promise<T> => {
  const session = sagaCore.session
  const registered = new Map<string, Registered>()
  const onRegistered: Array<() => void> = []
  const registeredChanged = () => {
    for (const check of onRegistered.splice(0)) check()
  }
  /** Resolves once `ready()` holds, checked at each registration. */
  const until = (ready: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = () => (ready() ? resolve() : onRegistered.push(check))
      check()
    })

  const handleOf = (bodyContext: DurableContext): Saga => {
    const bodyCore = coreOf(bodyContext)
    return {
      step<S>(...stepArgs: Array<any>): DurablePromise<S> {
        const [stepName, fn, config] = (typeof stepArgs[0] === "function" ? [undefined, ...stepArgs] : stepArgs) as [
          string | undefined,
          StepFunc<S>,
          SagaStepConfig<S>
        ]
        if (typeof config?.compensate !== "function") {
          return new DurablePromise<S>(Promise.reject(new TypeError("saga.step needs a config with a compensate function")))
        }
        const id = childId(bodyCore.parentId, bodyCore.position + 1)
        const entry: Registered = { name: stepName, config, succeeded: false }
        registered.set(id, entry)
        const { compensate: _c, compensationRetryStrategy: _r, ...stepConfig } = config
        const result = bodyContext.step<S>(stepName, fn, { ...stepConfig, subType: "SagaStep" })
        return new DurablePromise<S>(result.then((value) => {
          entry.result = value
          entry.succeeded = true
          registeredChanged()
          return value
        }))
      }
    }
  }

  // The body re-runs on replay even once it has ended, so that its steps register their compensations again.
  const bodyBegun = sagaCore.begin("CONTEXT", "SagaBody", undefined)
  if (bodyBegun === undefined) return await new Promise<never>(() => undefined)
  const bodyRun = afterTurn(bodyBegun, runChildContext<T>(sagaCore, bodyBegun, {
    replayBody: true,
    toError: (error, thrown) => ChildContextError.forContext(error, thrown),
    body: (core) => {
      const bodyContext = new DurableContextImpl(core)
      return body(bodyContext, handleOf(bodyContext))
    }
  }))
  const outcome = await Promise.race<Outcome<T>>([
    bodyRun.then((value) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error })),
    session.whenStopRequested().then(() => ({ ok: "stopped" }))
  ])
  if (outcome.ok === true) return outcome.value

  /** On a replay the body re-registers its recorded steps: every succeeded one must be back before planning. */
  const bodyReplayed = () => {
    for (const op of session.state.operations.values()) {
      if (op.parentId === bodyBegun.id && op.subType === "SagaStep" && op.status === "SUCCEEDED" && registered.get(op.id)?.succeeded !== true) return false
    }
    return true
  }
  const cause = outcome.ok === "stopped" ? new ExecutionStoppedError(`Execution ${session.executionId} was stopped`) : outcome.error
  await sagaContext.runInChildContext(undefined, async (compensations) => {
    const core = coreOf(compensations)
    const planned = core.begin("STEP", "SagaPlan", undefined)
    if (planned === undefined) return await new Promise<never>(() => undefined)
    if (planned.recorded === undefined) await until(bodyReplayed)
    const plan = await recordValue(core, planned, () =>
      [...registered].filter(([, entry]) => entry.succeeded).map(([id]) => id).reverse())
    const failures: Array<string> = []
    for (const id of plan) {
      await until(() => registered.get(id)?.succeeded === true)
      const entry = registered.get(id)!
      const stepName = entry.name === undefined ? undefined : `compensate ${entry.name}`
      const begun = core.begin("STEP", "Compensation", stepName)
      if (begun === undefined) return await new Promise<never>(() => undefined)
      try {
        await runStep(core, begun, {
          fn: (stepContext) => entry.config.compensate(entry.result, stepContext),
          name: stepName,
          compensation: true,
          retryStrategy: entry.config.compensationRetryStrategy,
          logger: (attempt) => operationLogger(session, begun.id, stepName, attempt)
        })
      } catch (error) {
        failures.push(`${stepName ?? begun.id}: ${(error as Error).message}`)
      }
    }
    if (failures.length > 0) {
      throw new CompensationError(`${failures.length} compensation(s) failed: ${failures.join("; ")}`, cause)
    }
  }, { subType: "SagaCompensation" })
  throw cause
}
