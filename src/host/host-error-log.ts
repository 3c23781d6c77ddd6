/**
 * Failures the host reports rather than returns (an alarm delivery, eviction, recovery, a schedule's background
 * work, an HTTP request that failed on the server's side) as lines of the host's log, in its format and at its
 * level: one JSON line with the error's `errorType`, `errorMessage` and `stackTrace` (the fields `ctx.logger` gives
 * an Error), or on a terminal the readable line with the error's stack below it. They were console.error's
 * multi-line dumps, which no JSON log reader takes.
 *
 * The reporters are plain functions, called outside the engine's fibers (the HTTP app's responder among them), so
 * each line is written by a run of its own with the host's logger and level.
 */
import { Cause, Effect, Logger, References } from "effect"
import { failureSummary } from "../context/log-format.ts"
import type { ErrorReporter } from "../http/engine-runner.ts"
import type { HostErrorReporter } from "./alarm-dispatcher.ts"
import { type HostLogOptions, resolveHostLogger } from "./host-logger.ts"
import type { EnvReader } from "./host-secrets.ts"

export interface HostErrorLog {
  /** Background work; the second argument is the execution it was for, or `@schedule:<name>` (host-schedules.ts). */
  readonly background: HostErrorReporter
  /** A request answered with a 500 (or a 503 from the server's side); its copy is redacted (src/http/redact.ts). */
  readonly request: ErrorReporter
  /** Any other failure an adapter reports (a call between Durable Objects that will be tried again, say). */
  readonly report: (message: string, error: unknown, annotations?: Record<string, string>) => void
  /** Something done about a fault, with no error to show (a slot given back that no execution held). */
  readonly warn: (message: string, annotations?: Record<string, string>) => void
}

const SCHEDULE = "@schedule:"

export const hostErrorLog = (options: HostLogOptions, env: EnvReader): HostErrorLog => {
  const { format, logger, minimumLevel } = resolveHostLogger(options, env)
  const run = (effect: Effect.Effect<void>) =>
    Effect.runSync(effect.pipe(
      Effect.provideService(Logger.CurrentLoggers, new Set([logger])),
      Effect.provideService(References.MinimumLogLevel, minimumLevel)
    ))
  const log = (message: string, error: unknown, annotations: Record<string, string>) => {
    const summary = failureSummary(error)
    const line = `${message}: ${summary.errorMessage}`
    // JSON: the error as fields. The terminal: its type, message and stack on the lines below, as the engine's
    // failures are shown there.
    run(format === "json"
      ? Effect.logError(line).pipe(Effect.annotateLogs({ ...annotations, ...summary }))
      : Effect.logError(line, Cause.fail(error)).pipe(Effect.annotateLogs(annotations)))
  }
  const warn = (message: string, annotations: Record<string, string> = {}) =>
    run(Effect.logWarning(message).pipe(Effect.annotateLogs(annotations)))
  return {
    report: (message, error, annotations = {}) => log(message, error, annotations),
    warn,
    background: (error, subject) => {
      if (subject === undefined) return log("the host's background work failed", error, {})
      if (subject.startsWith(SCHEDULE)) return log("a schedule's background work failed", error, { schedule: subject.slice(SCHEDULE.length) })
      log(`the alarm of execution ${subject} failed`, error, { executionId: subject })
    },
    request: (error, request) => {
      const path = new URL(request.url).pathname
      log(`${request.method} ${path} failed`, error, { method: request.method, path })
    }
  }
}
