/**
 * The wire model of Lambda's durable-execution service, as its SDKs and the local test runner speak it: the
 * invocation envelope, operations, operation updates and the two data-plane calls. Declared here (structurally
 * the same as `@aws/durable-execution-sdk-js`'s types) so that the adapter needs AWS's SDK only for tests.
 */
import type { ErrorObject } from "../log/events.ts"

export type WireOperationType = "EXECUTION" | "STEP" | "WAIT" | "CALLBACK" | "CHAINED_INVOKE" | "CONTEXT"
export type WireOperationStatus = "STARTED" | "PENDING" | "READY" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "STOPPED" | "CANCELLED"
export type WireAction = "START" | "SUCCEED" | "FAIL" | "RETRY" | "CANCEL"
/** The service sends Dates (SDK clients) or ISO strings (JSON). */
export type WireTimestamp = Date | string | number

export interface WireErrorObject {
  ErrorType?: string | undefined
  ErrorMessage?: string | undefined
  ErrorData?: string | undefined
  StackTrace?: Array<string> | undefined
}

export interface WireOperation {
  Id?: string | undefined
  ParentId?: string | undefined
  Name?: string | undefined
  Type?: WireOperationType | string | undefined
  SubType?: string | undefined
  StartTimestamp?: WireTimestamp | undefined
  EndTimestamp?: WireTimestamp | undefined
  Status?: WireOperationStatus | string | undefined
  ExecutionDetails?: { InputPayload?: string | undefined } | undefined
  ContextDetails?: { ReplayChildren?: boolean | undefined; Result?: string | undefined; Error?: WireErrorObject | undefined } | undefined
  StepDetails?: {
    Attempt?: number | undefined
    NextAttemptTimestamp?: WireTimestamp | undefined
    Result?: string | undefined
    Error?: WireErrorObject | undefined
  } | undefined
  WaitDetails?: { ScheduledEndTimestamp?: WireTimestamp | undefined } | undefined
  CallbackDetails?: { CallbackId?: string | undefined; Result?: string | undefined; Error?: WireErrorObject | undefined } | undefined
  ChainedInvokeDetails?: { Result?: string | undefined; Error?: WireErrorObject | undefined } | undefined
}

export interface OperationUpdate {
  Id: string
  ParentId?: string | undefined
  Name?: string | undefined
  Type: WireOperationType
  SubType?: string | undefined
  Action: WireAction
  Payload?: string | undefined
  Error?: WireErrorObject | undefined
  ContextOptions?: { ReplayChildren?: boolean | undefined } | undefined
  StepOptions?: { NextAttemptDelaySeconds?: number | undefined } | undefined
  WaitOptions?: { WaitSeconds?: number | undefined } | undefined
  CallbackOptions?: { TimeoutSeconds?: number | undefined; HeartbeatTimeoutSeconds?: number | undefined } | undefined
  ChainedInvokeOptions?: { FunctionName: string | undefined; TenantId?: string | undefined } | undefined
}

export interface CheckpointRequest {
  DurableExecutionArn: string
  CheckpointToken: string
  Updates?: Array<OperationUpdate> | undefined
  ClientToken?: string | undefined
}

export interface CheckpointResponse {
  CheckpointToken?: string | undefined
  NewExecutionState?: { Operations?: Array<WireOperation> | undefined; NextMarker?: string | undefined } | undefined
}

export interface GetStateRequest {
  DurableExecutionArn: string
  CheckpointToken: string
  Marker?: string | undefined
  MaxItems?: number | undefined
}

export interface GetStateResponse {
  Operations?: Array<WireOperation> | undefined
  NextMarker?: string | undefined
}

/** The data plane a handler talks to: the Lambda API, or the local test runner's in-process server. */
export interface DurableExecutionClient {
  getExecutionState(request: GetStateRequest): Promise<GetStateResponse>
  checkpoint(request: CheckpointRequest): Promise<CheckpointResponse>
}

/** What Lambda hands a durable function on every invocation. */
export interface DurableInvocationInput {
  DurableExecutionArn: string
  CheckpointToken: string
  UpdatedOperationIds?: Array<string> | undefined
  InitialExecutionState: { Operations?: Array<WireOperation> | undefined; NextMarker?: string | undefined }
  /** Set by the local test runner (`DurableExecutionInvocationInputWithClient`): its checkpoint server. */
  durableExecutionClient?: DurableExecutionClient
}

export type DurableInvocationOutput =
  | { Status: "SUCCEEDED"; Result?: string | undefined }
  | { Status: "FAILED"; Error: WireErrorObject }
  | { Status: "PENDING" }

/** Milliseconds since the epoch of a wire timestamp (undefined stays undefined). */
export const wireMillis = (value: WireTimestamp | undefined): number | undefined => {
  if (value === undefined || value === null) return undefined
  const ms = typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : value.getTime()
  return Number.isFinite(ms) ? ms : undefined
}

/** A wire error as Reprise records it. */
export const errorFromWire = (error: WireErrorObject | undefined, fallback: string): ErrorObject => ({
  errorType: error?.ErrorType || "Error",
  errorMessage: error?.ErrorMessage ?? fallback,
  ...(error?.ErrorData === undefined || error.ErrorData === null ? {} : { errorData: error.ErrorData }),
  ...(error?.StackTrace === undefined || error.StackTrace === null || error.StackTrace.length === 0 ? {} : { stackTrace: error.StackTrace })
})

/** A recorded error as the wire carries it (AWS's error object has no cause chain: causes follow the frames). */
export const errorToWire = (error: ErrorObject): WireErrorObject => {
  const story = [
    ...(error.stackTrace ?? []),
    ...(error.causes ?? []).flatMap((c) => [`caused by ${c.errorType}: ${c.errorMessage}`, ...(c.stackTrace ?? [])])
  ]
  return {
    ErrorType: error.errorType,
    ErrorMessage: error.errorMessage,
    ...(error.errorData === undefined ? {} : { ErrorData: error.errorData }),
    ...(story.length === 0 ? {} : { StackTrace: story })
  }
}
