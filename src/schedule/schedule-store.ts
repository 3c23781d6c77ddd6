/**
 * What a schedule keeps durably: its record (the next tick not yet handled, which is its alarm; paused; the last
 * execution it started; a start buffered behind it; the ticks it skipped), through the ScheduleStore port.
 */
import { Context, Effect, Schema } from "effect"
import { StoreFailure } from "../store/store-errors.ts"

/** Why ticks were skipped; "refused": the function refused the tick's start (its input, a rate limit, gone). */
export const SkipReason = Schema.Literals(["catch-up", "overlap", "paused", "refused"])
export type SkipReason = typeof SkipReason.Type

/** A run of ticks skipped for one reason. */
export const SkippedTicks = Schema.Struct({
  reason: SkipReason,
  firstTickAt: Schema.Number,
  lastTickAt: Schema.Number,
  count: Schema.Number
})
export type SkippedTicks = typeof SkippedTicks.Type

export const ScheduleRecord = Schema.Struct({
  name: Schema.String,
  /** The cron and zone the next tick was computed for: a redeploy that changes them starts afresh. */
  spec: Schema.String,
  /** The first tick not handled yet: the schedule's durable alarm (absent: the cron matches no later date). */
  nextTickAt: Schema.optionalKey(Schema.Number),
  paused: Schema.Boolean,
  /** The latest execution this schedule started (the one an overlap policy looks at). */
  lastExecutionId: Schema.optionalKey(Schema.String),
  lastTickAt: Schema.optionalKey(Schema.Number),
  /** buffer-one: the start waiting for the previous execution to end. */
  buffered: Schema.optionalKey(Schema.Struct({ tickAt: Schema.Number, executionId: Schema.String })),
  started: Schema.Number,
  skipped: Schema.Number,
  /** The latest runs of skipped ticks, newest last (at most RECENT_SKIPS). */
  recentSkips: Schema.Array(SkippedTicks)
})
export type ScheduleRecord = typeof ScheduleRecord.Type

export const RECENT_SKIPS = 20

export interface ScheduleStoreShape {
  load(name: string): Effect.Effect<ScheduleRecord | undefined, StoreFailure>
  save(record: ScheduleRecord): Effect.Effect<void, StoreFailure>
}

export class ScheduleStore extends Context.Service<ScheduleStore, ScheduleStoreShape>()("reprise/schedule/ScheduleStore") {}

const codec = Schema.fromJsonString(ScheduleRecord)
const decode = Schema.decodeUnknownEffect(codec)
const encode = Schema.encodeEffect(codec)

/**
 * A ScheduleStore over any string key-value space (SQLite's meta table, Deno KV's config keys, a Map): the record
 * is JSON, checked by its Schema when read and written. `key` namespaces the records.
 */
export const makeKeyValueScheduleStore = (kv: {
  readonly get: (key: string) => Effect.Effect<string | undefined, StoreFailure>
  readonly set: (key: string, value: string) => Effect.Effect<void, StoreFailure>
}): ScheduleStoreShape => {
  const key = (name: string) => `schedule:${name}`
  return {
    load: (name) =>
      Effect.flatMap(kv.get(key(name)), (text) =>
        text === undefined
          ? Effect.succeed(undefined)
          : decode(text).pipe(Effect.mapError((error) => new StoreFailure({ operation: "loadSchedule", reason: `the record of schedule ${name} does not decode: ${error.message}` })))),
    save: (record) =>
      encode(record).pipe(
        Effect.mapError((error) => new StoreFailure({ operation: "saveSchedule", reason: error.message })),
        Effect.flatMap((text) => kv.set(key(record.name), text))
      )
  }
}

/** The in-memory ScheduleStore (the test runner, tests). */
export const makeMemoryScheduleStore = (): ScheduleStoreShape => {
  const map = new Map<string, string>()
  return makeKeyValueScheduleStore({
    get: (key) => Effect.sync(() => map.get(key)),
    set: (key, value) => Effect.sync(() => void map.set(key, value))
  })
}
