/**
 * The replay-aware logger: silent while its context replays operations that already ran, so each line is
 * written once across all invocations (unless `configureLogger({ modeAware: false })`).
 */
import { isError, readSafely, safeString } from "./error-text.ts"
import { errorsAsFields, errorSummary, formatMessage, jsonSafeFields } from "./log-format.ts"
/** AWS's levels are upper case ("INFO"); Reprise's were lower case: both are accepted. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "DEBUG" | "INFO" | "WARN" | "ERROR"

/** What a custom logger can ask at any moment: the execution and the operation whose code is logging (AWS's shape). */
export interface DurableLogData {
  requestId: string
  executionArn: string
  tenantId?: string
  operationId?: string
  operationName?: string
  attempt?: number
  [key: string]: unknown
}

/** Handed to a custom logger's `configureDurableLoggingContext`; call `getDurableLogData` when writing a record. */
export interface DurableLoggingContext {
  getDurableLogData: () => DurableLogData
}

export interface DurableLogger {
  log?(level: LogLevel, ...params: Array<any>): void
  debug(...params: Array<any>): void
  info(...params: Array<any>): void
  warn(...params: Array<any>): void
  error(...params: Array<any>): void
  /** Called before the logger is used (and again for each context), as AWS's SDK does. */
  configureDurableLoggingContext?(context: DurableLoggingContext): void
}

type Level = "debug" | "info" | "warn" | "error"
/** The lowest level the default logger writes ("none": it writes nothing). */
export type DefaultLoggerLevel = Level | "none"
const RANK: Record<DefaultLoggerLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, none: 4 }
const levelOf = (level: LogLevel): Level => {
  const lower = String(level).toLowerCase()
  return lower === "debug" || lower === "warn" || lower === "error" ? lower : "info"
}

export type DurableContextLogger = Required<Pick<DurableLogger, "log" | "debug" | "info" | "warn" | "error">>

export interface LoggerConfig {
  readonly customLogger?: DurableLogger
  /** Suppress logs during replay (default true). */
  readonly modeAware?: boolean
}

/**
 * The record as one JSON line, as AWS's default logger writes it (log-format.ts). What JSON cannot hold is written
 * as a marker: a loop in an object or a cause chain as "[Circular]", a BigInt as "12n". Logging must never fail the
 * execution.
 */
const jsonLine = (record: Record<string, unknown>, params: ReadonlyArray<unknown>): string => {
  const error = params.find(isError)
  // A lone value JSON leaves out (undefined, a symbol, a function) is written as console.log shows it.
  const message = params.length === 1 && !omittedByJson(params[0]) ? params[0] : formatMessage(params)
  // Beside the message, AWS's three fields of the first Error and its cause: its own fields (a `level`, an
  // `executionId`) never overwrite the line's.
  const beside = () => {
    if (error === undefined || params.length === 1) return {}
    const cause = readSafely(() => error.cause)
    return { ...errorSummary(error), ...(cause === undefined ? {} : { cause }) }
  }
  try {
    return JSON.stringify({ ...record, message, ...beside() }, errorsAsFields)
  } catch {
    // A cycle, a BigInt: the same fields, with those written as markers.
  }
  try {
    return JSON.stringify({ ...record, message, ...beside() }, jsonSafeFields())
  } catch {
    // A toJSON that throws: the message as text.
    return JSON.stringify({ ...record, message: typeof message === "string" ? message : safeString(message), ...(error === undefined ? {} : errorSummary(error)) })
  }
}

const omittedByJson = (value: unknown): boolean => value === undefined || typeof value === "symbol" || typeof value === "function"

/** Writes a line to the console: warnings and errors to stderr. */
const toConsole = (line: string, toStderr: boolean) => (toStderr ? console.error(line) : console.log(line))

/**
 * One JSON line per record at `lowest` or above (as AWS_LAMBDA_LOG_LEVEL filters AWS's); warnings and errors go to
 * stderr. `fields` gives the line's fields before the message, in their order, with its time and level.
 */
export const consoleJsonLogger = (
  fields: (timestamp: string, level: string) => Readonly<Record<string, unknown>>,
  now: () => number,
  lowest: DefaultLoggerLevel = "debug",
  out: (line: string, toStderr: boolean) => void = toConsole
): DurableLogger => {
  const write = (level: Level, params: ReadonlyArray<unknown>) => {
    if (RANK[level] < RANK[lowest]) return
    const line = jsonLine(fields(new Date(now()).toISOString(), level.toUpperCase()), params)
    out(line, level === "warn" || level === "error")
  }
  return {
    log: (level, ...p) => write(levelOf(level), p),
    debug: (...p) => write("debug", p),
    info: (...p) => write("info", p),
    warn: (...p) => write("warn", p),
    error: (...p) => write("error", p)
  }
}

/** Each level goes to the logger's own method, `log` to its `log` (or the level's method when it has none), as on AWS. */
export const makeContextLogger = (
  target: () => DurableLogger,
  silent: () => boolean
): DurableContextLogger => {
  const emit = (level: Level, params: Array<unknown>) => {
    if (!silent()) target()[level](...params)
  }
  return {
    log: (level, ...p) => {
      if (silent()) return
      const logger = target()
      if (logger.log !== undefined) logger.log(level, ...p)
      else logger[levelOf(level)](...p)
    },
    debug: (...p) => emit("debug", p),
    info: (...p) => emit("info", p),
    warn: (...p) => emit("warn", p),
    error: (...p) => emit("error", p)
  }
}
