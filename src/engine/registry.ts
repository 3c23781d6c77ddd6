/** Registering durable functions: `durable(name, handler, options)` and the registry an engine serves. */
import type { DurableContext } from "../context/types.ts"
import type { Duration } from "../context/duration.ts"
import { typeOf } from "../context/error-text.ts"
import { checkFlowOptions, type FlowControl, type FlowOptions } from "./flow-options.ts"
import { checkFunctionDurations } from "./function-durations.ts"
import type { Session } from "../context/session.ts"

export type DurableHandler<I = any, O = any> = (event: I, context: DurableContext) => Promise<O>
/** AWS's name for a handler. */
export type DurableExecutionHandler<TEvent = any, TResult = any> = DurableHandler<TEvent, TResult>

/** Flow control (`concurrency`, `rateLimit`, `priority`, `debounce`) is described in flow-options.ts. */
export interface DurableFunctionOptions extends FlowOptions {
  readonly description?: string
  /** How long an execution may run in all, up to 366 days (the default). */
  readonly executionTimeout?: Duration
  /** How long a finished execution's history is kept (default 14 days). */
  readonly retention?: Duration
  /**
   * A label for this version of the code (a release, a commit): recorded in each execution's ExecutionStarted,
   * shown by describe and list, and a list filter (`?version=`). 1 to 128 characters, no control characters.
   */
  readonly version?: string
}

/**
 * A function kind that replays itself (AWS's SDK: `reprise/aws`): instead of the handler over a DurableContext, the
 * actor runs the driver over its Session, which makes the driver the service that its own replay engine talks to.
 * What it resolves with is the execution's result (JSON-serialised as a handler's is), what it throws its error.
 */
export type ExecutionDriver = (session: Session) => Promise<unknown>

export interface DurableFunction<I = any, O = any> {
  readonly name: string
  readonly handler: DurableHandler<I, O>
  readonly options: DurableFunctionOptions
  /** The function's flow control, checked (absent: starts run at once). */
  readonly flow?: FlowControl
  /** Set for functions that bring their own replay engine: the actor runs this instead of `handler`. */
  readonly drive?: ExecutionDriver
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

/** Every option durable() takes (a record, so that an option added to the type must be added here): one misspelled
 * (`concurency`) would otherwise be dropped without a word. */
const OPTION_NAMES: { readonly [K in keyof Required<DurableFunctionOptions>]: true } = {
  description: true,
  executionTimeout: true,
  retention: true,
  version: true,
  concurrency: true,
  rateLimit: true,
  priority: true,
  debounce: true
}
const OPTIONS: ReadonlySet<string> = new Set(Object.keys(OPTION_NAMES))

const checkOptionNames = (name: string, options: DurableFunctionOptions): void => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`The options of durable function ${name} must be an object; got ${typeOf(options)}`)
  }
  const unknown = Object.keys(options).filter((key) => !OPTIONS.has(key))
  if (unknown.length > 0) {
    throw new TypeError(
      `Durable function ${name} has no option ${unknown.map((key) => JSON.stringify(key)).join(" or ")}; its options are ${[...OPTIONS].join(", ")}`
    )
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export const durable = <I, O>(name: string, handler: DurableHandler<I, O>, options: DurableFunctionOptions = {}): DurableFunction<I, O> => {
  // Not digits alone: a keyed start's id is `<key>~<function>`, and `<id>~<n>` is a continueAsNew run's.
  if (!NAME.test(name) || /^\d+$/.test(name)) {
    throw new TypeError(`A durable function name must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit and not digits alone; got ${JSON.stringify(name)}`)
  }
  if (typeof handler !== "function") throw new TypeError(`The handler of durable function ${name} must be a function`)
  checkOptionNames(name, options)
  const version = options.version
  // No control characters: PostgreSQL's text refuses NUL (every start of the function failed there), and the CLI
  // prints the label to terminals.
  if (version !== undefined && (typeof version !== "string" || version.length === 0 || version.length > 128 || CONTROL.test(version))) {
    throw new TypeError(`The version of durable function ${name} must be a string of 1-128 characters, none of them a control character; got ${JSON.stringify(version)}`)
  }
  checkFunctionDurations(name, options) // throws InvalidDurationError
  const flow = checkFlowOptions(name, options) // throws FlowConfigError
  return { name, handler, options, ...(flow === undefined ? {} : { flow }) }
}

export const makeRegistry = (functions: ReadonlyArray<DurableFunction>): ReadonlyMap<string, DurableFunction> => {
  const registry = new Map<string, DurableFunction>()
  for (const fn of functions) {
    if (registry.has(fn.name)) throw new TypeError(`Two durable functions are named ${JSON.stringify(fn.name)}`)
    registry.set(fn.name, fn)
  }
  return registry
}
