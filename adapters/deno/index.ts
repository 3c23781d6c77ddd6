/** reprise/deno: Deno KV as the store, its queue as the alarm clock, and the HTTP API on Deno.serve. */
export { serve } from "./serve.ts"
export type { Server, ServeOptions } from "./serve.ts"
export { layerDenoKvStore, makeDenoKvStore, openDenoKvStore } from "./kv-store.ts"
export type { AlarmEntry, DenoKvStore, DenoKvStoreOptions } from "./kv-store.ts"
export { AlarmQueue, makeAlarmQueue } from "./alarm-queue.ts"
export type { AlarmQueueOptions, AlarmQueueStats } from "./alarm-queue.ts"
export { alarmMessage, isAlarmMessage, KV_LIMITS } from "./kv-keys.ts"
export type { AlarmMessage } from "./kv-keys.ts"
