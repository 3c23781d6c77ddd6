/** Calls into a Serdes, turning its failures into SerdesFailedError. */
import { SerdesFailedError } from "./errors.ts"
import { defaultSerdes, type Serdes, type SerdesContext } from "./serdes.ts"

export const serializeWith = async <T>(serdes: Pick<Serdes<T>, "serialize">, value: T | undefined, context: SerdesContext) => {
  let data: unknown
  try {
    data = await serdes.serialize(value, context)
  } catch (error) {
    throw new SerdesFailedError(`Could not serialise the value of operation ${context.entityId}: ${(error as Error)?.message ?? error}`, { cause: error })
  }
  if (data !== undefined && typeof data !== "string") {
    throw new SerdesFailedError(`The serdes of operation ${context.entityId} returned a ${typeof data}, not a string`)
  }
  return data
}

/**
 * The default JSON serdes without a promise: steps on the default serdes take this path. `what` names the operation
 * in its error, as the user knows it (`step "charge" (3)`), not by its id alone.
 */
export const serializeJson = (value: unknown, what: string): string | undefined => {
  try {
    return value === undefined ? undefined : JSON.stringify(value)
  } catch (error) {
    throw new SerdesFailedError(`Could not serialise the value of ${what}: ${(error as Error)?.message ?? error}`)
  }
}

export const deserializeWith = async <T>(serdes: Pick<Serdes<T>, "deserialize">, data: string | undefined, context: SerdesContext) => {
  try {
    return await serdes.deserialize(data, context)
  } catch (error) {
    throw new SerdesFailedError(`Could not deserialise the value of operation ${context.entityId}: ${(error as Error)?.message ?? error}`, { cause: error })
  }
}
