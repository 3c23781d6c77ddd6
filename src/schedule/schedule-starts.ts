/**
 * What the scheduler asks of the executions: whether one runs or exists (or a buffered start has nothing ahead of
 * it), a tick's (or trigger's) start, and the stops of cancel-previous.
 */
import { Effect } from "effect"
import type { ExecutionClientShape } from "../engine/execution-client.ts"
import { isLiveStatus } from "../engine/execution-view.ts"
import type { Schedule } from "./schedule.ts"
import { isStarting } from "./schedule-record.ts"
import type { ScheduleRecord } from "./schedule-store.ts"

export const scheduleStarts = (client: ExecutionClientShape) => {
  /** Not ended: running, or queued behind a flow limit, or paused (each still "the previous execution"). */
  const isRunning = (executionId: string | undefined) =>
    executionId === undefined
      ? Effect.succeed(false)
      : client.describe(executionId).pipe(
        Effect.map((view) => isLiveStatus(view.status)),
        Effect.catchTag("ExecutionNotFound", () => Effect.succeed(false))
      )

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
   * cancel-previous: stops the executions ahead of a start (the previous one; a start saved before this one, which
   * may not be made yet: then its host stops it, see overtakenTrigger). One not there, or ended, is passed.
   */
  const stopAll = (entry: Schedule, executionIds: ReadonlyArray<string | undefined>, why: string) =>
    Effect.forEach(
      new Set(executionIds.filter((id): id is string => id !== undefined)),
      (id) =>
        client.stop(id, { errorType: "ScheduleOverlap", errorMessage: `Stopped by schedule ${entry.name}: ${why}` }).pipe(
          Effect.catchTags({ ExecutionNotRunning: () => Effect.void, ExecutionNotFound: () => Effect.void })
        ),
      { discard: true }
    )

  return { bufferIdle, isRunning, exists, startExecution, stopAll }
}
