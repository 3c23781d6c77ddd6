/** reprise/lambda: Reprise durable functions on Lambda's durable-execution service, and the HTTP API on Lambda. */
export { withDurableExecution } from "./with-durable-execution.ts"
export type { DurableLambdaHandler, LambdaAdapterConfig } from "./with-durable-execution.ts"
export { classifyCheckpointError, CheckpointFailedError } from "./checkpoint-errors.ts"
export type { FailureScope } from "./checkpoint-errors.ts"
export { lambdaDurableExecutionClient } from "./lambda-client.ts"
export type { LambdaClientLike } from "./lambda-client.ts"
export { wireId } from "./operation-ids.ts"
export { InvocationStatus, OperationAction } from "./aws-enums.ts"
export type {
  CheckpointRequest,
  CheckpointResponse,
  DurableExecutionClient,
  DurableInvocationInput,
  DurableInvocationOutput,
  GetStateRequest,
  GetStateResponse,
  OperationUpdate,
  WireErrorObject,
  WireOperation
} from "./wire.ts"
export { createLambdaHttpApp, createLambdaHttpHandler } from "./http-handler.ts"
export type { LambdaHttpOptions } from "./http-handler.ts"
export { decodeExecutionId, encodeExecutionId, makeControlPlaneClient } from "./control-plane-client.ts"
export type { ControlPlaneOptions, LambdaFunctionEntry } from "./control-plane-client.ts"
