/** reprise/host: the runtime-neutral host (start-up recovery, alarm delivery, idle eviction, keys, shutdown) and its ports. */
export { HostRecovery, hostLayer, startHost } from "./host.ts"
export { RECOVERY_BATCH, recover } from "./recovery.ts"
export type { RecoveryOptions, RecoveryReport } from "./recovery.ts"
export type { Host, HostOptions, HostPorts } from "./host.ts"
export {
  AlarmDispatcher,
  defaultAlarmBackoff,
  defaultHostErrorReporter,
  DispatcherClosed,
  makeAlarmDispatcher
} from "./alarm-dispatcher.ts"
export type { AlarmDispatcherOptions, AlarmDispatcherShape, AlarmDispatcherStats, HostErrorReporter } from "./alarm-dispatcher.ts"
export { AlarmStore } from "./alarm-store.ts"
export type { AlarmEntry, AlarmStoreShape, UnwatchedPage } from "./alarm-store.ts"
export { HostMetadata } from "./host-metadata.ts"
export type { HostMetadataShape } from "./host-metadata.ts"
export { WakeUpSource } from "./wake-up-source.ts"
export { hostLogger, hostLoggingLayer, resolveLogOptions } from "./host-logger.ts"
export { hostErrorLog } from "./host-error-log.ts"
export type { HostErrorLog } from "./host-error-log.ts"
export type { HostLogLevel, HostLogOptions, LogFormat } from "./host-logger.ts"
export type { WakeUpSourceShape } from "./wake-up-source.ts"
export { resolveApiKey, resolveSecret, SECRET_METADATA_KEY } from "./host-secrets.ts"
export { DEFAULT_PORT, resolvePort, serverUrl, SHUTDOWN_GRACE_MS } from "./host-port.ts"
export type { EnvReader } from "./host-secrets.ts"
export { makeTimerWakeUps, MAX_TIMER_MS, watchAlarms } from "./timer-wake-ups.ts"
export type { NextAlarm, TimerWakeUps } from "./timer-wake-ups.ts"
export { memoryPorts } from "./memory-ports.ts"
export { pendingFetch } from "./pending-fetch.ts"
export type { PendingFetch } from "./pending-fetch.ts"
export { makeKeyValueScheduleStore, makeMemoryScheduleStore, ScheduleStore } from "../schedule/schedule-store.ts"
export type { ScheduleKeyValue, ScheduleStoreShape } from "../schedule/schedule-store.ts"
export { ScheduleClient, ScheduleContended, ScheduleNotFound } from "../schedule/schedule-client.ts"
export type { ScheduleClientShape, ScheduleView, TriggerResult } from "../schedule/schedule-client.ts"
export { makeScheduler, Scheduler } from "../schedule/scheduler.ts"
export type { SchedulerShape } from "../schedule/scheduler.ts"
export { makeScheduleRegistry } from "../schedule/schedule.ts"
