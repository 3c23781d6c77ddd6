/**
 * Checks for the store conformance kit (./conformance.ts): expect-style assertions that fail with a readable
 * CheckFailed error, and store helpers shared by the checks. Runtime-neutral: only effect and src/.
 */
import { Data, Effect, Predicate, Result } from "effect"
import type { LogEvent } from "../log/events.ts"
import { freshId, startedLog, t } from "./conformance-events.ts"
import type { ExecutionStoreShape } from "./execution-store.ts"
import type { ExecutionSummary, ListQuery } from "./execution-summary.ts"

/** A failed conformance check. */
export class CheckFailed extends Data.TaggedError("CheckFailed")<{ readonly message: string }> {}

/** Fails with CheckFailed(message) unless `condition` holds. */
export const check = (condition: boolean, message: string): Effect.Effect<void, CheckFailed> =>
  condition ? Effect.void : Effect.fail(new CheckFailed({ message }))

/** JSON with object keys sorted, so that structurally equal values print identically. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    Predicate.isObject(v) ?
      Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) :
      v) ?? "undefined"

const clip = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text)

/** Deep equality of JSON-like values (key order ignored). */
export const checkEqual = (actual: unknown, expected: unknown, what: string): Effect.Effect<void, CheckFailed> =>
  Effect.suspend(() => {
    const a = canonical(actual)
    const e = canonical(expected)
    if (a === e) return Effect.void
    if (Array.isArray(actual) && Array.isArray(expected)) {
      const length = Math.max(actual.length, expected.length)
      let i = 0
      while (i < length && canonical(actual[i]) === canonical(expected[i])) i++
      const at = `at index ${i} (of ${expected.length} expected, ${actual.length} found)`
      return Effect.fail(
        new CheckFailed({ message: `${what}: differs ${at}: expected ${clip(canonical(expected[i]))}, got ${clip(canonical(actual[i]))}` })
      )
    }
    return Effect.fail(new CheckFailed({ message: `${what}: expected ${clip(e)}, got ${clip(a)}` }))
  })

/** Runs `effect`, which must fail with an error tagged `tag`; returns that error. */
export const checkFailsWith = <Tag extends string, A, E>(
  effect: Effect.Effect<A, E>,
  tag: Tag,
  what: string
): Effect.Effect<Extract<E, { readonly _tag: Tag }>, CheckFailed> =>
  Effect.flatMap(Effect.result(effect), (result) => {
    if (Result.isSuccess(result)) {
      return Effect.fail(new CheckFailed({ message: `${what}: expected a ${tag} failure, but it succeeded` }))
    }
    const error: unknown = result.failure
    const found = Predicate.hasProperty(error, "_tag") ? String(error._tag) : String(error)
    return found === tag ?
      Effect.succeed(error as Extract<E, { readonly _tag: Tag }>) :
      Effect.fail(new CheckFailed({ message: `${what}: expected a ${tag} failure, got ${found}: ${String(error)}` }))
  })

export type Store = ExecutionStoreShape

/** Creates an execution whose log is `length` events long; returns its id and events. */
export const create = Effect.fnUntraced(function*(
  store: Store,
  label: string,
  options: { readonly functionName?: string; readonly at?: number; readonly length?: number } = {}
) {
  const id = freshId(label)
  const events = startedLog(id, { functionName: options.functionName ?? `fn-${id}`, at: options.at ?? t(0), length: options.length ?? 1 })
  yield* store.append(id, events, 0)
  return { id, events }
})

export const checkLog = Effect.fnUntraced(function*(store: Store, id: string, expected: ReadonlyArray<LogEvent> | undefined, what: string) {
  const log = yield* store.load(id)
  if (expected === undefined) return yield* checkEqual(log, undefined, `${what}: load(${id})`)
  yield* check(log !== undefined, `${what}: load(${id}) returned undefined, expected ${expected.length} events`)
  yield* checkEqual(log?.seq, expected.length, `${what}: seq of ${id}`)
  yield* checkEqual(log?.events, expected, `${what}: events of ${id}`)
})

/**
 * Appends and checks what the append returns: the events as written, which are the given ones (the kit's events
 * carry no field for a backend to fill in), left unmodified, and what a load returns next.
 */
export const appendChecked = Effect.fnUntraced(function*(
  store: Store,
  id: string,
  events: ReadonlyArray<LogEvent>,
  expectedSeq: number,
  what: string
) {
  const given = canonical(events)
  const written = yield* store.append(id, events, expectedSeq)
  yield* checkEqual(canonical(events), given, `${what}: the events given to append (a store must not modify them)`)
  yield* checkEqual(written, events, `${what}: the events append returned`)
  const log = yield* store.load(id)
  yield* checkEqual(log?.events.slice(expectedSeq), written, `${what}: the events load returns after those append returned`)
  return written
})

export const checkConflict = Effect.fnUntraced(function*(
  store: Store,
  id: string,
  events: ReadonlyArray<LogEvent>,
  expectedSeq: number,
  actualSeq: number
) {
  const what = `append(${id}) at expectedSeq ${expectedSeq} over a log at seq ${actualSeq}`
  const error = yield* checkFailsWith(store.append(id, events, expectedSeq), "SeqConflict", what)
  yield* checkEqual(
    { executionId: error.executionId, expectedSeq: error.expectedSeq, actualSeq: error.actualSeq },
    { executionId: id, expectedSeq, actualSeq },
    `${what}: the SeqConflict`
  )
})

/** Every row of a listing, page by page; checks page sizes and that the cursor ends. */
export const listAll = Effect.fnUntraced(function*(store: Store, query: ListQuery) {
  const rows: Array<ExecutionSummary> = []
  let cursor: string | undefined
  for (let page = 0;; page++) {
    yield* check(page <= 100_000, `listing ${JSON.stringify(query)} never ends`)
    const result = yield* store.list(cursor === undefined ? query : { ...query, cursor })
    if (query.limit !== undefined) {
      yield* check(result.items.length <= query.limit, `a page of ${JSON.stringify(query)} has ${result.items.length} rows`)
    }
    rows.push(...result.items)
    if (result.cursor === undefined) return rows
    yield* check(result.items.length > 0, `an empty page of ${JSON.stringify(query)} carries a cursor`)
    cursor = result.cursor
  }
})

/** The fields of a summary the port defines, for comparison. */
export const summaryFields = (s: ExecutionSummary | undefined) =>
  s === undefined ? undefined : {
    executionId: s.executionId,
    functionName: s.functionName,
    status: s.status,
    startedAt: s.startedAt,
    ...(s.endedAt === undefined ? {} : { endedAt: s.endedAt })
  }

export const ids = (rows: ReadonlyArray<ExecutionSummary>) => rows.map((r) => r.executionId)

/** The listing order: newest first, ties by id. */
export const inListingOrder = (rows: ReadonlyArray<{ readonly id: string; readonly at: number }>) =>
  [...rows].sort((a, b) => b.at - a.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r) => r.id)

/** Races appends at the same expectedSeq; exactly one may win and the log must hold its events only. */
export const race = Effect.fnUntraced(function*(
  store: Store,
  id: string,
  base: ReadonlyArray<LogEvent>,
  batches: ReadonlyArray<ReadonlyArray<LogEvent>>
) {
  const appends = batches.map((batch) => Effect.result(store.append(id, batch, base.length)))
  const results = yield* Effect.all(appends, { concurrency: "unbounded" })
  const winners = results.flatMap((r, i) => (Result.isSuccess(r) ? [i] : []))
  yield* check(winners.length === 1, `${batches.length} appends at seq ${base.length}: ${winners.length} succeeded, expected exactly 1`)
  const winner = winners[0]!
  const won = results[winner]!
  if (Result.isSuccess(won)) yield* checkEqual(won.success, batches[winner], "the events the winning append returned")
  for (const r of results) {
    if (Result.isFailure(r)) {
      const tag = Predicate.hasProperty(r.failure, "_tag") ? String(r.failure._tag) : String(r.failure)
      yield* check(tag === "SeqConflict", `a losing append failed with ${tag}, not SeqConflict`)
    }
  }
  const expected = [...base, ...batches[winner]!]
  yield* checkLog(store, id, expected, "after the race")
  return expected
})
