/**
 * The host's logger: every Effect log line of the engine (executions' lives, store failures with their causes) as
 * one line each, readable in a terminal, or JSON lines when the output is not a terminal or when asked
 * (`logFormat`, else $REPRISE_LOG_FORMAT). The level is `logLevel`, else $REPRISE_LOG_LEVEL, else info; a level
 * chosen so is also the lowest the default `ctx.logger` writes.
 */
import { Layer, Logger, type LogLevel, References } from "effect"
import type { DefaultLoggerLevel } from "../context/logger.ts"
import { LifecycleLogs, UserLogLevel } from "../engine/index.ts"
import { atPlace } from "../engine/lifecycle-log.ts"
import { oneLine } from "../log/terminal-text.ts"
import type { EnvReader } from "./host-secrets.ts"

export type LogFormat = "pretty" | "json"
/** The same levels as the default `ctx.logger`'s, which a chosen host level also rules. */
export type HostLogLevel = DefaultLoggerLevel

export interface HostLogOptions {
  readonly format?: LogFormat | undefined
  readonly level?: HostLogLevel | undefined
  /** Whether the output is a terminal (then the default format is pretty, with colours). */
  readonly terminal?: boolean | undefined
  /** Where lines go (default: console.error, so that a program's stdout stays its own). */
  readonly write?: ((line: string) => void) | undefined
}

const LEVELS: Record<HostLogLevel, LogLevel.LogLevel> = { debug: "Debug", info: "Info", warn: "Warn", error: "Error", none: "None" }
const COLOURS: Record<string, string> = { DEBUG: "\x1b[90m", INFO: "\x1b[36m", WARN: "\x1b[33m", ERROR: "\x1b[31m", FATAL: "\x1b[31m" }
/** Annotations shown first in the terminal, in this order. */
const KEYS = ["functionName", "executionId", "operationId"] as const

/**
 * A failure's fields on a lifecycle line (lifecycle-log.ts): its type and message are in the message already, so a
 * terminal shows only its causes, each under the line with the place it was thrown.
 */
const ERROR_KEYS = new Set(["errorType", "errorMessage", "errorData", "stackTrace", "causes"])

const causeLines = (annotations: Readonly<Record<string, unknown>>): string => {
  const causes = annotations["causes"]
  if (!Array.isArray(causes)) return ""
  return causes.map((cause: { errorType?: unknown; errorMessage?: unknown; stackTrace?: ReadonlyArray<unknown> }) => {
    const frame = cause.stackTrace?.[0]
    return `\n  caused by ${oneLine(`${String(cause.errorType)}: ${String(cause.errorMessage)}${atPlace(typeof frame === "string" ? frame : undefined)}`)}`
  }).join("")
}

/**
 * The format and level, from the options, else the environment, else the defaults (pretty on a terminal, info).
 * An environment value that means nothing is reported in `ignored` rather than stopping the server.
 */
export const resolveLogOptions = (
  options: HostLogOptions,
  env: EnvReader
): { format: LogFormat; level: HostLogLevel; userLevel: HostLogLevel; ignored: Array<string> } => {
  const ignored: Array<string> = []
  const fromEnv = <T extends string>(name: string, allowed: ReadonlyArray<T>): T | undefined => {
    const value = env(name)
    if (value === undefined || value === "") return undefined
    if ((allowed as ReadonlyArray<string>).includes(value.toLowerCase())) return value.toLowerCase() as T
    ignored.push(`${name}=${JSON.stringify(value)} is not one of ${allowed.join(", ")}; ignored`)
    return undefined
  }
  const format = options.format ?? fromEnv("REPRISE_LOG_FORMAT", ["pretty", "json"] as const) ?? (options.terminal === true ? "pretty" : "json")
  const chosen = options.level ?? fromEnv("REPRISE_LOG_LEVEL", Object.keys(LEVELS) as Array<HostLogLevel>)
  return { format, level: chosen ?? "info", userLevel: chosen ?? lambdaLogLevel(env("AWS_LAMBDA_LOG_LEVEL")), ignored }
}

/**
 * The default `ctx.logger`'s lowest level when no level is chosen: Lambda's log level (AWS_LAMBDA_LOG_LEVEL, which
 * AWS's default logger reads), else debug, as on AWS. A chosen level (option, $REPRISE_LOG_LEVEL) rules both logs.
 */
export const lambdaLogLevel = (value: string | undefined): HostLogLevel => {
  const level = value?.toLowerCase()
  return level === "info" || level === "warn" || level === "error" ? level : level === "fatal" ? "error" : "debug"
}

const text = (message: unknown): string =>
  Array.isArray(message) ? message.map(text).join(" ") : typeof message === "string" ? message : JSON.stringify(message)

type LoggerOptions = Parameters<Parameters<typeof Logger.make>[0]>[0]
type Entry = Pick<ReturnType<typeof Logger.formatStructured.log>, "timestamp" | "level" | "annotations" | "message" | "cause">

const isPlain = (value: unknown) => typeof value === "string" || typeof value === "number" || typeof value === "boolean"

/**
 * What a line shows of a log entry. The engine's lifecycle lines (a message, string annotations, no cause: two per
 * execution) are read directly; `Logger.formatStructured` (which also converts spans, the fiber id, every value)
 * was ~3% of the server's CPU per execution in issue 13's W2. Anything else goes through it.
 */
const entryOf = (options: LoggerOptions): Entry => {
  const message = Array.isArray(options.message) && options.message.length === 1 ? options.message[0] : options.message
  if (typeof message === "string" && options.cause.reasons.length === 0) {
    const annotations = options.fiber.getRef(References.CurrentLogAnnotations)
    let plain = true
    for (const key in annotations) plain &&= isPlain(annotations[key])
    if (plain) return { timestamp: options.date.toISOString(), level: options.logLevel.toUpperCase(), annotations, message, cause: undefined }
  }
  return Logger.formatStructured.log(options)
}

/** A logger that renders each entry as one line (plus the cause's lines, in the terminal) and writes it. */
export const hostLogger = (format: LogFormat, write: (line: string) => void, colours: boolean) =>
  Logger.make((options) => {
    const entry = entryOf(options)
    const annotations = entry.annotations
    if (format === "json") {
      write(JSON.stringify({
        time: entry.timestamp,
        level: entry.level.toLowerCase(),
        ...annotations,
        message: text(entry.message),
        ...(entry.cause === undefined ? {} : { cause: entry.cause })
      }))
      return
    }
    const level = entry.level.padEnd(5)
    const shown = KEYS.filter((key) => annotations[key] !== undefined).map((key) => key === "operationId" ? `op ${String(annotations[key])}` : String(annotations[key]))
    const others = Object.entries(annotations).filter(([key]) => !(KEYS as ReadonlyArray<string>).includes(key) && !ERROR_KEYS.has(key)).map(([k, v]) => `${k}=${text(v)}`)
    // What executions wrote (an error's message, a name) is shown with its control characters escaped: it cannot
    // drive the terminal or forge a line of the log's own. The line breaks of the cause's text are the log's.
    const head = `${entry.timestamp} ${colours ? `${COLOURS[entry.level] ?? ""}${level}\x1b[0m` : level} ${oneLine([...shown, ...others].join(" "))}`
    const cause = entry.cause === undefined ? "" : `\n  ${entry.cause.split("\n").map(oneLine).join("\n  ")}`
    write(`${head}  ${oneLine(text(entry.message))}${causeLines(annotations)}${cause}`)
  })

/**
 * The logger the options and the environment choose, and the lowest level it writes: what the host's layer installs,
 * and what its lines written outside the engine's fibers go through (host-error-log.ts).
 */
export const resolveHostLogger = (options: HostLogOptions, env: EnvReader) => {
  const resolved = resolveLogOptions(options, env)
  const write = options.write ?? ((line: string) => console.error(line))
  const logger = hostLogger(resolved.format, write, resolved.format === "pretty" && options.terminal === true)
  return { ...resolved, write, logger, minimumLevel: LEVELS[resolved.level] }
}

/** The host's logging: its logger in place of the default, the level, and the engine's lifecycle lines on. */
export const hostLoggingLayer = (options: HostLogOptions, env: EnvReader): Layer.Layer<never> => {
  const { format, level, userLevel, ignored, write, logger, minimumLevel } = resolveHostLogger(options, env)
  for (const message of ignored) write(format === "json" ? JSON.stringify({ level: "warn", message }) : `reprise: ${message}`)
  return Layer.mergeAll(
    Logger.layer([logger]),
    Layer.succeed(References.MinimumLogLevel, minimumLevel),
    Layer.succeed(LifecycleLogs, level !== "none"),
    Layer.succeed(UserLogLevel, userLevel)
  )
}
