/**
 * The Durable Object class that runs one schedule (named by the schedule): its record in the object's storage, its
 * alarm at the next tick. The scheduler is the one of src/schedule, over the Worker's forwarding ExecutionClient, so
 * each tick starts its execution in that execution's own object by the id derived from the tick: a tick handled
 * twice starts one execution, across objects too. While a start is buffered (buffer-one), the alarm also comes back
 * every BUFFERED_RECHECK_MS to see whether the execution ahead of it has ended.
 */
import { DurableObject } from "cloudflare:workers"
import { Clock, Effect, Layer, ManagedRuntime, Scheduler as EffectScheduler } from "effect"
import type { DurableFunction, Schedule } from "reprise"
import { ExecutionClient } from "reprise/engine"
import {
  type HostLogOptions,
  hostLoggingLayer,
  makeKeyValueScheduleStore,
  makeScheduler,
  makeScheduleRegistry,
  Scheduler,
  type SchedulerShape,
  type ScheduleView,
  ScheduleStore,
  type TriggerResult
} from "reprise/host"
import type { DurableObjectState } from "./cf-types.ts"
import { callbackIdsOf, envReader, type RepriseEnv } from "./env.ts"
import { makeIndexClient } from "./index-client.ts"
import { makeWorkerClient } from "./worker-client.ts"
import { objectLog } from "./object-log.ts"
import { failureOfWire, runWire, type Wire } from "./wire.ts"

export const BUFFERED_RECHECK_MS = 30_000
const SELF = "reprise:schedule"

export interface ScheduleObjectConfig {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly schedules: ReadonlyArray<Schedule>
  readonly indexShards?: number | undefined
  /** As the execution objects': JSON lines on the console (a refused tick's warning, naming the schedule). */
  readonly logging?: HostLogOptions | undefined
}

/** The RPC surface of a schedule's object; every method names the schedule (the object's name). */
export interface ScheduleRpc {
  /** Makes sure the record exists and the alarm is armed; answers the schedule. */
  ensure(name: string): Promise<Wire<ScheduleView>>
  view(name: string): Promise<Wire<ScheduleView>>
  pause(name: string): Promise<Wire<ScheduleView>>
  resume(name: string): Promise<Wire<ScheduleView>>
  trigger(name: string): Promise<Wire<TriggerResult>>
}

export type ScheduleObjectClass = new (ctx: DurableObjectState, env: RepriseEnv) => DurableObject<RepriseEnv> & ScheduleRpc & {
  alarm(): Promise<void>
}

const workerScheduler = new EffectScheduler.MixedScheduler("sync")

export const makeScheduleObject = (config: ScheduleObjectConfig): ScheduleObjectClass => {
  const all = makeScheduleRegistry(config.schedules, config.functions)
  return class ScheduleObject extends DurableObject<RepriseEnv> implements ScheduleRpc {
    #runtime: ManagedRuntime.ManagedRuntime<Scheduler, never> | undefined

    constructor(ctx: DurableObjectState, env: RepriseEnv) {
      super(ctx, env)
    }

    #scheduler(name: string): ManagedRuntime.ManagedRuntime<Scheduler, never> {
      if (this.#runtime !== undefined) return this.#runtime
      const entry = all.get(name)
      const schedules = new Map(entry === undefined ? [] : [[name, entry] as const])
      const kv = this.ctx.storage.kv
      const client = makeWorkerClient(this.env, {
        functions: config.functions,
        callbackIds: callbackIdsOf(this.env),
        index: makeIndexClient(this.env.EXECUTION_INDEX, config.indexShards)
      })
      const layer = Layer.effect(Scheduler, makeScheduler({ schedules })).pipe(
        Layer.provide(Layer.mergeAll(
          Layer.succeed(ExecutionClient, client),
          Layer.succeed(ScheduleStore, makeKeyValueScheduleStore({
            get: (key) => Effect.sync(() => kv.get<string>(key)),
            // One object per schedule, and its synchronous storage: the check and the write cannot be interleaved.
            swap: (key, expected, value) =>
              Effect.sync(() => {
                if (kv.get<string>(key) !== expected) return false
                kv.put(key, value)
                return true
              })
          })),
          Layer.succeed(EffectScheduler.Scheduler, workerScheduler)
        )),
        // The scheduler's lines as the execution objects write theirs: JSON, which Workers Logs take as objects.
        // Merged, not only provided: the scheduler logs from the runtime's fibers, which read the logger there.
        Layer.provideMerge(hostLoggingLayer({ format: "json", write: (line) => console.log(line), ...config.logging }, envReader(this.env)))
      )
      this.#runtime = ManagedRuntime.make(layer)
      return this.#runtime
    }

    /**
     * Brings the record in line (an object may have been evicted: the scheduler knows nothing until it reads it),
     * runs on the scheduler, then puts the object's alarm at the next tick (or the buffered re-check).
     */
    async #run<A, E>(name: string, use: (scheduler: SchedulerShape) => Effect.Effect<A, E>): Promise<Wire<A>> {
      this.ctx.storage.kv.put(SELF, name)
      const runtime = this.#scheduler(name)
      return runWire(
        (effect) => runtime.runPromiseExit(effect),
        Scheduler.use((scheduler) =>
          Effect.gen(function*() {
            yield* scheduler.start
            const answer = yield* use(scheduler)
            const now = yield* Clock.currentTimeMillis
            // A paused schedule's buffered start waits for its resume: no re-check meanwhile.
            const buffered = (yield* scheduler.list()).some((view) => view.buffered !== undefined && !view.paused)
            const next = scheduler.nextDueAt()
            return { answer, at: buffered ? Math.min(next ?? Infinity, now + BUFFERED_RECHECK_MS) : next }
          })).pipe(Effect.tap(({ at }) =>
            Effect.promise(() => (at === undefined || at === Infinity ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(at))))
          , Effect.map(({ answer }) => answer))
      )
    }

    ensure(name: string) {
      return this.#run(name, (s) => s.get(name))
    }
    view(name: string) {
      return this.#run(name, (s) => s.get(name))
    }
    pause(name: string) {
      return this.#run(name, (s) => s.pause(name))
    }
    resume(name: string) {
      return this.#run(name, (s) => s.resume(name))
    }
    trigger(name: string) {
      return this.#run(name, (s) => s.trigger(name))
    }

    async alarm(): Promise<void> {
      const name = this.ctx.id.name ?? this.ctx.storage.kv.get<string>(SELF)
      if (name === undefined || !all.has(name)) return // a schedule no longer deployed: nothing re-arms it
      const answer = await this.#run(name, (s) => s.alarm(name))
      if (answer._tag === "Failure") {
        // Not lost: the record still holds the tick; try again shortly.
        objectLog(config.logging, envReader(this.env)).report(`schedule ${name}: the tick failed`, failureOfWire(answer), { schedule: name })
        await this.ctx.storage.setAlarm(Date.now() + BUFFERED_RECHECK_MS)
      }
    }
  }
}
