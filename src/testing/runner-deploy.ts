/**
 * What the test runner deploys: the engine and the scheduler of one set of functions, over the runner's store,
 * schedule records and clocks (a server, in a test). `runner.deploy` shuts one down as a server's graceful shutdown
 * does and builds the next on the same store, so a test can deploy a fix and rewind, or resume executions under new code.
 */
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { WATCHDOG_MS } from "../engine/actor-alarm.ts"
import { Engine } from "../engine/engine.ts"
import { EngineProbe } from "../engine/engine-probe.ts"
import { ExecutionClient } from "../engine/execution-client.ts"
import { UserLogLevel } from "../engine/lifecycle-log.ts"
import { ExecutionObserver, type ExecutionObserverShape } from "../engine/observer.ts"
import { type DurableFunction, makeRegistry } from "../engine/registry.ts"
import { lambdaLogLevel } from "../host/host-logger.ts"
import { resolveShutdownGrace } from "../host/host-port.ts"
import type { FetchTransport } from "../context/fetch.ts"
import { makeScheduleRegistry, type Schedule } from "../schedule/schedule.ts"
import { ScheduleStore, type ScheduleStoreShape } from "../schedule/schedule-store.ts"
import { makeScheduler, Scheduler } from "../schedule/scheduler.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../store/execution-store.ts"
import type { TestRunner } from "./test-runner.ts"
import type { VirtualClock } from "./virtual-clock.ts"

export interface DeployOptions {
  /** The functions registered from now on; executions of one left out are those of a function a deploy removed. */
  readonly functions: ReadonlyArray<DurableFunction>
  /** The schedules from now on (default: the ones deployed before, which must then start functions still deployed). */
  readonly schedules?: ReadonlyArray<Schedule>
  /**
   * How long step bodies of the old code that are running get to end and be recorded, no new one beginning (default
   * 5,000 ms, a server's shutdown grace); one still running then is cut off, and runs again under the new code.
   */
  readonly shutdownGraceMs?: number
}

export type RunnerServices = Engine | ExecutionClient | EngineProbe | Scheduler
export type RunnerRuntime = ManagedRuntime.ManagedRuntime<RunnerServices, never>

/** One deploy's code, checked before anything is shut down: a deploy refused leaves the running code as it was. */
export interface Deployed {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly schedules: ReadonlyArray<Schedule>
}

export const checkedDeploy = (options: DeployOptions, current: ReadonlyArray<Schedule>): Deployed & { readonly graceMs: number } => {
  if (typeof options !== "object" || options === null || !Array.isArray(options.functions)) {
    throw new TypeError("runner.deploy takes { functions: [...], schedules?, shutdownGraceMs? }: the functions of the new code, as createTestRunner does")
  }
  makeRegistry(options.functions) // two functions of one name
  const schedules = options.schedules ?? current
  makeScheduleRegistry(schedules, options.functions) // a schedule of a function this deploy dropped, say
  return { functions: options.functions, schedules, graceMs: resolveShutdownGrace(options.shutdownGraceMs, () => undefined) }
}

/** What a deploy's runtime shares with the runner: its store, clocks and counters outlive every deploy. */
export interface RunnerParts {
  readonly store: ExecutionStoreShape
  readonly scheduleStore: ScheduleStoreShape
  readonly queueClock: VirtualClock
  readonly scheduleClock: VirtualClock
  readonly clockFor: (executionId: string, parentExecutionId: string | undefined) => VirtualClock
  readonly onStepBody: (executionId: string, step: { readonly id: string; readonly name?: string | undefined }) => void
  /** A schedule's tick is about to start `executionId`, and then `created` it (or found it started). */
  readonly beforeTick: (executionId: string) => void
  readonly afterTick: (executionId: string, created: boolean) => void
  readonly maxPayloadBytes?: number | undefined
  readonly observer?: ExecutionObserverShape | undefined
  readonly fetch?: FetchTransport | undefined
}

export const runnerRuntime = (parts: RunnerParts, deployed: Deployed): RunnerRuntime => {
  const engine = Engine.layer({
    functions: deployed.functions,
    ...(parts.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: parts.maxPayloadBytes }),
    flowClock: parts.queueClock,
    ...(parts.fetch === undefined ? {} : { fetch: parts.fetch }),
    clockFor: parts.clockFor,
    onStepBody: parts.onStepBody
  })
  const schedules = makeScheduleRegistry(deployed.schedules, deployed.functions) // refuses bad configuration
  const scheduler = Layer.effect(
    Scheduler,
    Effect.gen(function*() {
      const client = yield* ExecutionClient
      // A tick's execution starts at the tick: its clock is set from the schedules' clock before it starts.
      const start: typeof client.start = (request) =>
        Effect.suspend(() => {
          const id = request.executionId!
          parts.beforeTick(id)
          return Effect.tap(client.start(request), (started) => Effect.sync(() => parts.afterTick(id, started.created)))
        })
      return yield* makeScheduler({ schedules }).pipe(
        Effect.provideService(ExecutionClient, { ...client, start }),
        Effect.provideService(ScheduleStore, parts.scheduleStore),
        Effect.provideService(Clock.Clock, parts.scheduleClock)
      )
    })
  )
  // The default ctx.logger's lowest level, as AWS's logger reads it under AWS's test runner too; the runner is no
  // host, so REPRISE_LOG_LEVEL (a server's) does not rule it.
  const userLevel = lambdaLogLevel((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.["AWS_LAMBDA_LOG_LEVEL"])
  return ManagedRuntime.make(
    scheduler.pipe(
      Layer.provideMerge(engine.pipe(Layer.provide(Layer.succeed(UserLogLevel, userLevel)))),
      Layer.provide(Layer.succeed(ExecutionStore, parts.store)),
      Layer.provide(Layer.succeed(ExecutionObserver, parts.observer))
    )
  )
}

/**
 * A server's graceful shutdown: no new step attempt begins, the running ones get `graceMs` to end and be recorded,
 * then every actor leaves memory (user code still running is abandoned and can no longer write).
 */
export const shutDown = async (runtime: RunnerRuntime, graceMs: number): Promise<void> => {
  await runtime.runPromise(Engine.use((engine) => engine.drain(graceMs))).catch(() => undefined)
  await runtime.dispose()
}

/**
 * A host's start-up recovery, for the executions that were running in memory when the deploy came: those whose
 * alarm is due within the watchdog resume at once, on their own clocks, under the new code. One of a function the
 * deploy removed stays as it is (a host postpones its alarm), and whatever reaches it later is refused.
 */
export const recoverRunning = async (runner: TestRunner, executionIds: ReadonlyArray<string>, functions: ReadonlyArray<DurableFunction>): Promise<void> => {
  const registered = new Set(functions.map((fn) => fn.name))
  for (const id of executionIds) {
    const view = await runner.engine((e) => e.describe(id))
    const alarm = await runner.alarmOf(id)
    const now = runner.clock(id).currentTimeMillisUnsafe()
    if (registered.has(view.functionName) && alarm !== undefined && alarm <= now + WATCHDOG_MS) await runner.fireAt(id, now)
  }
}
