/** The Schema of every request body and query string the API accepts. */
import { Effect, Schema, SchemaTransformation } from "effect"
import { endsLikeScheduledId } from "../schedule/schedule.ts"
import type { ExecutionStatus } from "../log/fold.ts"
import { HttpProblem } from "./problem.ts"

const bounded = (max: number) => Schema.String.check(Schema.isMaxLength(max))

/**
 * An execution id chosen by the client (`executionName` or the `Idempotency-Key` header): 1 to 128 letters,
 * digits, '.', '_', ':' or '-', starting with a letter or digit (the rule for function names), so that it is
 * safe in a URL path and in every store's keys.
 */
export const ExecutionName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/u, {
    expected: "1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
  }),
  // Ids the engine makes must not be taken first by a client: `<parent>:invoke:<operation>` (a ctx.invoke child),
  // `<schedule>:<ISO time>` and `<schedule>:trigger:<ISO time>` (a schedule's tick or trigger: taken, it is skipped).
  Schema.makeFilter((name: string) => !name.includes(":invoke:") || "Expected a name without ':invoke:' (the ids of invoked children)"),
  Schema.makeFilter((name: string) => !endsLikeScheduledId(name) || "Expected a name not ending in ':' and an ISO time (the ids of schedule ticks)")
)

/** A plain decimal in a query string (no sign, exponent, hex or blanks), then bounded as a number. */
const decimalQuery = (pattern: RegExp, expected: string, check: Schema.Finite) =>
  Schema.String.check(Schema.isPattern(pattern, { expected })).pipe(Schema.decodeTo(check, SchemaTransformation.numberFromString))

const pageLimit = decimalQuery(
  /^\d{1,4}$/u,
  "an integer from 1 to 1000",
  Schema.Finite.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))
)

export const StartBody = Schema.Struct({
  /** Any JSON value; stored serialised. Absent means no input. */
  input: Schema.optionalKey(Schema.Unknown),
  executionName: Schema.optionalKey(ExecutionName),
  /** Where the start goes in its function's queue under flow control: an integer from -1000 to 1000, higher first. */
  priority: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: -1000, maximum: 1000 })))
})

/** `?operations=true` asks for the operations in an execution answer (by default it carries only their counts). */
const withOperations = Schema.optionalKey(Schema.Literals(["true", "false"]))

export const ExecutionQuery = Schema.Struct({ operations: withOperations })

export const StartQuery = Schema.Struct({
  operations: withOperations,
  /** Seconds to wait for the execution to end before answering: 0 to 60, fractions allowed. */
  wait: Schema.optionalKey(
    decimalQuery(/^\d{1,2}(?:\.\d{1,3})?$/u, "seconds from 0 to 60", Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 60 })))
  )
})

export const HistoryQuery = Schema.Struct({
  /** The `nextCursor` of the previous page: the seq of the last event it held. */
  cursor: Schema.optionalKey(decimalQuery(/^\d{1,15}$/u, "the nextCursor of a previous page", Schema.Finite)),
  limit: Schema.optionalKey(pageLimit)
})

/**
 * ISO 8601 with a date and a time, in UTC (`Z`) or with an offset (the CLI checks its options with it too). Up to 9
 * fractional digits (Python's `isoformat()` writes 6), read to the millisecond; a date alone is refused (whose day?).
 */
export const INSTANT_PATTERN = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d:\d\d)$/u

/** Whether the date's day exists in its month (Date.parse reads 2026-02-30 as 2 March). */
const realDay = (text: string): boolean => {
  const [year, month, day] = text.slice(0, 10).split("-").map(Number) as [number, number, number]
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day
}

/** Whether an INSTANT_PATTERN text is a time that exists (the CLI checks its options with it, as this does). */
export const isRealInstant = (text: string): boolean => Number.isFinite(Date.parse(text)) && realDay(text)

/** A time in a query string: an INSTANT_PATTERN that is a real time; decoded to epoch ms. */
const instantQuery = Schema.String.check(
  Schema.isPattern(INSTANT_PATTERN, {
    expected: "an ISO 8601 time such as 2026-05-01T12:00:00Z"
  }),
  Schema.makeFilter((text: string) => isRealInstant(text) || "Expected a real date and time")
).pipe(Schema.decodeTo(Schema.Finite, SchemaTransformation.transform({ decode: (text: string) => Date.parse(text), encode: (ms: number) => new Date(ms).toISOString() })))

export const OperationsQuery = Schema.Struct({
  /** The `nextCursor` of the previous page: how many operations came before this page. */
  cursor: Schema.optionalKey(decimalQuery(/^\d{1,9}$/u, "the nextCursor of a previous page", Schema.Finite)),
  limit: Schema.optionalKey(pageLimit)
})

const STATUSES = "QUEUED|RUNNING|PAUSED|SUCCEEDED|FAILED|TIMED_OUT|STOPPED|CONTINUED_AS_NEW"

/** One status or several, comma-separated (as `GET /v1/events` takes them). */
const statusList = Schema.String.check(Schema.isPattern(new RegExp(`^(${STATUSES})(,(${STATUSES}))*$`, "u"), {
  expected: "QUEUED, RUNNING, PAUSED, SUCCEEDED, FAILED, TIMED_OUT, STOPPED or CONTINUED_AS_NEW, comma-separated"
}))

/** The statuses a `statusList` names, each once. */
export const statusesOf = (list: string): Array<ExecutionStatus> => [...new Set(list.split(","))] as Array<ExecutionStatus>

export const ListQuery = Schema.Struct({
  function: Schema.optionalKey(bounded(128).check(Schema.isMinLength(1))),
  /** Executions in any of these statuses. */
  status: Schema.optionalKey(statusList),
  version: Schema.optionalKey(bounded(128).check(Schema.isMinLength(1))),
  /** Started at or after this time. */
  startedAfter: Schema.optionalKey(instantQuery),
  /** Started before this time. */
  startedBefore: Schema.optionalKey(instantQuery),
  /** Ended at or after this time (one still running never matches); a page may then hold fewer than `limit` rows. */
  endedAfter: Schema.optionalKey(instantQuery),
  /** Ended before this time (one still running never matches). */
  endedBefore: Schema.optionalKey(instantQuery),
  /** Text the input's JSON contains (ignoring case); a page may then hold fewer than `limit` rows, with a cursor. */
  input: Schema.optionalKey(bounded(200).check(Schema.isMinLength(1))),
  limit: Schema.optionalKey(pageLimit),
  /** The `nextCursor` of the previous page: `<startedAt>.<executionId>` (store/execution-summary.ts), visible ASCII. */
  cursor: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^\d{1,16}\.[!-~]{1,495}$/u, { expected: "the nextCursor of a previous page" }))
  )
}).check(
  // An empty range is a mistake (the two swapped, most likely), not a search that found nothing; `reprise list` says so too.
  Schema.makeFilter((query: { readonly startedAfter?: number; readonly startedBefore?: number }) =>
    query.startedAfter === undefined || query.startedBefore === undefined || query.startedAfter < query.startedBefore ||
    "Expected startedAfter earlier than startedBefore (startedAfter is inclusive, startedBefore exclusive: nothing starts in between)"
  ),
  Schema.makeFilter((query: { readonly endedAfter?: number; readonly endedBefore?: number }) =>
    query.endedAfter === undefined || query.endedBefore === undefined || query.endedAfter < query.endedBefore ||
    "Expected endedAfter earlier than endedBefore (endedAfter is inclusive, endedBefore exclusive: nothing ends in between)"
  )
)

const errorFields = {
  errorType: Schema.optionalKey(bounded(256).check(Schema.isMinLength(1))),
  errorMessage: Schema.String,
  errorData: Schema.optionalKey(Schema.String)
}

export const StopBody = Schema.Struct({
  /**
   * Recorded as the execution's error; `errorType` defaults to "Stopped". Its message may not be blank (it recorded
   * "Stopped: "): leave `error` out to stop without a reason.
   */
  error: Schema.optionalKey(Schema.Struct({
    ...errorFields,
    errorMessage: Schema.String.check(Schema.makeFilter((message: string) =>
      message.trim() !== "" || "Expected a reason that is not blank (leave error out to stop without one)"
    ))
  })),
  /** Whether the running children its `ctx.invoke` started are stopped too (default true). */
  children: Schema.optionalKey(Schema.Boolean)
})

/** An operation id as the log writes it: "3", or "3-1" inside operation 3 (the engine says which it accepts). */
const OperationIdField = Schema.String.check(
  Schema.isPattern(/^[1-9]\d{0,8}(?:-[1-9]\d{0,8}){0,31}$/u, { expected: "an operation id such as \"3\"" })
)

export const ForkBody = Schema.Struct({
  /** The top-level operation the fork runs again from: the copy holds the operations before it. */
  fromOperation: OperationIdField,
  /** The fork's input (any JSON value); absent: the source's. */
  input: Schema.optionalKey(Schema.Unknown)
})

export const RewindBody = Schema.Struct({
  /** The top-level operation the execution runs again from. */
  fromOperation: OperationIdField
})

export const CallbackSuccessBody = Schema.Struct({
  /**
   * Any JSON value. A string is the raw string the callback's promise resolves with; any other value reaches it as
   * its JSON text. Absent means undefined.
   */
  result: Schema.optionalKey(Schema.Unknown)
})

/**
 * A body's JSON value as text, for the engine: it goes on as a payload string (flat across a Worker's RPC to its
 * Durable Object, whose serializer a deeply nested value overflows). A value too deep to write is a 400.
 */
export const jsonText = (value: unknown, what: string): Effect.Effect<string, HttpProblem> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(JSON.stringify(value))
    } catch (error) {
      return Effect.fail(new HttpProblem({ kind: "invalid-request", detail: `The ${what} is not serialisable as JSON: ${(error as Error).message}` }))
    }
  })

/** The raw payload a callback is completed with, from `CallbackSuccessBody.result`. */
export const callbackPayload = (result: unknown): Effect.Effect<string | undefined, HttpProblem> =>
  result === undefined ? Effect.succeed(undefined) : typeof result === "string" ? Effect.succeed(result) : jsonText(result, "result")

/**
 * `errorType` defaults to "Error" and `errorMessage` to "Callback failed": AWS's SendDurableExecutionCallbackFailure
 * takes no error at all (its SDK then throws CallbackExternalError "Callback failed"), so `{}` or no body fails it too.
 */
export const CallbackFailureBody = Schema.Struct({ ...errorFields, errorMessage: Schema.optionalKey(Schema.String) })

/**
 * `{}` and nothing else (`Schema.Struct({})` would accept any value). A key is refused in the words every other
 * body uses for an unknown field (Never alone reads "Expected never").
 */
export const EmptyBody = Schema.Record(Schema.String, Schema.Never.annotate({ message: "Expected no excess property" }))

export const EventsQuery = Schema.Struct({
  /** The seq of the last event already seen (the `Last-Event-ID` header, when sent, wins). */
  cursor: Schema.optionalKey(decimalQuery(/^\d{1,15}$/u, "the seq of the last event seen", Schema.Finite)),
  /** How long the stream may stay open, in seconds: 1 to the server's maximum (it closes then; reconnect to go on). */
  maxSeconds: Schema.optionalKey(decimalQuery(/^\d{1,5}$/u, "whole seconds from 1 to 99999 (the server stops at its own maximum)", Schema.Finite.check(Schema.isGreaterThanOrEqualTo(1))))
})

/** `GET /v1/events`: which executions' lifecycle changes to stream. */
export const LifecycleQuery = Schema.Struct({
  function: Schema.optionalKey(bounded(128).check(Schema.isMinLength(1))),
  /** One status or several, comma-separated: only changes into them (RUNNING covers starts and resumes). */
  status: Schema.optionalKey(statusList),
  maxSeconds: EventsQuery.fields.maxSeconds
})
