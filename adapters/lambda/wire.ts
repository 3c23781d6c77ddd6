/** The service's wire model lives in the core's `reprise/aws` entry, shared with the AWS-handler client there. */
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
} from "reprise/aws"
export { wireMillis } from "reprise/aws"
