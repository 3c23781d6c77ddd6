/**
 * An Effect Schedule as a step's retry strategy (`Durable.step(name, body, { schedule })`). The engine asks the
 * strategy after each failed attempt, with that attempt's number and error, and keeps nothing else between attempts
 * (the next may run in another process, after a replay): so the schedule is run from its start for one recurrence
 * per failure so far, each given this failure as its input, its clock moved on by the delays it chose (an attempt's
 * own run time is not counted). Where it ends (`Schedule.recurs`, `Schedule.while`), the step fails for good. Its
 * delays are whole seconds, at least one, as every retry's (AWS's service counts them so).
 */
import { Cause, Duration, Effect, Exit, Pull, Schedule } from "effect"
import { type RetryStrategy, toDelay } from "../context/retry.ts"

export const scheduleRetry = <E>(schedule: Schedule.Schedule<unknown, E, never, never>): RetryStrategy => (error, attempt) => {
  const delayAfter = Effect.gen(function*() {
    const step = yield* Schedule.toStep(schedule)
    let now = 0
    let delay = Duration.zero
    for (let recurrence = 1; recurrence <= attempt; recurrence++) {
      ;[, delay] = yield* step(now, error as E)
      now += Duration.toMillis(delay)
    }
    return delay
  })
  const exit = Effect.runSyncExit(delayAfter)
  if (Exit.isSuccess(exit)) return { shouldRetry: true, delay: toDelay(Duration.toMillis(exit.value)) }
  if (Pull.isDoneCause(exit.cause)) return { shouldRetry: false }
  throw Cause.squash(exit.cause) // the schedule itself failed or needs what runs asynchronously: the engine reports it
}
