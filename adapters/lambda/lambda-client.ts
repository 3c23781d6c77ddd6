/**
 * The data-plane client over `@aws-sdk/client-lambda` (CheckpointDurableExecution and GetDurableExecutionState),
 * for invocations on real Lambda. The SDK is loaded on first use, so a handler driven through an event-carried
 * client (the local test runner) never loads it. Any object with `send(command)` may stand in for LambdaClient.
 */
import type { CheckpointRequest, CheckpointResponse, DurableExecutionClient, GetStateRequest, GetStateResponse } from "./wire.ts"

/** What the adapter needs of a LambdaClient. */
export interface LambdaClientLike {
  send(command: unknown): Promise<unknown>
}

/** @internal (kept out of the .d.ts: the SDK is an optional peer dependency, absent for most users) */
type LambdaModule = typeof import("@aws-sdk/client-lambda")

let lambdaModule: Promise<LambdaModule> | undefined
/** @internal */
export const loadLambdaModule = (): Promise<LambdaModule> => (lambdaModule ??= import("@aws-sdk/client-lambda"))

let defaultClient: LambdaClientLike | undefined
/** One LambdaClient per process, so connections are reused across invocations. */
export const defaultLambdaClient = async (): Promise<LambdaClientLike> => {
  if (defaultClient === undefined) {
    const sdk = await loadLambdaModule()
    defaultClient = new sdk.LambdaClient({})
  }
  return defaultClient
}

export const lambdaDurableExecutionClient = (client?: LambdaClientLike): DurableExecutionClient => {
  const resolve = async () => ({ sdk: await loadLambdaModule(), lambda: client ?? (await defaultLambdaClient()) })
  return {
    getExecutionState: async (request: GetStateRequest) => {
      const { lambda, sdk } = await resolve()
      return (await lambda.send(new sdk.GetDurableExecutionStateCommand(request))) as GetStateResponse
    },
    checkpoint: async (request: CheckpointRequest) => {
      const { lambda, sdk } = await resolve()
      return (await lambda.send(new sdk.CheckpointDurableExecutionCommand(request as never))) as CheckpointResponse
    }
  }
}
