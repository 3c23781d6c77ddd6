/**
 * The scheduler as part of a host: built only when schedules are registered, over the ScheduleStore the runtime's
 * ports provide (a host whose ports keep no schedule records refuses schedules at start, saying so). The schedules
 * are checked against the functions here, so bad configuration stops the server from starting.
 */
import { Context, Effect, Layer, Option } from "effect"
import type { DurableFunction } from "../engine/registry.ts"
import { makeScheduleRegistry, type Schedule, ScheduleConfigError } from "../schedule/schedule.ts"
import { ScheduleClient } from "../schedule/schedule-client.ts"
import { ScheduleStore } from "../schedule/schedule-store.ts"
import { makeScheduler, Scheduler } from "../schedule/scheduler.ts"
import type { HostErrorReporter } from "./alarm-dispatcher.ts"
import type { ExecutionClient } from "../engine/execution-client.ts"

export const schedulerLayer = (options: {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly schedules: ReadonlyArray<Schedule>
  readonly onError: HostErrorReporter
}): Layer.Layer<never, ScheduleConfigError, ExecutionClient> =>
  options.schedules.length === 0 ? (Layer.empty as Layer.Layer<never>) : Layer.effectContext(Effect.gen(function*() {
    const schedules = yield* Effect.try({ try: () => makeScheduleRegistry(options.schedules, options.functions), catch: (e) => e as ScheduleConfigError })
    const records = yield* Effect.serviceOption(ScheduleStore)
    if (Option.isNone(records)) {
      return yield* Effect.fail(new ScheduleConfigError("Schedules are registered, but this runtime's store keeps no schedule records (its ports provide no ScheduleStore)"))
    }
    const scheduler = yield* makeScheduler({
      schedules,
      onError: (error, name) => options.onError(error, `@schedule:${name}`)
    }).pipe(Effect.provideService(ScheduleStore, records.value))
    return Context.make(Scheduler, scheduler).pipe(Context.add(ScheduleClient, scheduler))
  })) as unknown as Layer.Layer<never, ScheduleConfigError, ExecutionClient>
