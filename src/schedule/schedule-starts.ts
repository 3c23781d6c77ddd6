/**
 * What the scheduler asks of the executions: whether one runs or exists (or a buffered start has nothing ahead of
 * it), a tick's (or trigger's) start, and the stops of cancel-previous.
 */
import { Effect } from "effect"
import { firstRunId } from "../engine/continue-as-new.ts"
import type { ExecutionNotFound } from "../engine/engine-errors.ts"
import type { ExecutionClientShape, ExecutionView, ReadFailure } from "../engine/execution-client.ts"
import { isLiveStatus, LIVE_STATUSES } from "../engine/execution-view.ts"
import type { Schedule } from "./schedule.ts"
import { isStarting } from "./schedule-record.ts"
import type { ScheduleRecord } from "./schedule-store.ts"

/** The most runs of one chain followed (`continuedAs`); a longer chain is seen as its run there. */
const MAX_CHAIN_RUNS = 10_000

/** Chains whose latest run is remembered (the oldest is forgotten past it: a bound, not a cache to tune). */
const MAX_KNOWN_CHAINS = 1_000

/** The most pages of a function's live executions read to find a chain's run whose first run is gone. */
const MAX_LIVE_PAGES = 20

/**
 * `functionOf`: the function a schedule's execution id belongs to (its schedule's), for finding the live run of a
 * chain whose first run retention deleted.
 */
export const scheduleStarts = (client: ExecutionClientShape, functionOf: (executionId: string) => string | undefined = () => undefined) => {
  /** A chain's first run (the one a record names) to its latest run found. */
  const latestRuns = new Map<string, string>()
  const rememberRun = (first: string, latest: string) => {
    latestRuns.delete(first)
    latestRuns.set(first, latest)
    if (latestRuns.size > MAX_KNOWN_CHAINS) latestRuns.delete(latestRuns.keys().next().value!)
  }

  /**
   * The live run of a chain whose first run is gone. Retention deletes a run that continued as new (14 days after it
   * did, by default) while its chain may go on; the chain's runs are `<first>~n`, so the function's live executions
   * are looked through for one (at most MAX_LIVE_PAGES pages: a function with more live executions than that is
   * read as ended). A listing that fails fails the delivery, which is tried again, as a failed read does.
   */
  const liveRunOf = (first: string) =>
    Effect.gen(function*() {
      const functionName = functionOf(first)
      if (functionName === undefined) return undefined
      // Not narrowed to runs started since the tick: the tick's time is the scheduler's clock, a run's start time the
      // engine's, and the two differ under a test clock (and by any skew between hosts).
      let cursor: string | undefined
      for (let page = 0; page < MAX_LIVE_PAGES; page++) {
        const listed = yield* client.list({ functionName, statuses: LIVE_STATUSES, limit: 1_000, ...(cursor === undefined ? {} : { cursor }) })
        const found = listed.items.find((item) => firstRunId(item.executionId) === first) // `<first>~n`, not its children
        if (found !== undefined || listed.cursor === undefined) return found?.executionId
        cursor = listed.cursor
      }
      return undefined
    })

  /** `read` of the run `executionId` names, or of its chain's live run when that run is gone (liveRunOf). */
  const orLiveRun = (first: string, executionId: string, read: (executionId: string) => Effect.Effect<ExecutionView, ReadFailure>) =>
    read(executionId).pipe(Effect.catchTag("ExecutionNotFound", (gone: ExecutionNotFound) =>
      Effect.flatMap(liveRunOf(first), (live) => (live === undefined ? Effect.fail(gone) : read(live)))))

  /**
   * The chain's current run: an execution that continued as new goes on in the run `continuedAs` names, under another
   * id (the record names the first): seen as ended, a second chain ran beside it under skip.
   */
  const currentRun = (executionId: string) =>
    Effect.gen(function*() {
      // From the run last found (chains only move on): a chain that continued many times costs a read per tick, not
      // one per run. Kept in memory only: another host, or this one restarted, walks the chain once.
      const known = latestRuns.get(executionId)
      let view = yield* orLiveRun(executionId, known ?? executionId, client.describe)
      for (let runs = 1; runs < MAX_CHAIN_RUNS && view.status === "CONTINUED_AS_NEW" && view.continuedAs !== undefined; runs++) {
        view = yield* client.describe(view.continuedAs)
      }
      if (view.executionId !== executionId && view.executionId !== known) rememberRun(executionId, view.executionId)
      return view
    })

  /**
   * Not ended: running, or queued behind a flow limit, or paused (each still "the previous execution"), in its chain's
   * current run.
   */
  const isRunning = (executionId: string | undefined) =>
    executionId === undefined
      ? Effect.succeed(false)
      : currentRun(executionId).pipe(
        Effect.map((view) => isLiveStatus(view.status)),
        Effect.catchTag("ExecutionNotFound", () => Effect.succeed(false))
      )

  /**
   * buffer-one: waits until the chain ends, not the run named (one that continued as new has ended, its chain not).
   * A client that answers a run still going after a time limit (the Worker's, after a minute) is asked again: the
   * watcher that ended there left the buffered start to the next tick (it cannot watch again from within itself).
   */
  const awaitChainEnd = (executionId: string) =>
    Effect.gen(function*() {
      let view = yield* orLiveRun(executionId, executionId, client.awaitEnd)
      for (let asks = 1; asks < MAX_CHAIN_RUNS; asks++) {
        if (view.status === "CONTINUED_AS_NEW" && view.continuedAs !== undefined) view = yield* client.awaitEnd(view.continuedAs)
        else if (isLiveStatus(view.status)) view = yield* client.awaitEnd(view.executionId)
        else break
      }
      return view
    })

  const exists = (executionId: string) =>
    client.describe(executionId).pipe(Effect.as(true), Effect.catchTag("ExecutionNotFound", () => Effect.succeed(false)))

  /**
   * Starts the execution of a tick (or trigger) and counts it, also when it was there already: another host that
   * delivered the same tick from the same record started it, and both save the same count (counting only a start
   * made here, the host that lost the race saved its count unchanged last, and `started` stayed 0 with two hosts).
   */
  const startExecution = (entry: Schedule, record: ScheduleRecord, executionId: string, tickAt: number) =>
    Effect.gen(function*() {
      const started = yield* client.start({
        functionName: entry.functionName,
        executionId,
        ...(entry.inputPayload === undefined ? {} : { inputPayload: entry.inputPayload })
      }).pipe(
        // A debounced start collapses into the execution already waiting: that one is the tick's.
        Effect.map((result) => result.executionId),
        // The id was taken with another input (the schedule's input changed since): that tick ran.
        Effect.catchTag("ExecutionAlreadyExists", () => Effect.succeed(executionId))
      )
      return { ...record, lastExecutionId: started, lastTickAt: tickAt, started: record.started + 1 } satisfies ScheduleRecord
    })

  /** buffer-one: a buffered start with nothing ahead of it, running or being started. */
  const bufferIdle = (record: ScheduleRecord, now: number) =>
    !record.paused && record.buffered !== undefined && !isStarting(record, now)
      ? Effect.map(
        Effect.all([isRunning(record.lastExecutionId), isRunning(record.starting?.executionId)]),
        ([last, starting]) => !last && !starting
      )
      : Effect.succeed(false)

  /**
   * Stops the chain's current run; one that continued as new between the read and the stop (refused: not running)
   * is followed to its next run, a few times at most.
   */
  const stopChain = (executionId: string, error: { readonly errorType: string; readonly errorMessage: string }) =>
    Effect.gen(function*() {
      for (let tries = 1; tries <= 3; tries++) {
        const run = yield* currentRun(executionId)
        const stopped = yield* Effect.result(client.stop(run.executionId, error))
        if (stopped._tag === "Success") return
        const moved = stopped.failure._tag === "ExecutionNotRunning" && (yield* client.describe(run.executionId)).status === "CONTINUED_AS_NEW"
        if (!moved || tries === 3) return yield* Effect.fail(stopped.failure)
      }
    })

  /**
   * cancel-previous: stops the executions ahead of a start (the previous one; a start saved before this one, which
   * may not be made yet: then its host stops it, see overtakenTrigger). One not there, or ended, is passed. A chain
   * is stopped in its current run (a client whose stop does not follow `continuedAs`, the Worker's, passed it).
   */
  const stopAll = (entry: Schedule, executionIds: ReadonlyArray<string | undefined>, why: string) =>
    Effect.forEach(
      new Set(executionIds.filter((id): id is string => id !== undefined)),
      (id) =>
        stopChain(id, { errorType: "ScheduleOverlap", errorMessage: `Stopped by schedule ${entry.name}: ${why}` }).pipe(
          Effect.catchTags({ ExecutionNotRunning: () => Effect.void, ExecutionNotFound: () => Effect.void })
        ),
      { discard: true }
    )

  return { awaitChainEnd, bufferIdle, isRunning, exists, startExecution, stopAll }
}
