/**
 * Fork and rewind (design.md §3): run an execution again from one of its top-level operations, in a new execution
 * whose log is a copy of the source's up to it (fork), or in the same one after it failed, timed out or was
 * stopped (rewind: an ExecutionRewound event, which the fold reads as "forget that operation and every later one").
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { type ExecutionState, foldLog, keptBefore } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import { positionOf, topLevelId } from "../log/operation-id.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import { WATCHDOG_MS } from "./actor-alarm.ts"
import { ExecutionNotFound, ExecutionNotRewindable, FunctionNotFound, InvalidRequest } from "./engine-errors.ts"
import type { ForkRequest, StartResult } from "./execution-client.ts"
import { shownStatus } from "./execution-view.ts"
import type { DurableFunction } from "./registry.ts"
import { checkedInput } from "./start-request.ts"

export interface ForkRewindDeps {
  readonly store: ExecutionStoreShape
  readonly registry: ReadonlyMap<string, DurableFunction>
  readonly maxPayloadBytes: number
  readonly now: (executionId: string) => number
  readonly newExecutionId: () => string
  /** Drops the execution's actor from memory (a rewind replaces what it knows). */
  readonly evict: (executionId: string) => Effect.Effect<void>
  /** Takes the execution for this host before writing it (several hosts on one store: ownership.ts). */
  readonly own: (executionId: string) => Effect.Effect<void, StoreFailure>
  /** Loads the execution from the store and runs it. */
  readonly wake: (executionId: string) => Effect.Effect<unknown, LogCorrupted | StoreFailure>
  /**
   * Tells the engine's listeners (the execution's watchers, the lifecycle feed, the observer) of events written
   * here, as an actor's writes are told: a fork's start, a rewind (back into RUNNING).
   */
  readonly written: (state: ExecutionState, events: ReadonlyArray<LogEvent>) => void
}

/** The statuses a rewind accepts. */
const REWINDABLE = new Set(["FAILED", "TIMED_OUT", "STOPPED"])

/** The id of an execution's first top-level operation (ids are positions). */
const FIRST_OPERATION = "1"

/** `fromOperation` must name a top-level operation that the log records, or the first of one that records none. */
const checkFrom = (state: ExecutionState, fromOperation: unknown) => {
  if (typeof fromOperation !== "string" || fromOperation.length === 0) {
    return Effect.fail(new InvalidRequest({ reason: "fromOperation must be the id of a top-level operation, such as \"3\"" }))
  }
  const op = state.operations.get(fromOperation)
  // One that ended before its first operation (its handler threw at once, or it was stopped while queued) has none to
  // name: "1", its first, runs it again from the start, keeping nothing.
  if (op === undefined && fromOperation === FIRST_OPERATION && state.operations.size === 0) return Effect.succeed(positionOf(fromOperation))
  if (op === undefined) {
    const none = state.operations.size === 0 ? ` (it records none: from "${FIRST_OPERATION}" runs it again from its start)` : ""
    return Effect.fail(new InvalidRequest({ reason: `Execution ${JSON.stringify(state.executionId)} records no operation ${JSON.stringify(fromOperation)}${none}` }))
  }
  if (op.parentId !== undefined) {
    return Effect.fail(new InvalidRequest({
      reason: `Operation ${JSON.stringify(fromOperation)} is inside operation ${JSON.stringify(op.parentId)}: only a top-level operation can be run again from`
    }))
  }
  return Effect.succeed(positionOf(fromOperation))
}

/**
 * The events of the operations the log holds now (a rewind drops those it forgets) and their patch markers, in
 * log order: what a fork copies, before cutting at its own operation.
 */
export const currentOperationEvents = (events: ReadonlyArray<LogEvent>): Array<LogEvent> => {
  let kept: Array<LogEvent> = []
  for (const event of events) {
    if (event._tag === "ExecutionRewound") {
      const position = positionOf(event.fromOperation)
      kept = kept.filter((e) => keptBefore(e, position))
    } else if ("subType" in event || event._tag === "PatchMarked") {
      kept.push(event)
    }
  }
  return kept
}

/** The duration of the execution's timeout, as its function gave it at the start. */
const timeoutMsOf = (first: LogEvent) => (first._tag === "ExecutionStarted" ? first.timeoutAt - first.at : 0)

/**
 * The log of a fork of `source` (a whole log) as execution `id`, started at `now`: a fresh ExecutionStarted
 * (`forkedFrom`, the source's input or the request's, the function's timeout from now, no parent, the `version` label
 * of the function registered where the fork is made: its code runs the fork) and the events of
 * the source's current operations before top-level operation `request.fromOperation`, renumbered. Refused when that
 * operation is not recorded at the top level, or an operation before it still waits on a callback or a child (both
 * belong to the source). Pure, so that a Worker can build it from the history it reads.
 */
export const forkedLog = (
  source: ReadonlyArray<LogEvent>,
  request: ForkRequest,
  id: string,
  now: number,
  maxPayloadBytes: number,
  version: string | undefined
): Effect.Effect<Array<LogEvent>, InvalidRequest> =>
  Effect.gen(function*() {
    const state = foldLog(source)
    const position = yield* checkFrom(state, request.fromOperation)
    for (const op of state.operations.values()) {
      const waits = (op.type === "CALLBACK" || op.type === "CHAINED_INVOKE") && op.status === "STARTED"
      if (waits && positionOf(topLevelId(op.id)) < position) {
        return yield* new InvalidRequest({
          // Its callback id or child belongs to the source, so the copy could never complete it (nor could a stopped source).
          reason: `Operation ${JSON.stringify(op.id)} (${op.type === "CALLBACK" ? "a callback" : "an invoke"}) has no outcome in the source ${state.endedAt === undefined ? "(it still waits)" : "(it ended before one came)"}: fork from it or an earlier operation`
        })
      }
    }
    const given = request.inputPayload !== undefined || request.input !== undefined
    const input = given ? yield* checkedInput(request as ForkRequest & { functionName: string }, maxPayloadBytes) : state.input
    const first = source[0]!
    if (first._tag !== "ExecutionStarted") return yield* Effect.die(new Error("unreachable: a log starts with ExecutionStarted"))
    // Not the source's queue either: a fork runs at once (docs/flow-control.md), and one that began queued folded to
    // QUEUED with nothing to admit it, for ever.
    const { parent: _parent, continuedFrom: _continued, forkedFrom: _forked, input: _input, queue: _queue, version: _version, ...rest } = first
    const started: LogEvent = {
      ...rest,
      ...(version === undefined ? {} : { version }),
      seq: 1,
      at: now,
      executionId: id,
      ...(input === undefined ? {} : { input }),
      timeoutAt: now + timeoutMsOf(first),
      forkedFrom: { executionId: first.executionId, operationId: request.fromOperation }
    }
    const copied = currentOperationEvents(source).filter((event) => keptBefore(event, position))
    return [started, ...copied.map((event, i) => ({ ...event, seq: i + 2 }))]
  })

/** The watchdog a fork's log is written with (as a start's): it resumes the fork should the process die. */
export const forkAlarm = (events: ReadonlyArray<LogEvent>): number => {
  const first = events[0]!
  return first._tag === "ExecutionStarted" ? Math.min(first.at + WATCHDOG_MS, first.timeoutAt) : first.at + WATCHDOG_MS
}

export const makeForkRewind = (deps: ForkRewindDeps) => {
  const loaded = (executionId: string) =>
    Effect.gen(function*() {
      const log = yield* deps.store.load(executionId)
      if (log === undefined) return yield* new ExecutionNotFound({ executionId })
      return { log, state: foldLog(log.events) }
    })

  const registered = (functionName: string) => {
    const fn = deps.registry.get(functionName)
    return fn === undefined ? Effect.fail(new FunctionNotFound({ functionName })) : Effect.succeed(fn)
  }

  const fork = (executionId: string, request: ForkRequest) =>
    Effect.gen(function*() {
      const { log, state } = yield* loaded(executionId)
      const fn = yield* registered(state.functionName)
      const id = deps.newExecutionId()
      const now = deps.now(id)
      const events = yield* forkedLog(log.events, request, id, now, deps.maxPayloadBytes, fn.options.version)
      yield* deps.own(id)
      yield* deps.store.append(id, events, 0, { alarmAt: forkAlarm(events) }).pipe(
        Effect.catchTag("SeqConflict", () => Effect.die(new Error(`A fresh execution id ${id} was already taken`)))
      )
      // Its start, once: the operations copied from the source ran there and were told there.
      deps.written(foldLog(events), events.slice(0, 1))
      yield* deps.wake(id)
      return { executionId: id, created: true } satisfies StartResult
    })

  /** A fork's log built elsewhere (a Worker, from the source's history) becomes this engine's execution and runs. */
  const adopt = (executionId: string, events: ReadonlyArray<LogEvent>) =>
    Effect.gen(function*() {
      const first = events[0]
      if (first?._tag !== "ExecutionStarted" || first.executionId !== executionId) {
        return yield* new InvalidRequest({ reason: `A log to adopt as ${JSON.stringify(executionId)} must start with its ExecutionStarted` })
      }
      yield* registered(first.functionName)
      yield* deps.own(executionId)
      yield* deps.store.append(executionId, events, 0, { alarmAt: forkAlarm(events) })
      deps.written(foldLog(events), events.slice(0, 1))
      yield* deps.wake(executionId)
    })

  const rewind = (executionId: string, request: ForkRequest) =>
    Effect.gen(function*() {
      if (request.input !== undefined || request.inputPayload !== undefined) {
        return yield* new InvalidRequest({ reason: "A rewind keeps the execution's input; fork it to run with another" })
      }
      for (let attempt = 0; ; attempt++) {
        const { log, state } = yield* loaded(executionId)
        if (!REWINDABLE.has(state.status)) return yield* new ExecutionNotRewindable({ executionId, status: shownStatus(state) })
        yield* checkFrom(state, request.fromOperation)
        const fn = yield* registered(state.functionName)
        const now = deps.now(executionId)
        const timeoutAt = now + timeoutMsOf(log.events[0]!)
        yield* deps.evict(executionId)
        yield* deps.own(executionId)
        // The code registered here runs the execution from now on: its label replaces the start's (none clears it).
        const version = fn.options.version
        const rewound: LogEvent = {
          _tag: "ExecutionRewound",
          seq: log.seq + 1,
          at: now,
          fromOperation: request.fromOperation,
          timeoutAt,
          ...(version === undefined ? {} : { version })
        }
        const written = yield* Effect.result(deps.store.append(executionId, [rewound], log.seq, { alarmAt: Math.min(now + WATCHDOG_MS, timeoutAt) }))
        if (written._tag === "Success") {
          deps.written(foldLog([...log.events, rewound]), [rewound])
          return yield* Effect.asVoid(deps.wake(executionId))
        }
        // Another writer moved the log between the read and the write (another rewind): read it again.
        const failure = written.failure
        if (failure._tag !== "SeqConflict") return yield* Effect.fail(failure)
        if (attempt >= 2) return yield* Effect.die(failure)
      }
    })

  return { fork, rewind, adopt }
}
