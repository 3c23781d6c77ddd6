/**
 * reprise/aws: handlers written with AWS's own durable SDK (`@aws/durable-execution-sdk-js`), unmodified, run as
 * Reprise durable functions on every runtime (`awsHandler`), and the service's wire model that Reprise's Lambda
 * adapter speaks too (operations, updates, hashed operation ids).
 */
export { awsHandler } from "./aws-handler.ts"
export type { AwsDurableHandler } from "./aws-handler.ts"
export { makeServiceClient } from "./service-client.ts"
export type { ServiceClient } from "./service-client.ts"
export { EXECUTION_OPERATION_ID, operationToWire, stateToWire } from "./state-to-wire.ts"
export { InvalidCheckpointError, updatesToEvents } from "./updates-to-events.ts"
export type { TranslatedUpdates, UpdateContext } from "./updates-to-events.ts"
export { makeIdResolver, wireId } from "./operation-ids.ts"
export type { IdResolver } from "./operation-ids.ts"
export { md5Hex } from "./md5.ts"
export { errorFromWire, errorToWire, wireMillis } from "./wire.ts"
export type {
  CheckpointRequest,
  CheckpointResponse,
  DurableExecutionClient,
  DurableInvocationInput,
  DurableInvocationOutput,
  GetStateRequest,
  GetStateResponse,
  OperationUpdate,
  WireAction,
  WireErrorObject,
  WireOperation,
  WireOperationStatus,
  WireOperationType,
  WireTimestamp
} from "./wire.ts"
