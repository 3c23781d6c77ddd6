/**
 * Where the Worker and its Durable Objects write their own failures (a call between objects to be tried again, a
 * schedule's tick, an alarm): lines of the host's log, as on every runtime (src/host/host-error-log.ts). JSON on the
 * console by default, as the executions' lives are, so Workers Logs keeps each as an object with its `errorType`,
 * `errorMessage` and `stackTrace`, at createWorker's `logging` level. They were console.error's dumps.
 */
import { type EnvReader, type HostErrorLog, hostErrorLog, type HostLogOptions } from "reprise/host"

export type ObjectLog = Pick<HostErrorLog, "report" | "warn">

export const objectLog = (logging: HostLogOptions | undefined, env: EnvReader): ObjectLog =>
  hostErrorLog({ format: "json", write: (line) => console.log(line), ...logging }, env)
