/** Registering durable functions: `durable(name, handler, options)` and the registry an engine serves. */
import type { DurableContext } from "../context/types.ts"
import type { Duration } from "../context/duration.ts"

export type DurableHandler<I = any, O = any> = (event: I, context: DurableContext) => Promise<O>

export interface DurableFunctionOptions {
  readonly description?: string
  /** How long an execution may run in all, up to 366 days (the default). */
  readonly executionTimeout?: Duration
  /** How long a finished execution's history is kept (default 14 days). */
  readonly retention?: Duration
}

export interface DurableFunction<I = any, O = any> {
  readonly name: string
  readonly handler: DurableHandler<I, O>
  readonly options: DurableFunctionOptions
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export const durable = <I, O>(name: string, handler: DurableHandler<I, O>, options: DurableFunctionOptions = {}): DurableFunction<I, O> => {
  if (!NAME.test(name)) {
    throw new TypeError(`A durable function name must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit; got ${JSON.stringify(name)}`)
  }
  if (typeof handler !== "function") throw new TypeError(`The handler of durable function ${name} must be a function`)
  return { name, handler, options }
}

export const makeRegistry = (functions: ReadonlyArray<DurableFunction>): ReadonlyMap<string, DurableFunction> => {
  const registry = new Map<string, DurableFunction>()
  for (const fn of functions) {
    if (registry.has(fn.name)) throw new TypeError(`Two durable functions are named ${JSON.stringify(fn.name)}`)
    registry.set(fn.name, fn)
  }
  return registry
}
