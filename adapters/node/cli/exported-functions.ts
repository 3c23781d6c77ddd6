/** The durable functions a module exports: directly, or in an exported array such as `functions`. */
import type { DurableFunction } from "reprise"

export const isDurableFunction = (value: unknown): value is DurableFunction =>
  typeof value === "object" && value !== null &&
  typeof (value as DurableFunction).name === "string" &&
  typeof (value as DurableFunction).handler === "function" &&
  typeof (value as DurableFunction).options === "object"

/** Every durable function among a module's exports, each once (the same one may be exported twice). */
export const exportedFunctions = (module: Record<string, unknown>): Array<DurableFunction> => {
  const found = new Set<DurableFunction>()
  for (const value of Object.values(module)) {
    if (isDurableFunction(value)) found.add(value)
    else if (Array.isArray(value)) for (const item of value) if (isDurableFunction(item)) found.add(item)
  }
  return [...found]
}
