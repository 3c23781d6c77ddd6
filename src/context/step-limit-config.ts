/** A step's `concurrencyKey` and `limit` (StepConfig), checked before the step starts: both or neither. */
import { ConfigurationError } from "./errors.ts"

export const stepLimitOf = (key: unknown, limit: unknown): { key: string; limit: number } | undefined => {
  if (key === undefined && limit === undefined) return undefined
  if (typeof key !== "string" || key.length === 0 || key.length > 256) {
    throw new ConfigurationError(`A step's concurrencyKey must be a string of 1-256 characters (with a limit), got ${JSON.stringify(key)}`)
  }
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new ConfigurationError(`A step's limit must be a positive integer (with a concurrencyKey), got ${JSON.stringify(limit)}`)
  }
  return { key, limit }
}
