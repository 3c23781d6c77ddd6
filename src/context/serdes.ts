/** How values become the strings stored in the log: JSON by default, custom Serdes allowed (AWS shape). */
export interface SerdesContext {
  /** The operation id. */
  readonly entityId: string
  readonly executionId: string
  /** The AWS SDK's name for the execution id, for code moved over from it. */
  readonly durableExecutionArn: string
}

/** The context a serdes is told of operation `entityId` of an execution. */
export const serdesContext = (executionId: string, entityId: string): SerdesContext =>
  ({ entityId, executionId, durableExecutionArn: executionId })

export interface Serdes<T> {
  serialize(value: T | undefined, context: SerdesContext): Promise<string | undefined>
  deserialize(data: string | undefined, context: SerdesContext): Promise<T | undefined>
}

/** JSON, with undefined stored as no payload. */
export const defaultSerdes: Serdes<any> = {
  serialize: async (value) => (value === undefined ? undefined : JSON.stringify(value)),
  deserialize: async (data) => (data === undefined ? undefined : JSON.parse(data))
}

/** JSON read back into an instance of `cls` (made with no arguments, then given the stored fields), as AWS's SDK does. */
export const createClassSerdes = <T extends object>(cls: new () => T): Serdes<T> => ({
  serialize: defaultSerdes.serialize,
  deserialize: async (data) => (data === undefined ? undefined : Object.assign(new cls(), JSON.parse(data)))
})

/**
 * createClassSerdes, with the fields at `dateProps` (dotted paths: "order.placedAt") made Dates again: JSON wrote
 * them as strings. A path that is not there, or holds no value, is left as it is.
 */
export const createClassSerdesWithDates = <T extends object>(cls: new () => T, dateProps: ReadonlyArray<string>): Serdes<T> => ({
  serialize: defaultSerdes.serialize,
  deserialize: async (data) => {
    if (data === undefined) return undefined
    const instance = Object.assign(new cls(), JSON.parse(data))
    for (const path of dateProps) {
      const keys = path.split(".")
      let holder: unknown = instance
      for (const key of keys.slice(0, -1)) holder = typeof holder === "object" && holder !== null ? (holder as Record<string, unknown>)[key] : undefined
      if (typeof holder !== "object" || holder === null) continue
      const fields = holder as Record<string, unknown>
      const last = keys[keys.length - 1]!
      if (typeof fields[last] === "string" || typeof fields[last] === "number") fields[last] = new Date(fields[last] as string | number)
    }
    return instance
  }
})

/** Callbacks hand back the raw string they were completed with, unless told otherwise (as AWS does). */
export const passThroughDeserializer: Pick<Serdes<any>, "deserialize"> = {
  deserialize: async (data) => data
}

/** AWS's names: a serdes of any value, and the reading half of one (a callback deserializer). */
export type AnySerdes = Serdes<any>
export type AnySerdesDeserializer = Pick<AnySerdes, "deserialize">

export interface SerdesConfig {
  readonly defaultSerdes?: Serdes<any>
  readonly defaultCallbackDeserializer?: Pick<Serdes<any>, "deserialize">
}
