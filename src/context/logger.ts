/**
 * The replay-aware logger: silent while its context replays operations that already ran, so each line is
 * written once across all invocations (unless `configureLogger({ modeAware: false })`).
 */
import { Formatter } from "effect"
export type LogLevel = "debug" | "info" | "warn" | "error"

export interface DurableLogger {
  log?(level: LogLevel, ...params: Array<unknown>): void
  debug(...params: Array<unknown>): void
  info(...params: Array<unknown>): void
  warn(...params: Array<unknown>): void
  error(...params: Array<unknown>): void
}

export type DurableContextLogger = Required<Pick<DurableLogger, "log" | "debug" | "info" | "warn" | "error">>

export interface LoggerConfig {
  readonly customLogger?: DurableLogger
  /** Suppress logs during replay (default true). */
  readonly modeAware?: boolean
}

export interface LogData {
  readonly executionId: string
  readonly operationId?: string
  readonly operationName?: string
  readonly attempt?: number
}

/** Errors become their type and message, at any depth (JSON.stringify would write `{}`). */
const errorsAsObjects = (_key: string, value: unknown): unknown =>
  value instanceof Error ? { errorType: value.name, errorMessage: value.message } : value

/**
 * The record as one JSON line. A message JSON cannot hold (a circular object, a BigInt) is written as Effect's
 * formatter renders it, `[Circular]` included: logging must never fail the execution.
 */
const jsonLine = (record: Record<string, unknown>, params: ReadonlyArray<unknown>): string => {
  const message = params.length === 1 ? params[0] : params
  try {
    return JSON.stringify({ ...record, message }, errorsAsObjects)
  } catch {
    const shown = params.map((p) => (typeof p === "string" ? p : Formatter.format(p instanceof Error ? errorsAsObjects("", p) : p)))
    return JSON.stringify({ ...record, message: shown.length === 1 ? shown[0] : shown })
  }
}

/** One JSON line per record; warnings and errors go to stderr. */
export const consoleJsonLogger = (data: () => LogData, now: () => number): DurableLogger => {
  const write = (level: LogLevel, params: ReadonlyArray<unknown>) => {
    const line = jsonLine({ timestamp: new Date(now()).toISOString(), level: level.toUpperCase(), ...data() }, params)
    if (level === "warn" || level === "error") console.error(line)
    else console.log(line)
  }
  return {
    log: (level, ...p) => write(level, p),
    debug: (...p) => write("debug", p),
    info: (...p) => write("info", p),
    warn: (...p) => write("warn", p),
    error: (...p) => write("error", p)
  }
}

export const makeContextLogger = (
  target: () => DurableLogger,
  silent: () => boolean
): DurableContextLogger => {
  const emit = (level: LogLevel, params: Array<unknown>) => {
    if (silent()) return
    const logger = target()
    if (logger.log !== undefined) logger.log(level, ...params)
    else logger[level](...params)
  }
  return {
    log: (level, ...p) => emit(level, p),
    debug: (...p) => emit("debug", p),
    info: (...p) => emit("info", p),
    warn: (...p) => emit("warn", p),
    error: (...p) => emit("error", p)
  }
}
