/**
 * reprise/deno: Deno KV as the store (or a SQLite file, self-hosted), its queue as the alarm clock, and the HTTP API
 * on Deno.serve.
 */
export { serve } from "./serve.ts"
export type { Server, ServeOptions, SqliteServer } from "./serve.ts"
export type { SqliteFileStore } from "./sqlite-storage.ts"
export { layerDenoKvStore, makeDenoKvStore, openDenoKvStore } from "./kv-store.ts"
export type { AlarmEntry, DenoKvStore, DenoKvStoreOptions } from "./kv-store.ts"
export { kvPorts } from "./kv-ports.ts"
export { makeQueueWakeUps } from "./queue-wake-ups.ts"
export type { QueueWakeUps, QueueWakeUpsOptions, QueueWakeUpsStats } from "./queue-wake-ups.ts"
export { alarmMessage, isAlarmMessage, KV_LIMITS } from "./kv-keys.ts"
export type { AlarmMessage } from "./kv-keys.ts"
