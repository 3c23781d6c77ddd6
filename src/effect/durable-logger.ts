/**
 * Effect's own logging (`Effect.log`, `Effect.logWarning`, …) in a durable function, through the execution's
 * replay-aware logger: a line is written once, not again by each replay, and as the default `ctx.logger` writes
 * (JSON, `executionId`, a step's `operationId` and `attempt`, the host's level), rather than by Effect's console
 * logger, which wrote every line again on every replay and named no execution.
 */
import { Cause, type Context, Logger, type LogLevel } from "effect"
import type { DurableContextLogger } from "../context/logger.ts"

const levelOf = (level: LogLevel.LogLevel): "debug" | "info" | "warn" | "error" => {
  switch (level) {
    case "Fatal":
    case "Error":
      return "error"
    case "Warn":
      return "warn"
    case "Info":
      return "info"
    default:
      return "debug"
  }
}

/**
 * A logger that writes each line through the durable logger `loggerOf` finds in the logging fiber's services (a
 * step's, else its context's); where it finds none (code outside a durable function) through Effect's default.
 */
export const durableLogger = (loggerOf: (services: Context.Context<never>) => DurableContextLogger | undefined): Logger.Logger<unknown, void> =>
  Logger.make((options) => {
    const target = loggerOf(options.fiber.context)
    if (target === undefined) return Logger.defaultLogger.log(options)
    const params: Array<unknown> = Array.isArray(options.message) ? [...options.message] : [options.message]
    // The failure a line was logged with (`Effect.logError(cause)`, `Effect.tapCause`) goes with it, as an Error.
    if (options.cause.reasons.length > 0) params.push(Cause.squash(options.cause))
    target[levelOf(options.logLevel)](...params)
  })
