/** The DurableContext handed to user code: argument parsing and wiring; each operation lives in its own file. */
import type { OperationSubType, OperationType } from "../log/events.ts"
import type { LambdaContext, Session } from "./session.ts"
import { startCallback } from "./callback.ts"
import { runChildContext } from "./child-context.ts"
import { type Begun, ContextCore, never } from "./context-core.ts"
import { recordValue, uuidFrom } from "./deterministic.ts"
import { EMIT_SUBTYPE, encodeEmission, invalidTopic, runEmit } from "./emit.ts"
import { callbackSchema } from "./callback-schema.ts"
import { DurablePromise } from "./durable-promise.ts"
import { afterCreation, afterTurn, bodyStarted, startReplayOrder } from "./replay-order.ts"
import type { Duration } from "./duration.ts"
import type { BatchResult } from "./batch-result.ts"
import { type BatchItemSpec, runBatch } from "./batch.ts"
import { typeOf } from "./error-text.ts"
import { CallbackSubmitterError, ChildContextError, ConfigurationError, DurableOperationError, RecordedError, revived } from "./errors.ts"
import { defaultLogger } from "./default-logger.ts"
import { type DurableContextLogger, type DurableLogger, type LoggerConfig, makeContextLogger } from "./logger.ts"
import { defaultSerdes, passThroughDeserializer, type SerdesConfig, serdesContext } from "./serdes.ts"
import { deserializeWith } from "./serdes-call.ts"
import { loggingContextOf } from "./logging-context.ts"
import { operationLogger } from "./operation-logger.ts"
import { deprecatePatch, patched } from "./patch.ts"
import { continueAsNew } from "./continue-as-new.ts"
import { runStep } from "./step.ts"
import { stepLimitOf } from "./step-limit-config.ts"
import { stepTimeoutMillis } from "./step-timeout.ts"
import type {
  BatchConfig,
  CallbackSubmitter,
  MapConfig,
  MapFunc,
  NamedParallelBranch,
  ParallelConfig,
  ParallelFunc,
  ChildConfig,
  CreateCallbackConfig,
  DurableContext,
  StepConfig,
  StepFunc,
  WaitForCallbackConfig
} from "./types.ts"
import { runWait } from "./wait.ts"
import { type InvokeConfig, runInvoke } from "./invoke.ts"
import { checkFetch, type FetchConfig, type FetchResponse, runFetch } from "./fetch.ts"
import { runWaitForCondition, type WaitForConditionCheck, type WaitForConditionConfig } from "./wait-for-condition.ts"
import { makePromiseCombinators, type PromiseCombinators, reviveError } from "./promise-combinators.ts"

/** AWS's rule: the first argument is a name when it is a string or undefined. */
const named = (args: ReadonlyArray<unknown>): [string | undefined, ReadonlyArray<unknown>] =>
  typeof args[0] === "string" || (args[0] === undefined && args.length > 1)
    ? [args[0] as string | undefined, args.slice(1)]
    : [undefined, args]

export class DurableContextImpl implements DurableContext {
  readonly logger: DurableContextLogger

  readonly core: ContextCore

  constructor(core: ContextCore) {
    this.core = core
    const session = core.session
    this.logger = makeContextLogger(
      () => loggerOf(session),
      () => (session.logger.modeAware ?? true) && core.replaying
    )
    // As AWS does, every context hands the custom logger the logging context again.
    session.logger.customLogger?.configureDurableLoggingContext?.(loggingContextOf(session))
  }

  static root(session: Session): DurableContextImpl {
    startReplayOrder(session)
    bodyStarted(session, "")
    return new DurableContextImpl(new ContextCore(session, undefined))
  }

  get executionId(): string {
    return this.core.session.executionId
  }

  get executionContext() {
    return { durableExecutionArn: this.core.session.executionId }
  }

  /** AWS's `lambdaContext`: the invocation's Lambda context on Lambda, undefined on every other runtime. */
  get lambdaContext(): LambdaContext | undefined {
    return this.core.session.invocation?.lambdaContext
  }

  /** Starts an operation eagerly and wraps it; a failed replay check leaves it pending forever. */
  #operation<T>(type: OperationType, subType: OperationSubType, name: string | undefined, run: (begun: Begun) => Promise<T>) {
    let begun: Begun | undefined
    try {
      begun = this.core.begin(type, subType, name)
    } catch (error) {
      return new DurablePromise<T>(Promise.reject(error))
    }
    if (begun === undefined) return new DurablePromise<T>(never())
    const session = this.core.session
    // A callback's creation resolves at once: what is awaited is its result's promise (callback.ts).
    const awaited = type === "CALLBACK" ? undefined : () => session.markAwaited?.(begun.id)
    // A paused execution starts no new operation: its id is taken now, its work waits for the resume.
    if (begun.recorded === undefined && session.state.paused) return new DurablePromise<T>(afterTurn(begun, session.whenResumed().then(() => run(begun))), awaited, begun.id)
    // A callback's creation settles at its own turn; its result waits for its end's (callback.ts).
    return new DurablePromise<T>(type === "CALLBACK" ? afterCreation(begun, run(begun)) : afterTurn(begun, run(begun)), awaited, begun.id)
  }

  // Fixed parameters rather than `named(...args)`: the rest array, the pair and its destructuring's iterator were
  // three objects for every step. The same rule: a string (or undefined followed by more) first is the name.
  step<T>(first?: unknown, second?: unknown, third?: unknown): DurablePromise<T> {
    const hasName = typeof first === "string" || (first === undefined && arguments.length > 1)
    const name = hasName ? (first as string | undefined) : undefined
    const fn = (hasName ? second : first) as StepFunc<T>
    const config = (hasName ? third : second) as StepConfig<T> | undefined
    let timeoutMs: number | undefined
    let limit: { key: string; limit: number } | undefined
    try {
      // Refused before anything is recorded: a body that is not a function was retried as a TypeError on the
      // default strategy for a minute (the API probe).
      if (typeof fn !== "function") {
        // `ctx.step(42, body)`: the body is there, the name is what is wrong.
        if (!hasName && typeof second === "function") throw new ConfigurationError(`A step's name must be a string, got ${typeOf(first)}`)
        throw new ConfigurationError(`A step's body must be a function, got ${typeOf(fn)}`)
      }
      // Refused here, not at the first failure: a strategy that is no function had failed the execution with
      // "strategy is not a function" only once the body threw.
      invalidRetryStrategy(config?.retryStrategy, "A step's retryStrategy")
      timeoutMs = stepTimeoutMillis(config?.timeout)
      limit = stepLimitOf(config?.concurrencyKey, config?.limit)
    } catch (error) {
      return rejected(error as Error)
    }
    return this.#operation("STEP", config?.subType ?? "Step", name, (begun) =>
      runStep(this.core, begun, {
        fn,
        name,
        timeoutMs,
        limit,
        retryStrategy: config?.retryStrategy,
        semantics: config?.semantics,
        serdes: config?.serdes,
        logger: (attempt) => this.#stepLogger(begun.id, name, attempt)
      }))
  }

  wait(...args: Array<any>): DurablePromise<void> {
    const [name, [target]] = named(args) as [string | undefined, [Duration | Date]]
    return this.#operation("WAIT", "Wait", name, (begun) => runWait(this.core, begun, target))
  }

  createCallback<T = string>(...args: Array<any>): DurablePromise<[DurablePromise<T>, string]> {
    const [name, [config]] = named(args) as [string | undefined, [CreateCallbackConfig<T> | undefined]]
    return this.#operation("CALLBACK", config?.subType ?? "Callback", name, (begun) => startCallback(this.core, begun, config))
  }

  waitForCallback<T = string>(...args: Array<any>): DurablePromise<T> {
    const [name, [submitter, config]] = named(args) as [string | undefined, [CallbackSubmitter, WaitForCallbackConfig<T> | undefined]]
    const session = this.core.session
    // The schema checks completions at the callback (createCallback registers it) and decodes after the context.
    const schemaDeserializer = config?.schema === undefined ? undefined : callbackSchema(config.schema).deserializer
    try {
      // A submitter that is no function had been retried as a TypeError for a minute, then a CallbackSubmitterError.
      if (typeof submitter !== "function") throw new ConfigurationError(`waitForCallback's submitter must be a function (callbackId) => …, got ${typeOf(submitter)}`)
      invalidRetryStrategy(config?.retryStrategy, "waitForCallback's retryStrategy")
    } catch (error) {
      return rejected(error as Error)
    }
    return this.#operation("CONTEXT", "WaitForCallback", name, (begun) =>
      runChildContext<string | undefined>(this.core, begun, {
        // As AWS does: the context keeps the raw string (as JSON), and the caller's deserializer runs after it,
        // so a deserializer may return anything (a BigInt, a class instance), never re-encoded.
        serdes: defaultSerdes,
        // Re-run on replay while its children are in the log; a backend that prunes the children of finished
        // contexts (Lambda's service does) leaves only the recorded outcome, which is then returned as it is.
        replayBody: (session.state.lastPosition.get(begun.id) ?? 0) > 0,
        // As AWS does: an error of the recorded class, caused by the recorded error (the same on first run and replay).
        toError: (error, thrown) =>
          thrown === undefined || thrown instanceof DurableOperationError ? reviveError(error, new RecordedError(error)) : thrown,
        body: async (core) => {
          const child = new DurableContextImpl(core)
          const [result, callbackId] = await child.createCallback<string>(undefined, { ...config, serdes: passThroughDeserializer })
          await child.#operation("STEP", "Step", undefined, (step) =>
            runStep(core, step, {
              fn: (stepContext) => submitter(callbackId, { logger: stepContext.logger }),
              retryStrategy: config?.retryStrategy,
              logger: (attempt) => child.#stepLogger(step.id, undefined, attempt),
              finalError: (error) => revived(CallbackSubmitterError, error)
            }))
          return await result
        }
      }).then((raw) =>
        deserializeWith(config?.serdes ?? schemaDeserializer ?? session.serdes.defaultCallbackDeserializer, raw, serdesContext(session.executionId, begun.id)) as Promise<T>
      ))
  }

  runInChildContext<T>(...args: Array<any>): DurablePromise<T> {
    const [name, [fn, config]] = named(args) as [string | undefined, [(context: DurableContext) => Promise<T>, ChildConfig<T> | undefined]]
    // Refused before anything is recorded: it had failed as a ChildContextError "fn is not a function".
    if (typeof fn !== "function") return rejected(new ConfigurationError(`runInChildContext needs a function (context) => …, got ${typeOf(fn)}`))
    return this.#operation("CONTEXT", config?.subType ?? "RunInChildContext", name, (begun) =>
      runChildContext<T>(this.core, begun, {
        serdes: config?.serdes,
        summarize: config?.summaryGenerator,
        // A mapper is given the failure as AWS's SDK gives it, rebuilt from its record (the same on every replay):
        // the class of its type, or a StepError for any other type, caused by the record.
        toError: (error, thrown) =>
          config?.errorMapper === undefined ? ChildContextError.forContext(error, thrown) : config.errorMapper(DurableOperationError.fromErrorObject(error)),
        body: (core) => fn(new DurableContextImpl(core))
      }))
  }

  /** `invoke(name?, functionName, input?, config?)`: the first argument is a name when the second is a string too. */
  invoke<I, O>(...args: Array<any>): DurablePromise<O> {
    const [name, [functionName, input, config]] = (typeof args[1] === "string" ? [args[0], args.slice(1)] : [undefined, args]) as [
      string | undefined,
      [string, I | undefined, InvokeConfig<I, O> | undefined]
    ]
    return this.#operation("CHAINED_INVOKE", "ChainedInvoke", name, (begun) => runInvoke(this.core, begun, functionName, input, config))
  }

  /** `fetch(name?, url, config?)`: the first argument is a name when the second is a string too (AWS's rule). */
  fetch(...args: Array<any>): DurablePromise<FetchResponse> {
    const [name, [url, config]] = (typeof args[1] === "string" ? [args[0], args.slice(1)] : [undefined, args]) as [
      string | undefined,
      [string, FetchConfig | undefined]
    ]
    let checked: ReturnType<typeof checkFetch>
    try {
      checked = checkFetch(url, config)
    } catch (error) {
      return rejected(error as Error)
    }
    const transport = this.core.session.fetch ?? globalThis.fetch
    return this.#operation("STEP", "Fetch", name, (begun) =>
      runFetch(this.core, begun, checked, config, transport, (attempt) => this.#stepLogger(begun.id, name, attempt)))
  }

  map<I, O>(...args: Array<any>): DurablePromise<BatchResult<O>> {
    const [name, [items, fn, config]] = named(args) as [string | undefined, [ReadonlyArray<I>, MapFunc<I, O>, MapConfig<I, O> | undefined]]
    const specs = Array.isArray(items)
      ? items.map((item: I, index: number) => ({
        name: config?.itemNamer?.(item, index) ?? `map-item-${index}`,
        run: (core: ContextCore) => fn(new DurableContextImpl(core), item, index, items)
      }))
      : undefined
    if (specs === undefined) return rejected(new ConfigurationError(`map needs an array of items, got ${typeof items}`))
    // Checked before anything is recorded, as parallel's branches are: every item had failed with a bare TypeError.
    if (typeof fn !== "function") return rejected(new ConfigurationError(`map needs a function to run for each item, got ${typeOf(fn)}`))
    return this.#batch("Map", "MapIteration", name, specs, config)
  }

  parallel<O>(...args: Array<any>): DurablePromise<BatchResult<O>> {
    const [name, [branches, config]] = named(args) as [string | undefined, [ReadonlyArray<ParallelFunc<O> | NamedParallelBranch<O>>, ParallelConfig<O> | undefined]]
    if (!Array.isArray(branches)) return rejected(new ConfigurationError(`parallel needs an array of branches, got ${typeof branches}`))
    // Checked before anything is recorded, with AWS's message: the caller can catch it.
    const isBranch = (branch: unknown) =>
      typeof branch === "function" || (typeof branch === "object" && branch !== null && typeof (branch as { func?: unknown }).func === "function")
    if (!branches.every(isBranch)) return rejected(new ConfigurationError("All branches must be functions or NamedParallelBranch objects"))
    const specs = branches.map((branch: ParallelFunc<O> | NamedParallelBranch<O>, index: number) => {
      const func = typeof branch === "function" ? branch : branch.func
      return {
        name: (typeof branch === "function" ? undefined : branch.name) ?? `parallel-branch-${index}`,
        run: (core: ContextCore) => func(new DurableContextImpl(core))
      }
    })
    return this.#batch("Parallel", "ParallelBranch", name, specs, config)
  }

  #batch<O>(
    subType: "Map" | "Parallel",
    iterationSubType: "MapIteration" | "ParallelBranch",
    name: string | undefined,
    items: ReadonlyArray<BatchItemSpec<O>>,
    config: BatchConfig<O> | undefined
  ): DurablePromise<BatchResult<O>> {
    const limit = config?.maxConcurrency
    // An invalid setting fails the execution (as on AWS): the handler cannot catch it, and no retry would fix it.
    const invalid = invalidBatchConfig(config)
    if (invalid !== undefined) {
      this.core.session.fail(new ConfigurationError(invalid))
      return new DurablePromise(never())
    }
    return this.#operation("CONTEXT", subType, name, (begun) =>
      runBatch(this.core, begun, {
        iterationSubType,
        items,
        maxConcurrency: limit,
        completionConfig: config?.completionConfig,
        itemSerdes: config?.itemSerdes,
        serdes: config?.serdes,
        summaryGenerator: config?.summaryGenerator,
        nesting: config?.nesting
      }))
  }

  waitForCondition<T>(...args: Array<any>): DurablePromise<T> {
    const [name, [check, config]] = named(args) as [string | undefined, [WaitForConditionCheck<T>, WaitForConditionConfig<T>]]
    return this.#operation("STEP", "WaitForCondition", name, (begun) => runWaitForCondition(this.core, begun, check, config))
  }

  /** Durable Promise.all / allSettled / any / race over promises of this context's operations. */
  get promise(): PromiseCombinators {
    return makePromiseCombinators(this)
  }

  now(): DurablePromise<Date> {
    return this.#operation("STEP", "Now", undefined, (begun) =>
      recordValue(this.core, begun, () => this.core.session.now()).then((ms) => new Date(ms)))
  }

  random(): DurablePromise<number> {
    return this.#operation("STEP", "Random", undefined, (begun) => recordValue(this.core, begun, () => this.core.session.random()))
  }

  uuid(): DurablePromise<string> {
    return this.#operation("STEP", "Uuid", undefined, (begun) =>
      recordValue(this.core, begun, () => uuidFrom(() => this.core.session.random())))
  }

  emit(topic: string, value?: unknown): DurablePromise<void> {
    let json: string
    try {
      const invalid = invalidTopic(topic)
      if (invalid !== undefined) throw new ConfigurationError(invalid)
      json = encodeEmission(topic, value)
    } catch (error) {
      return rejected(error as Error)
    }
    return this.#operation("STEP", EMIT_SUBTYPE, topic, (begun) => runEmit(this.core, begun, json))
  }

  patched(patchId: string): boolean {
    return patched(this.core, patchId)
  }

  deprecatePatch(patchId: string): void {
    deprecatePatch(this.core, patchId)
  }

  continueAsNew(input?: unknown): Promise<never> {
    return continueAsNew(this.core, input)
  }

  configureSerdes(config: SerdesConfig): void {
    const current = this.core.session.serdes
    this.core.session.serdes = {
      defaultSerdes: config.defaultSerdes ?? current.defaultSerdes,
      defaultCallbackDeserializer: config.defaultCallbackDeserializer ?? current.defaultCallbackDeserializer
    }
  }

  configureLogger(config: LoggerConfig): void {
    this.core.session.logger = { ...this.core.session.logger, ...config }
    config.customLogger?.configureDurableLoggingContext?.(loggingContextOf(this.core.session))
  }

  #stepLogger(id: string, name: string | undefined, attempt: number): DurableContextLogger {
    return operationLogger(this.core.session, id, name, attempt)
  }

}

/** AWS's checks and messages: each names the setting that is wrong. */
const invalidBatchConfig = (config: Pick<BatchConfig<unknown>, "maxConcurrency" | "completionConfig"> | undefined): string | undefined => {
  const limit = config?.maxConcurrency
  // Any positive number, as AWS's SDK takes it (1.5 lets two run: the count is compared with it); NaN is refused too.
  if (limit !== undefined && limit !== null && !(typeof limit === "number" && limit > 0)) {
    return `Invalid maxConcurrency: ${limit}. Must be a positive number or undefined for unlimited concurrency.`
  }
  const completion = config?.completionConfig as Record<string, unknown> | undefined
  if (
    typeof completion?.shouldComplete === "function" &&
    (completion.minSuccessful !== undefined || completion.toleratedFailureCount !== undefined || completion.toleratedFailurePercentage !== undefined)
  ) {
    return "completionConfig.shouldComplete is mutually exclusive with minSuccessful, toleratedFailureCount, and toleratedFailurePercentage"
  }
  // A count below 0 or a percentage over 100 had been taken: -1 tolerated failures ended a batch with no failure as
  // FAILURE_TOLERANCE_EXCEEDED, 150% tolerated every failure.
  for (const setting of ["minSuccessful", "toleratedFailureCount", "toleratedFailurePercentage"] as const) {
    const value = completion?.[setting]
    const most = setting === "toleratedFailurePercentage" ? 100 : Number.POSITIVE_INFINITY
    if (value !== undefined && !(typeof value === "number" && value >= 0 && value <= most)) {
      const range = most === 100 ? "a number from 0 to 100" : "a number of 0 or more"
      return `Invalid completionConfig.${setting}: ${String(value)}. Must be ${range}, or undefined.`
    }
  }
  return undefined
}

/** Throws when `strategy` is set but is no function; `what` names the setting. */
const invalidRetryStrategy = (strategy: unknown, what: string): void => {
  if (strategy !== undefined && typeof strategy !== "function") {
    throw new ConfigurationError(`${what} must be a function (error, attemptCount) => ({ shouldRetry, delay? }), got ${typeOf(strategy)}`)
  }
}

const rejected = <T>(error: Error) => new DurablePromise<T>(Promise.reject(error))

const loggerOf = (session: Session): DurableLogger => session.logger.customLogger ?? defaultLogger(session)
