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

/** Callbacks hand back the raw string they were completed with, unless told otherwise (as AWS does). */
export const passThroughDeserializer: Pick<Serdes<any>, "deserialize"> = {
  deserialize: async (data) => data
}

export interface SerdesConfig {
  readonly defaultSerdes?: Serdes<any>
  readonly defaultCallbackDeserializer?: Pick<Serdes<any>, "deserialize">
}
