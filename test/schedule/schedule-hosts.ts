/** Several schedulers ("hosts") over one schedule store and one engine, for the tests of schedules across hosts. */
import { Clock, Effect, Layer } from "effect"
import { Engine, ExecutionClient } from "../../src/engine/index.ts"
import { durable, type DurableFunction } from "../../src/index.ts"
import { makeScheduler, makeScheduleRegistry, ScheduleStore, type ScheduleStoreShape } from "../../src/schedule/index.ts"
import type { Schedule } from "../../src/schedule/schedule.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import type { VirtualClock } from "../../src/testing/virtual-clock.ts"

/** The function the schedules start: it runs (waits) for 90 minutes. */
export const job = durable("job", async (_: unknown, ctx) => ctx.wait("hold", { minutes: 90 }))

/** A maker of hosts: each a scheduler of `entry` over `records`, on `clock`, with the engine's client or another. */
export const hostsOf = (entry: Schedule, records: ScheduleStoreShape, clock: VirtualClock) =>
  Effect.gen(function*() {
    const client = yield* ExecutionClient
    return (client_: typeof client = client) =>
      makeScheduler({ schedules: makeScheduleRegistry([entry], [job]) }).pipe(
        Effect.provideService(ExecutionClient, client_),
        Effect.provideService(ScheduleStore, records),
        Effect.provideService(Clock.Clock, clock)
      )
  })

/** The engine every host starts executions in (of `fn`, a function named "job": `job` unless a test gives another). */
export const engine = (fn: DurableFunction = job) => engineOver(makeMemoryStore(), fn)

/** The same over a store the test holds (to delete an execution as retention does). */
export const engineOver = (store: ExecutionStoreShape, fn: DurableFunction = job) => Engine.layer({ functions: [fn] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store)))

/** A host whose starts die: it delivers `name` at `at`, saves the tick's start and never makes it (it died there). */
export const diedAfterSaving = (host: Effect.Success<ReturnType<typeof hostsOf>>, name: string, clock: VirtualClock, at: number) =>
  Effect.gen(function*() {
    const client = yield* ExecutionClient
    const a = yield* host({ ...client, start: () => Effect.die("host a died") })
    yield* a.start
    clock.setTime(at)
    yield* Effect.exit(a.alarm(name))
  })

/** The ids of the executions running, sorted. */
export const running = Effect.gen(function*() {
  const client = yield* ExecutionClient
  const listed = yield* client.list({ functionName: "job" })
  return listed.items.filter((item) => item.status === "RUNNING").map((item) => item.executionId).sort()
})

/**
 * A host made by `host` whose start, once armed, runs `meanwhile` right after it is made: what another host does while
 * this one is between making a start and saving its record.
 */
export const actsAfterStart = (host: Effect.Success<ReturnType<typeof hostsOf>>, meanwhile: Effect.Effect<void, unknown>) =>
  Effect.gen(function*() {
    const client = yield* ExecutionClient
    let armed = false
    const made = yield* host({
      ...client,
      start: (request) =>
        Effect.gen(function*() {
          const started = yield* client.start(request)
          if (armed) {
            armed = false
            yield* Effect.orDie(meanwhile)
          }
          return started
        })
    })
    return { host: made, arm: () => void (armed = true) }
  })

/**
 * `memory` as the store of a host that, once armed, runs `meanwhile` right after its next save of a start
 * (`starting`): what another host does between this one's save of a start and its making.
 */
export const actsAfterSavedStart = (memory: ScheduleStoreShape, meanwhile: Effect.Effect<void, unknown>) => {
  let armed = false
  const records: ScheduleStoreShape = {
    load: memory.load,
    save: (record) =>
      Effect.gen(function*() {
        const saved = yield* memory.save(record)
        if (saved && armed && record.starting !== undefined) {
          armed = false
          yield* Effect.orDie(meanwhile)
        }
        return saved
      })
  }
  return { records, arm: () => void (armed = true) }
}

/**
 * `memory` whose saves that hold no saved start (a trigger's settle, a delivery's record) fail while `down.now` is
 * set: a store that fails between a start's save and the record's.
 */
export const settlesFail = (memory: ScheduleStoreShape) => {
  const down = { now: false }
  const records: ScheduleStoreShape = {
    load: memory.load,
    save: (record) =>
      down.now && record.starting === undefined ? Effect.fail(new StoreFailure({ operation: "save", reason: "store down" })) : memory.save(record)
  }
  return { records, down }
}
