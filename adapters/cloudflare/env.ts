/** The bindings the Reprise Worker expects (see wrangler.toml) and how its configuration is read from them. */
import { type CallbackIdCodec, plainCallbackIds } from "reprise/engine"
import { apiKeyRefusal, signedCallbackIds } from "reprise/http"
import type { DurableObjectNamespace } from "./cf-types.ts"
import type { ExecutionRpc } from "./execution-rpc.ts"
import type { IndexShard } from "./index-object.ts"
import type { FlowRpc } from "./flow-object.ts"
import type { ScheduleRpc } from "./schedule-object.ts"

export interface RepriseEnv {
  /** One object per execution, named by the execution id (class ExecutionObject). */
  readonly EXECUTIONS: DurableObjectNamespace<ExecutionRpc>
  /** The listing index shards (class IndexObject). */
  readonly EXECUTION_INDEX: DurableObjectNamespace<IndexShard>
  /** One object per schedule, named by the schedule (class ScheduleObject); needed only with schedules. */
  readonly SCHEDULES?: DurableObjectNamespace<ScheduleRpc>
  /** One object per function with flow control, named by the function (class FlowObject); needed only with limits. */
  readonly FLOW_CONTROL?: DurableObjectNamespace<FlowRpc>
  /** The API key the management routes require (a secret). Unset: no auth, for local development only. */
  readonly REPRISE_API_KEY?: string
  /** Signs console sessions with the API key (a secret): changing it logs every console session out. */
  readonly REPRISE_CONSOLE_SECRET?: string
  /** The key that signs callback ids (a secret). Unset: unsigned ids, for local development only. */
  readonly REPRISE_CALLBACK_SECRET?: string
  /** The executions' log lines (debug, info, warn, error, none; default info), as JSON on the console (Workers Logs). */
  readonly REPRISE_LOG_LEVEL?: string
}

const warned = new Set<string>()
const warnOnce = (message: string) => {
  if (warned.has(message)) return
  warned.add(message)
  console.warn(`reprise: ${message}`)
}

export const callbackIdsOf = (env: RepriseEnv): CallbackIdCodec => {
  const secret = env.REPRISE_CALLBACK_SECRET
  if (secret !== undefined && secret !== "") return signedCallbackIds(secret)
  warnOnce("REPRISE_CALLBACK_SECRET is not set: callback ids are not signed (local development only)")
  return plainCallbackIds
}

export const apiKeyOf = (env: RepriseEnv): string | undefined => {
  const key = env.REPRISE_API_KEY
  if (key !== undefined && key !== "") return key
  warnOnce("REPRISE_API_KEY is not set: the management API needs no key (local development only)")
  return undefined
}

/**
 * Why REPRISE_API_KEY cannot be used, or undefined. The app refuses a key no client could send as a Bearer token
 * (bearer-auth.ts) by throwing as it is built, which on a Worker was a bare 500 on every request; the Worker answers
 * this instead, and logs it.
 */
export const apiKeyError = (env: RepriseEnv): TypeError | undefined => {
  const key = env.REPRISE_API_KEY
  const refusal = key === undefined || key === "" ? undefined : apiKeyRefusal(key)
  return refusal === undefined
    ? undefined
    : new TypeError(`REPRISE_API_KEY ${refusal}, so that clients can send it as a Bearer token (e.g. openssl rand -base64 32)`)
}

/** Reads a configuration variable of the Worker (a `[vars]` entry or a secret), for the host's logger. */
export const envReader = (env: RepriseEnv) => (name: string): string | undefined => {
  const value = (env as unknown as Record<string, unknown>)[name]
  return typeof value === "string" ? value : undefined
}
