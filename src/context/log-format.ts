/**
 * How the default logger renders what it is given, as AWS's default logger does (Lambda's console rules): one
 * argument is the message as it is, an Error as its type, message and stack; several arguments are one string
 * built by `util.format`'s rules (`%s`, `%d`, `%j`…), with the first Error's type, message and stack beside it.
 * Written here rather than taken from node:util: the core runs on every runtime.
 */
import { Formatter } from "effect"
import { bounded, isError, isInstance, MAX_MESSAGE_CHARS, readSafely, safeString } from "./error-text.ts"
import { RecordedError } from "./errors.ts"

/**
 * AWS's three fields of an Error: its class, message and stack, line by line (a getter that throws reads as empty).
 * A failure read back from the log (a RecordedError) is of the type recorded, as it was when thrown.
 */
export const errorSummary = (error: Error): { errorType: string; errorMessage: string; stackTrace: Array<string> } => {
  const type = readSafely(() => isInstance(error, RecordedError) ? error.name : (error.constructor?.name || error.name))
  const message = readSafely(() => error.message)
  const stack = readSafely(() => error.stack)
  return {
    errorType: typeof type === "string" ? type : "Error",
    errorMessage: typeof message === "string" ? message : "",
    stackTrace: typeof stack === "string" ? stack.split("\n") : []
  }
}

/**
 * `errorSummary` of any thrown value: a value that is no Error has no stack, its type is its `_tag` (a tagged error)
 * or its typeof, and its message the value as text.
 */
export const failureSummary = (value: unknown): ReturnType<typeof errorSummary> => {
  if (isError(value)) return errorSummary(value)
  const tag = readSafely(() => (value as { _tag?: unknown } | null | undefined)?._tag)
  const message = typeof value === "string" ? value : safeString(value)
  return { errorType: typeof tag === "string" ? tag : typeof value, errorMessage: bounded(message, MAX_MESSAGE_CHARS), stackTrace: [] }
}

/** An Error as JSON: AWS's fields, the error's own enumerable ones (a `code`), and its cause (which AWS drops). */
export const errorFields = (error: Error): Record<string, unknown> => {
  const cause = readSafely(() => error.cause)
  return {
    ...errorSummary(error),
    ...(readSafely(() => ({ ...error })) as Record<string, unknown> | undefined),
    ...(cause === undefined ? {} : { cause })
  }
}

/** JSON.stringify's replacer: Errors at any depth become their fields (JSON.stringify would write `{}`). */
export const errorsAsFields = (_key: string, value: unknown): unknown => (isError(value) ? errorFields(value) : value)

/**
 * A replacer like `errorsAsFields` that also writes what JSON cannot hold: a cycle (in objects or in a cause chain)
 * as "[Circular]", a BigInt as "12n". One per JSON.stringify call: it tracks the objects above the one it is given.
 */
export const jsonSafeFields = () => {
  const holders: Array<unknown> = []
  const originals: Array<unknown> = []
  return function(this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === "bigint") return `${value}n`
    if (typeof value !== "object" || value === null) return value
    // `this` holds `value`: what was above a finished branch goes.
    while (holders.length > 0 && holders[holders.length - 1] !== this) {
      holders.pop()
      originals.pop()
    }
    if (originals.includes(value)) return "[Circular]"
    const shown = isError(value) ? errorFields(value) : value
    holders.push(shown)
    originals.push(value)
    return shown
  }
}

/** A value as console.log shows it: strings as they are, an Error as its stack, anything else through Effect's formatter. */
const shown = (value: unknown): string => {
  if (typeof value === "string") return value
  if (isError(value)) {
    const stack = readSafely(() => value.stack)
    if (typeof stack === "string") return stack
    const { errorType, errorMessage } = errorSummary(value)
    return `${errorType}: ${errorMessage}`
  }
  try {
    return Formatter.format(value)
  } catch {
    return safeString(value) // a getter that throws
  }
}

const asJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? "undefined"
  } catch {
    return "[Circular]"
  }
}

const numberOf = (value: unknown, parse: (text: string) => number): string =>
  typeof value === "bigint" ? `${value}n` : typeof value === "symbol" || (typeof value === "object" && value !== null) ? "NaN" : String(parse(String(value)))

const substitute = (token: string, value: unknown): string => {
  switch (token) {
    case "%s":
      return typeof value === "bigint" ? `${value}n` : shown(value)
    case "%d":
      return numberOf(value, Number)
    case "%i":
      return numberOf(value, (text) => parseInt(text, 10))
    case "%f":
      return numberOf(value, parseFloat)
    case "%j":
      return asJson(value)
    case "%c":
      return "" // CSS, for browsers: consumed, not shown
    default: // %o, %O
      return shown(value)
  }
}

/** `util.format(...params)`: a format string's placeholders take the arguments in turn; the rest follow, spaced. */
export const formatMessage = (params: ReadonlyArray<unknown>): string => {
  if (params.length === 1 && typeof params[0] === "string") return params[0] // no placeholder is read, as util's
  let used = 0
  let text = ""
  if (typeof params[0] === "string") {
    used = 1
    text = params[0].replace(/%[sdifjoOc%]/g, (token) => {
      if (token === "%%") return "%"
      if (used >= params.length) return token
      return substitute(token, params[used++])
    })
  }
  for (let i = used; i < params.length; i++) text += (text === "" && i === 0 ? "" : " ") + shown(params[i])
  return text
}
