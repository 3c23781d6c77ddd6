/** The durable functions a module exports: directly, or in an exported array such as `functions`. */
import type { DurableFunction } from "reprise"

export const isDurableFunction = (value: unknown): value is DurableFunction =>
  typeof value === "object" && value !== null &&
  typeof (value as DurableFunction).name === "string" &&
  typeof (value as DurableFunction).handler === "function" &&
  typeof (value as DurableFunction).options === "object"

/** Every value among a module's exports that `is` takes, directly or in an exported array, each once. */
export const exportedOf = <A>(module: Record<string, unknown>, is: (value: unknown) => value is A): Array<A> => {
  const found = new Set<A>()
  for (const value of Object.values(module)) {
    if (is(value)) found.add(value)
    else if (Array.isArray(value)) for (const item of value) if (is(item)) found.add(item)
  }
  return [...found]
}

/** Every durable function among a module's exports, each once (the same one may be exported twice). */
export const exportedFunctions = (module: Record<string, unknown>): Array<DurableFunction> => exportedOf(module, isDurableFunction)
