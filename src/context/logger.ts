/**
 * The replay-aware logger: silent while its context replays operations that already ran, so each line is
 * written once across all invocations (unless `configureLogger({ modeAware: false })`).
 */
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

const render = (param: unknown): unknown =>
  param instanceof Error ? { errorType: param.name, errorMessage: param.message } : param

/** One JSON line per record; warnings and errors go to stderr. */
export const consoleJsonLogger = (data: () => LogData, now: () => number): DurableLogger => {
  const write = (level: LogLevel, params: Array<unknown>) => {
    const message = params.length === 1 ? render(params[0]) : params.map(render)
    const line = JSON.stringify({ timestamp: new Date(now()).toISOString(), level: level.toUpperCase(), ...data(), message })
    if (level === "warn" || level === "error") console.error(line)
    else console.log(line)
  }
  return {
    log: write,
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
