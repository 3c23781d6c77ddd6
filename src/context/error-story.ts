/**
 * An error's story, kept in its stored ErrorObject: the stack trace trimmed to the user's frames, and the chain of
 * causes, each size-limited, so describe, history, the console and the CLI can point at the failing line.
 * Only failures recorded as operation or execution outcomes carry it; results (a BatchResult's errors) stay short.
 */
import type { ErrorCause, ErrorObject } from "../log/events.ts"
import { isError, isInstance, readSafely } from "./error-text.ts"
import { DurableOperationError, INNER_ERROR_PREFIX, RecordedError, toErrorObject } from "./errors.ts"

/** The most characters of stack kept per error (frames are dropped whole). */
export const MAX_STACK_CHARS = 4096
/** The most frames kept per error. */
export const MAX_FRAMES = 24
/** The most causes kept in a chain. */
export const MAX_CAUSES = 4

/**
 * Where Reprise's own modules live (`…/src/` and `…/adapters/` beside this file's `src/context/`, in the repo and in
 * `dist/`): their frames are not the user's. Undefined when this module's own path cannot be read (a bundle).
 */
const ownRoot: string | undefined = (() => {
  const stack = new Error().stack ?? ""
  const match = /\(?((?:file:\/\/)?[^\s()]*\/)src\/context\/error-story\.[cm]?[jt]s:\d+/.exec(stack)
  return match?.[1]?.replace(/^file:\/\//, "")
})()

/**
 * A frame that names a place in a file ends with `:line:column`: a builtin's (`at Array.map (<anonymous>)`,
 * `at async Promise.all (index 0)`) names none and says nothing of where the user's code failed, and a message's own
 * lines that look like frames (a SchemaError's `  at ["orderId"]`) are no frames.
 */
const AT_A_PLACE = /:\d+:\d+\)?$/

const notUsers = (frame: string): boolean =>
  !AT_A_PLACE.test(frame) ||
  /^at (?:.* \()?node:/.test(frame) || // Node's own modules (`node:internal/…`, `node:async_hooks`)
  frame.includes("/node_modules/") ||
  frame.includes("ext:core/") || // Deno's runtime
  (ownRoot !== undefined && (frame.includes(`${ownRoot}src/`) || frame.includes(`${ownRoot}adapters/`)))

/** The user's frames of a V8-style stack (`at fn (file:line:col)` lines), within the size limits. */
export const userFrames = (stack: string | undefined): Array<string> | undefined => {
  if (stack === undefined) return undefined
  const frames: Array<string> = []
  let size = 0
  for (const line of stack.split("\n")) {
    const frame = line.trim()
    if (!frame.startsWith("at ") || notUsers(frame)) continue
    if (frames.length >= MAX_FRAMES || size + frame.length > MAX_STACK_CHARS) break
    frames.push(frame)
    size += frame.length
  }
  return frames.length === 0 ? undefined : frames
}

const stackOf = (error: unknown): Array<string> | undefined => {
  if (!isError(error) || isInstance(error, RecordedError)) return undefined
  const stack = readSafely(() => error.stack)
  if (typeof stack !== "string") return undefined
  // The stack begins with the error's own text, whose lines are not frames even where they read as such.
  const header = readSafely(() => String(error))
  return userFrames(typeof header === "string" && stack.startsWith(header) ? stack.slice(header.length) : stack)
}

const causeProperty = (node: unknown): unknown => (isError(node) ? readSafely(() => node.cause) : undefined)

/** The most inner errors of an AggregateError kept in its story (with a count of the rest, within MAX_CAUSES). */
export const MAX_INNER_ERRORS = 3

/**
 * An AggregateError's inner errors (`Promise.any`'s rejections), which are not its cause but explain it: each
 * entry's message says which it is, `[errors[1]] …`, and more than MAX_INNER_ERRORS are counted, not kept.
 */
const innerErrorsOf = (node: unknown): Array<ErrorCause> => {
  if (!isInstance(node, AggregateError)) return []
  const errors = readSafely(() => node.errors)
  if (!Array.isArray(errors) || errors.length === 0) return []
  const kept = errors.slice(0, MAX_INNER_ERRORS).map((inner, i) => {
    const cause = causeOf(inner)
    return { ...cause, errorMessage: `${INNER_ERROR_PREFIX}${i}]] ${cause.errorMessage}` }
  })
  const left = errors.length - kept.length
  return left > 0 ? [...kept, { errorType: OMITTED, errorMessage: `${left} more causes are not kept (inner errors)` }] : kept
}

/** How far a cause chain is followed (a chain is rarely deeper than a few; a cycle ends it sooner). */
const MAX_CHAIN = 100

const causeOf = (node: unknown): ErrorCause => {
  const { errorType, errorMessage } = toErrorObject(node)
  const stackTrace = stackOf(node)
  return { errorType, errorMessage, ...(stackTrace === undefined ? {} : { stackTrace }) }
}

/** A cause as its chain keeps it: one whose message begins as an inner error's does is marked a cause (events.ts). */
const asCause = (cause: ErrorCause): ErrorCause =>
  cause.errorMessage.startsWith(INNER_ERROR_PREFIX) ? { ...cause, inner: false } : cause

/**
 * The causes of `error`, nearest first; a cause read back from the log brings its own recorded chain. A chain
 * longer than MAX_CAUSES keeps its nearest causes and its root (often the one that explains it all), with one
 * `OmittedCauses` entry saying how many are left out between them. A cycle (A's cause B, B's cause A) ends it.
 */
const causesOf = (error: unknown): Array<ErrorCause> => {
  const chain: Array<ErrorCause> = []
  const seen = new Set<unknown>([error])
  let above: unknown = error
  chain.push(...innerErrorsOf(error))
  let node: unknown = causeProperty(error)
  while (node !== undefined && node !== null && !seen.has(node) && chain.length < MAX_CHAIN) {
    seen.add(node)
    if (isInstance(node, RecordedError)) {
      const { errorType, errorMessage, stackTrace, causes: recorded } = node.errorObject
      // An error revived from its record (a waitForCallback's CallbackExternalError) is caused, as in AWS's SDK, by
      // the recorded error of its own class and message: the story names it once, then what caused it.
      const revived = isInstance(above, DurableOperationError) ? toErrorObject(above) : undefined
      const repeats = revived?.errorType === errorType && revived.errorMessage === errorMessage
      chain.push(...(repeats ? [] : [asCause({ errorType, errorMessage, ...(stackTrace === undefined ? {} : { stackTrace }) })]), ...(recorded ?? []))
      break
    }
    chain.push(asCause(causeOf(node)), ...innerErrorsOf(node))
    above = node
    node = causeProperty(node)
  }
  if (chain.length <= MAX_CAUSES) return chain
  // A recorded chain may hold an OmittedCauses entry already: it stands for as many causes as it says.
  let kept = 0
  while (kept < MAX_CAUSES - 2 && chain[kept]!.errorType !== OMITTED) kept++
  const omitted = chain.slice(kept, -1).reduce((count, cause) => count + causesIn(cause), 0)
  return [...chain.slice(0, kept), { errorType: OMITTED, errorMessage: `${omitted} more causes are not kept` }, chain[chain.length - 1]!]
}

const OMITTED = "OmittedCauses"

/** How many causes an entry of a chain stands for: one, or an OmittedCauses entry's count. */
const causesIn = (cause: ErrorCause): number =>
  cause.errorType === OMITTED ? Number(/^(\d+) more causes/.exec(cause.errorMessage)?.[1] ?? 1) : 1

/** Turns anything thrown into the stored error shape with its story: the user's frames and the causes. */
export const toErrorRecord = (error: unknown): ErrorObject => {
  const base = toErrorObject(error)
  if (isInstance(error, RecordedError)) return base
  const stackTrace = stackOf(error)
  const causes = causesOf(error)
  return {
    ...base,
    ...(stackTrace === undefined ? {} : { stackTrace }),
    ...(causes.length === 0 ? {} : { causes })
  }
}
