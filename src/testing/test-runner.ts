/**
 * `reprise/testing`: run durable functions in a test, on the in-memory store, each execution on its own virtual
 * clock. `run` drives an execution to its end, skipping time to each due timer and answering callbacks from the
 * given responders; `start` returns as soon as the execution is idle, for tests that steer it step by step.
 */
import { Cause, Effect, Exit } from "effect"
import type { CallbackOutcome } from "../engine/actor-messages.ts"
import { firstRunId } from "../engine/continue-as-new.ts"
import { Engine, type EngineShape } from "../engine/engine.ts"
import { EngineProbe, type EngineProbeShape } from "../engine/engine-probe.ts"
import type { DurableFunction } from "../engine/registry.ts"
import type { ExecutionObserverShape } from "../engine/observer.ts"
import type { Schedule } from "../schedule/schedule.ts"
import type { ScheduleView, TriggerResult } from "../schedule/schedule-client.ts"
import { makeMemoryScheduleStore } from "../schedule/schedule-store.ts"
import { Scheduler, type SchedulerShape } from "../schedule/scheduler.ts"
import { makeMemoryStore, type MemoryStore } from "../store/memory-store.ts"
import type { Duration } from "../context/duration.ts"
import type { FetchTransport } from "../context/fetch.ts"
import { type CheckpointCrashes, makeCrashingStore } from "./checkpoint-crashes.ts"
import { MAX_ROUNDS, TestExecution, toMillis } from "./test-execution.ts"
import { VirtualClock } from "./virtual-clock.ts"
import { realSleep } from "../context/real-timers.ts"
import { settleSaying } from "./slow-settle.ts"
import { checkedDeploy, type DeployOptions, type RunnerParts, type RunnerRuntime, runnerRuntime, type RunnerServices, recoverRunning, shutDown } from "./runner-deploy.ts"

/** What a responder does with a callback: complete it, fail it, or leave it (undefined). */
export type CallbackReply =
  | { readonly succeed: string | undefined }
  /** `errorMessage` defaults to "Callback failed" and `errorType` to "Error", as AWS's SDK's do. */
  | { readonly fail: { readonly errorMessage?: string; readonly errorType?: string; readonly errorData?: string } }
  | undefined

export interface PendingCallback {
  readonly callbackId: string
  readonly operationId: string
  readonly name: string | undefined
}

export type CallbackResponder = (callback: PendingCallback) => CallbackReply | Promise<CallbackReply>

export interface RunOptions {
  /** Responders by callback name (or the name of the waitForCallback that made it). */
  readonly callbacks?: Readonly<Record<string, CallbackResponder>>
  /** A fixed execution id; also makes the start idempotent. */
  readonly executionId?: string
  /**
   * Drop the actor before and after every append of this execution, resuming it each time (checkpoint-crashes.ts):
   * the outcome must be the same as without crashes; `execution.checkpointCrashes` and `stepBodyRuns` tell what
   * happened.
   */
  readonly crashAtEveryCheckpoint?: boolean
  /** The start's priority in its function's queue (flow control; higher first). */
  readonly priority?: number
}

export interface TestRunnerOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  /** Cron starts of the functions; their time moves with `advanceSchedules`. */
  readonly schedules?: ReadonlyArray<Schedule>
  /** Jump each execution's clock to its next timer whenever it is idle (default true). */
  readonly skipTime?: boolean
  /**
   * Where every execution's virtual clock starts (default: the real time the runner is made, which step bodies read
   * too; pass a fixed Date for times that are the same on every run).
   */
  readonly startTime?: Date
  readonly maxPayloadBytes?: number
  /** Told of every write, as a host's observer is (reprise/otel's `otelObserver`, say): docs/observability.md. */
  readonly observer?: ExecutionObserverShape
  /** How `ctx.fetch` sends requests (default: the global fetch), e.g. a function that answers as a service would. */
  readonly fetch?: FetchTransport
}

/**
 * The function is named, as over HTTP: one passed itself (as AWS's runner takes a handler) was refused as "Schema
 * validation failed", which said neither what nor why.
 */
const checkName = (functionName: unknown, call: string): void => {
  if (typeof functionName === "string") return
  const fn = functionName as { name?: unknown; handler?: unknown } | null
  if (typeof fn === "object" && fn !== null && typeof fn.name === "string" && typeof fn.handler === "function") {
    throw new TypeError(`runner.${call} takes the function's name, not the function: runner.${call}(${JSON.stringify(fn.name)}, input)`)
  }
  throw new TypeError(`runner.${call} takes the name of a registered function (a string): got ${typeof functionName}`)
}

export class TestRunner {
  readonly store: MemoryStore
  readonly skipTime: boolean
  /** The code deployed now (runner.deploy replaces it), and what every deploy shares. */
  #runtime: RunnerRuntime
  readonly #parts: RunnerParts
  #schedulesNow: ReadonlyArray<Schedule>
  #deploying = false
  readonly #clocks = new Map<string, VirtualClock>()
  readonly #start: number
  readonly #crashes: ReturnType<typeof makeCrashingStore>
  /**
   * Each step body start, per execution, by step name (or id); counted when asked (stepBodyRuns). A push per body
   * costs less than a counter in a map keyed by every unnamed step's id.
   */
  readonly #bodyRuns = new Map<string, Array<string>>()
  #count = 0
  /**
   * The queues' time (flow control): rate windows and debounce periods run on it, `drain` moves it, and an execution
   * that leaves a queue starts its own clock there.
   */
  readonly queueClock: VirtualClock
  /** The schedules' time: one clock for every schedule (each execution a tick starts gets its own, from the tick). */
  readonly scheduleClock: VirtualClock
  /** Executions started by schedules and not known to have ended. */
  readonly #scheduled = new Set<string>()
  #schedulesStarted: Promise<void> | undefined
  /** Calls that were waiting on a runtime that a deploy replaced: told so, not "disposed". */
  readonly #replaced = new WeakSet<RunnerRuntime>()

  constructor(options: TestRunnerOptions) {
    this.store = makeMemoryStore()
    this.skipTime = options.skipTime ?? true
    // Now by default: step bodies read the real clock, and a fixed past start made `ctx.wait(new Date(Date.now() + …))`
    // a wait of more than a year once that start was a year old (found by the testing probe).
    this.#start = options.startTime?.getTime() ?? Date.now()
    if (!Number.isFinite(this.#start)) throw new TypeError(`createTestRunner: startTime is not a valid Date (${String(options.startTime)})`)
    this.queueClock = new VirtualClock(this.#start)
    // Through the crashing store, which reads `this.store` at each call (tests may replace its members).
    this.#crashes = makeCrashingStore(() => this.store)
    this.scheduleClock = new VirtualClock(this.#start)
    this.#parts = {
      store: this.#crashes.store,
      scheduleStore: makeMemoryScheduleStore(),
      queueClock: this.queueClock,
      scheduleClock: this.scheduleClock,
      clockFor: (id, parent) => (parent === undefined ? this.clock(id) : this.#shareClock(id, parent)),
      onStepBody: (id, step) => {
        const runs = this.#bodyRuns.get(id)
        if (runs === undefined) this.#bodyRuns.set(id, [step.name ?? step.id])
        else runs.push(step.name ?? step.id)
      },
      beforeTick: (id) => {
        this.clock(id).setTime(this.scheduleClock.currentTimeMillisUnsafe())
        this.#scheduled.add(id)
      },
      afterTick: (id, created) => void (created && this.#startedIds.push(id)),
      maxPayloadBytes: options.maxPayloadBytes,
      observer: options.observer,
      fetch: options.fetch
    }
    this.#schedulesNow = options.schedules ?? []
    this.#runtime = runnerRuntime(this.#parts, { functions: options.functions, schedules: this.#schedulesNow })
  }

  /** The virtual clock of one execution. */
  clock(executionId: string): VirtualClock {
    let clock = this.#clocks.get(executionId)
    if (clock === undefined) {
      clock = new VirtualClock(Math.max(this.#start, this.queueClock.currentTimeMillisUnsafe()))
      this.#clocks.set(executionId, clock)
    }
    return clock
  }

  /** An invoked child lives in its parent's time: skipping the child's wait moves the parent's clock too. */
  #shareClock(executionId: string, parentExecutionId: string): VirtualClock {
    const clock = this.clock(parentExecutionId)
    this.#clocks.set(executionId, clock)
    return clock
  }

  /** Runs an effect on the engine; typed failures are thrown as themselves. */
  async engine<A, E>(use: (engine: EngineShape) => Effect.Effect<A, E>): Promise<A> {
    return this.#run(Engine.use(use))
  }

  /**
   * What a call that failed throws: its error; or, for one the runner's disposal cut off (a test that timed out with
   * a step body still running, its afterEach disposing), an Error saying so, not Effect's "All fibers interrupted".
   */
  #failure(cause: Cause.Cause<unknown>, runtime: RunnerRuntime): unknown {
    if (this.#replaced.has(runtime) && !this.#disposed && Cause.hasInterruptsOnly(cause)) {
      return new Error("runner.deploy replaced the code while the call was still waiting (the executions in memory were dropped, as a restart drops them): call again")
    }
    if (this.#disposed && Cause.hasInterruptsOnly(cause)) {
      return new Error("This test runner was disposed while the call was still waiting (on a step body, or a handler that had not settled)")
    }
    return Cause.squash(cause)
  }

  /** Reads what the engine knows synchronously (counters, what is in memory): the test-only probe. */
  probe<A>(read: (probe: EngineProbeShape) => A): A {
    return this.#live.runSync(EngineProbe.use((probe) => Effect.sync(() => read(probe))))
  }

  /** How many times each step body of an execution ran, by step name (or id when unnamed). */
  stepBodyRuns(executionId: string): Readonly<Record<string, number>> {
    const counts = new Map<string, number>()
    for (const key of this.#bodyRuns.get(executionId) ?? []) counts.set(key, (counts.get(key) ?? 0) + 1)
    return Object.fromEntries(counts)
  }

  /** What the crash-at-every-checkpoint mode did to an execution (undefined: not run in it). */
  checkpointCrashes(executionId: string): CheckpointCrashes | undefined {
    return this.#crashes.crashesOf(executionId)
  }

  /** The store's alarm of an execution. */
  async alarmOf(executionId: string): Promise<number | undefined> {
    return await this.#live.runPromise(EngineProbe.use((probe) => probe.alarmOf(executionId)))
  }

  /**
   * Starts an execution and drives it until it ends or waits on something only the test can give. An execution
   * that continues as new is followed: the answer is its last run (each run's `continuedFrom` leads back).
   */
  async run(functionName: string, input?: unknown, options: RunOptions = {}): Promise<TestExecution> {
    checkName(functionName, "run")
    let execution = await this.start(functionName, input, options)
    // Held by flow control (a limit, a debounce): everything runs until it has left the queue.
    if (execution.status === "QUEUED") await this.drain()
    execution = await execution.settle({ skipCallbackTimeouts: true })
    for (let runs = 1; execution.status === "CONTINUED_AS_NEW" && execution.continuedAs !== undefined; runs++) {
      if (runs >= MAX_CHAIN_RUNS) {
        // A function that continues for ever (a loop with no way out) had this follow it until memory ran out.
        const last = await this.execution(execution.continuedAs, options)
        await last.stop({ errorType: "TestRunnerLimit", errorMessage: `runner.run followed ${MAX_CHAIN_RUNS} runs` })
        throw new Error(
          `Execution ${firstRunId(execution.executionId) ?? execution.executionId} continued as new ${MAX_CHAIN_RUNS} times without ending; ` +
            `runner.run follows a chain to its last run, and stopped this one at ${last.executionId}. For a function that ` +
            "continues for ever, use runner.start and follow execution.continuedAs (runner.execution(id)) as far as the test needs."
        )
      }
      execution = await (await this.execution(execution.continuedAs, options)).settle({ skipCallbackTimeouts: true })
    }
    return execution
  }

  /**
   * Starts an execution and returns once it is idle, without moving its clock. The handle is of the run asked for,
   * as the HTTP API's `?wait` and `reprise get` describe it: one that continued as new is CONTINUED_AS_NEW, with
   * `continuedAs` naming the next run (`runner.execution(continuedAs)`); `run` follows the chain to its last run.
   */
  async start(functionName: string, input?: unknown, options: RunOptions = {}): Promise<TestExecution> {
    checkName(functionName, "start")
    const executionId = options.executionId ?? `${functionName}-${++this.#count}`
    if (options.crashAtEveryCheckpoint === true) this.#crashes.crashAt(executionId)
    await this.engine((e) => e.start({ functionName, input, executionId, ...(options.priority === undefined ? {} : { priority: options.priority }) }))
    const execution = new TestExecution(this, executionId, options.callbacks ?? {})
    await settleSaying(executionId, () => this.engine((e) => e.settle(executionId)), () => this.stepBodyRuns(executionId))
    return execution.refresh()
  }

  /**
   * Starts an execution (or queues it, under flow control) and returns at once, without letting it run to idle:
   * for tests that start many and then `drain`. Answers the engine's start result (a debounced start may name an
   * execution started earlier).
   */
  async begin(functionName: string, input?: unknown, options: Pick<RunOptions, "executionId" | "priority"> = {}) {
    checkName(functionName, "begin")
    const executionId = options.executionId ?? `${functionName}-${++this.#count}`
    return this.engine((e) => e.start({ functionName, input, executionId, ...(options.priority === undefined ? {} : { priority: options.priority }) }))
  }

  /**
   * Drives every execution until none is QUEUED or RUNNING, or nothing more can happen: each running one is
   * settled (its timers skipped, callbacks timed out), and when only the queues' time can move things, the queue
   * clock jumps to the next rate window or debounce end. Returns the queues' time it took, in milliseconds.
   */
  async drain(): Promise<number> {
    const from = this.queueClock.currentTimeMillisUnsafe()
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const before = await this.#statuses()
      const bodies = this.#bodyRunCount()
      for (const [id, status] of before) if (status === "RUNNING") await new TestExecution(this, id, {}).settle({ skipCallbackTimeouts: true })
      await realSleep(1) // slots given back a macrotask after a suspension
      const after = await this.#statuses()
      if ([...after].some(([id, status]) => before.get(id) !== status) || after.size !== before.size || this.#bodyRunCount() !== bodies) continue
      if (![...after.values()].some((status) => status === "QUEUED" || status === "RUNNING")) break
      const next = this.queueClock.nextWakeAt()
      if (next === undefined) break
      this.queueClock.setTime(next)
      await realSleep(1)
    }
    return this.queueClock.currentTimeMillisUnsafe() - from
  }

  #bodyRunCount(): number {
    let count = 0
    for (const runs of this.#bodyRuns.values()) count += runs.length
    return count
  }

  async #statuses(): Promise<Map<string, string>> {
    const statuses = new Map<string, string>()
    let cursor: string | undefined
    for (let page = 0; page < 10_000; page++) {
      const listed = await this.engine((e) => e.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) }))
      for (const item of listed.items) statuses.set(item.executionId, item.status)
      if (listed.cursor === undefined) break
      cursor = listed.cursor
    }
    return statuses
  }

  /** A handle on an execution started earlier. */
  async execution(executionId: string, options: RunOptions = {}): Promise<TestExecution> {
    return new TestExecution(this, executionId, options.callbacks ?? {}).refresh()
  }

  /** Skips one execution's clock to `at` and lets its actor act on what became due. */
  async fireAt(executionId: string, at: number): Promise<void> {
    this.clock(executionId).setTime(at)
    await this.engine((e) => e.alarm(executionId))
    await this.engine((e) => e.settle(executionId))
  }

  async completeCallback(callbackId: string, outcome: CallbackOutcome): Promise<void> {
    await this.engine((e) => e.completeCallback(callbackId, outcome))
  }

  /** Runs something on the scheduler, its records brought in line first (once). */
  async #schedules<A, E>(use: (scheduler: SchedulerShape) => Effect.Effect<A, E>): Promise<A> {
    this.#schedulesStarted ??= this.#run(Scheduler.use((s) => s.start))
    await this.#schedulesStarted
    return this.#run(Scheduler.use(use))
  }

  async #run<A, E>(effect: Effect.Effect<A, E, RunnerServices>): Promise<A> {
    const runtime = this.#live
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    throw this.#failure(exit.cause, runtime)
  }

  /**
   * Deploys new code, as a server's restart with it does: step bodies running get the shutdown grace to end and be
   * recorded, every execution leaves memory, and the same store, clocks and step-body counts serve the new functions
   * (and schedules, if given) from then on. The executions that were in memory and running come back at once under
   * the new code, as a host's start-up recovery brings them back; the others when their timer, callback or a test
   * call reaches them (docs: README's testing section). Refused (nothing dropped) for bad configuration.
   */
  async deploy(options: DeployOptions): Promise<void> {
    const old = this.#live // a disposed runner refuses
    if (this.#deploying) throw new Error("runner.deploy is already deploying: await it before the next")
    const deployed = checkedDeploy(options, this.#schedulesNow)
    this.#deploying = true
    try {
      const running = [...(await this.#statuses())].filter(([id, status]) => status === "RUNNING" && this.probe((p) => p.inMemory(id)))
      this.#replaced.add(old)
      await shutDown(old, deployed.graceMs)
      if (this.#disposed) throw new Error("The test runner was disposed while runner.deploy shut the old code down: nothing was deployed")
      this.#runtime = runnerRuntime(this.#parts, deployed)
      this.#schedulesNow = deployed.schedules
      this.#schedulesStarted = undefined
      await recoverRunning(this, running.map(([id]) => id), deployed.functions)
    } finally {
      this.#deploying = false
    }
  }

  listSchedules(): Promise<ReadonlyArray<ScheduleView>> {
    return this.#schedules((s) => s.list())
  }
  pauseSchedule(name: string): Promise<ScheduleView> {
    return this.#schedules((s) => s.pause(name))
  }
  resumeSchedule(name: string): Promise<ScheduleView> {
    return this.#schedules((s) => s.resume(name))
  }
  async triggerSchedule(name: string): Promise<TriggerResult> {
    const result = await this.#schedules((s) => s.trigger(name))
    await this.#settleScheduled()
    return result
  }

  /**
   * Moves the schedules' time forward by `millis` (or a Duration), in order of what comes due: each tick runs (its
   * execution starts on its own clock at the tick and runs until idle), and the executions that schedules started
   * and that still run move along the same time (their waits and retries fire when due), so that an overlap policy
   * sees them running or ended as it would in production. Returns the ids of the executions started.
   */
  async advanceSchedules(by: Duration | number): Promise<ReadonlyArray<string>> {
    const to = this.scheduleClock.currentTimeMillisUnsafe() + toMillis(by, "advanceSchedules")
    const before = this.#startedIds.length
    await this.#schedules(() => Effect.void)
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const running = await this.#runningScheduled()
      const alarms = await Promise.all(running.map(async (id) => [id, await this.alarmOf(id)] as const))
      const due = [this.#run(Scheduler.use((s) => Effect.sync(() => s.nextDueAt()))), ...alarms.map(([, at]) => at)]
      const next = Math.min(...(await Promise.all(due)).filter((at): at is number => at !== undefined))
      if (!(next <= to)) break
      this.scheduleClock.setTime(next)
      // The executions' own timers first: one that ends may release a buffered start.
      for (const [id, at] of alarms) if (at !== undefined && at <= next) await this.fireAt(id, next)
      for (const view of await this.#schedules((s) => s.list())) {
        if ((view.nextTickAt !== undefined && view.nextTickAt <= next) || view.buffered !== undefined) await this.#schedules((s) => s.alarm(view.name))
      }
      await this.#settleScheduled()
    }
    this.scheduleClock.setTime(to)
    for (const id of await this.#runningScheduled()) this.clock(id).setTime(to)
    return this.#startedIds.slice(before)
  }

  /** Every execution a schedule started, in order. */
  readonly #startedIds: Array<string> = []

  async #settleScheduled(): Promise<void> {
    for (const id of this.#scheduled) await this.engine((e) => e.settle(id))
  }

  async #runningScheduled(): Promise<Array<string>> {
    const running: Array<string> = []
    const ids = [...this.#scheduled]
    for (let i = 0; i < ids.length && i < MAX_ROUNDS; i++) {
      const id = ids[i]!
      const view = await this.engine((e) => e.describe(id)).catch(() => undefined)
      if (view?.status === "RUNNING") running.push(id)
      else this.#scheduled.delete(id)
      // Continued as new: the execution goes on in its next run, whose waits the schedules' time moves too (the
      // scheduler sees that run as the previous execution; left behind, a skip schedule skipped every later tick).
      if (view?.status === "CONTINUED_AS_NEW" && view.continuedAs !== undefined && !this.#scheduled.has(view.continuedAs)) {
        this.#scheduled.add(view.continuedAs)
        ids.push(view.continuedAs)
      }
    }
    return running
  }

  async dispose(): Promise<void> {
    this.#disposed = true
    await this.#runtime.dispose()
  }

  #disposed = false
  /** The runtime, or a clear error once the runner is disposed (the runtime's own refusal is a bare string). */
  get #live(): RunnerRuntime {
    if (this.#disposed) throw new Error("This test runner was disposed; create another")
    return this.#runtime
  }
}

/** How many runs of a `ctx.continueAsNew` chain `runner.run` follows before it gives up (each run stays in memory). */
export const MAX_CHAIN_RUNS = 1_000

export const createTestRunner = (options: TestRunnerOptions): TestRunner => new TestRunner(options)
