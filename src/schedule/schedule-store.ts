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
  recentSkips: Schema.Array(SkippedTicks),
  /**
   * A start (a trigger's, a tick's but under allow, a buffered start's release), saved before it is made so that a
   * trigger on another host sees it (its execution does not exist yet); cleared once the start is made or refused.
   * Under cancel-previous a start saved over another's overtakes it: that one is stopped (scheduler.ts).
   */
  starting: Schema.optionalKey(Schema.Struct({ executionId: Schema.String, at: Schema.Number })),
  /** Bumped by every save, which succeeds only over the version read (several hosts); absent before it was kept: 0. */
  version: Schema.optionalKey(Schema.Number)
})
export type ScheduleRecord = typeof ScheduleRecord.Type

export const RECENT_SKIPS = 20

/** The version a record was read at (records saved before versions were kept have none). */
export const versionOf = (record: ScheduleRecord): number => record.version ?? 0

export interface ScheduleStoreShape {
  load(name: string): Effect.Effect<ScheduleRecord | undefined, StoreFailure>
  /**
   * Saves the record at the next version if the stored one is still at `record`'s version (absent: version 0).
   * False when another writer saved meanwhile: nothing was written.
   */
  save(record: ScheduleRecord): Effect.Effect<boolean, StoreFailure>
}

export class ScheduleStore extends Context.Service<ScheduleStore, ScheduleStoreShape>()("reprise/schedule/ScheduleStore") {}

const codec = Schema.fromJsonString(ScheduleRecord)
const decode = Schema.decodeUnknownEffect(codec)
const encode = Schema.encodeEffect(codec)

/** A string key-value space with a compare-and-set on the value's text. */
export interface ScheduleKeyValue {
  readonly get: (key: string) => Effect.Effect<string | undefined, StoreFailure>
  /** Writes `value` only if the key holds exactly `expected` now (undefined: holds nothing); true when written. */
  readonly swap: (key: string, expected: string | undefined, value: string) => Effect.Effect<boolean, StoreFailure>
}

/**
 * A ScheduleStore over any string key-value space (SQLite's meta table, Deno KV's config keys, a Map): the record
 * is JSON, checked by its Schema when read and written. `key` namespaces the records. A save reads the stored
 * text, checks its version, then swaps over that exact text: the version is in the text, so a save in between
 * makes the swap fail (no ABA).
 */
export const makeKeyValueScheduleStore = (kv: ScheduleKeyValue): ScheduleStoreShape => {
  const key = (name: string) => `schedule:${name}`
  const read = (name: string, text: string) =>
    decode(text).pipe(Effect.mapError((error) => new StoreFailure({ operation: "loadSchedule", reason: `the record of schedule ${name} does not decode: ${error.message}` })))
  return {
    load: (name) => Effect.flatMap(kv.get(key(name)), (text) => (text === undefined ? Effect.succeed(undefined) : read(name, text))),
    save: (record) =>
      Effect.gen(function*() {
        const expected = versionOf(record)
        const stored = yield* kv.get(key(record.name))
        const storedVersion = stored === undefined ? 0 : versionOf(yield* read(record.name, stored))
        if (storedVersion !== expected) return false
        const text = yield* encode({ ...record, version: expected + 1 }).pipe(
          Effect.mapError((error) => new StoreFailure({ operation: "saveSchedule", reason: error.message }))
        )
        return yield* kv.swap(key(record.name), stored, text)
      })
  }
}

/** A Map as a ScheduleKeyValue (its swap is atomic: synchronous). */
export const mapScheduleKeyValue = (map: Map<string, string>): ScheduleKeyValue => ({
  get: (key) => Effect.sync(() => map.get(key)),
  swap: (key, expected, value) =>
    Effect.sync(() => {
      if (map.get(key) !== expected) return false
      map.set(key, value)
      return true
    })
})

/** The in-memory ScheduleStore (the test runner, tests). */
export const makeMemoryScheduleStore = (): ScheduleStoreShape => makeKeyValueScheduleStore(mapScheduleKeyValue(new Map()))
