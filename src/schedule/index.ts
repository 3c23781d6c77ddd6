/** Schedules: cron starts of durable functions, run by the scheduler on a host's alarms or the test runner's time. */
export { schedule, ScheduleConfigError, OVERLAP_POLICIES, DEFAULT_CATCH_UP_MS, makeScheduleRegistry, tickExecutionId, triggerExecutionId } from "./schedule.ts"
export type { OverlapPolicy, Schedule, ScheduleOptions } from "./schedule.ts"
export { CronSyntaxError, nextTick, parseCron } from "./cron.ts"
export type { CronSpec } from "./cron.ts"
export { isKnownTimeZone } from "./time-zone.ts"
export { ScheduleClient, ScheduleContended, ScheduleNotFound } from "./schedule-client.ts"
export type { ScheduleClientShape, ScheduleFailure, ScheduleView, TriggerResult } from "./schedule-client.ts"
export {
  makeKeyValueScheduleStore,
  makeMemoryScheduleStore,
  RECENT_SKIPS,
  ScheduleRecord,
  ScheduleStore,
  SkippedTicks
} from "./schedule-store.ts"
export type { ScheduleKeyValue, ScheduleStoreShape, SkipReason } from "./schedule-store.ts"
export { makeScheduler, Scheduler } from "./scheduler.ts"
export type { SchedulerOptions, SchedulerShape } from "./scheduler.ts"
