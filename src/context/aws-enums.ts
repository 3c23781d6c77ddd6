/**
 * The enum objects of AWS's SDK, for code moved over from it (`item.status === BatchItemStatus.SUCCEEDED`): each
 * value is the string Reprise's own fields already hold. The types of the same names are Reprise's.
 */
import type { OperationSubType as SubType, OperationType as Type } from "../log/events.ts"
import type { OperationStatus as Status } from "../log/fold.ts"
import type { Nesting } from "./batch.ts"
import type { BatchItemStatus as ItemStatus } from "./batch-result.ts"

export const BatchItemStatus = { SUCCEEDED: "SUCCEEDED", FAILED: "FAILED", STARTED: "STARTED" } as const satisfies Record<string, ItemStatus>
export type BatchItemStatus = ItemStatus

/** An operation's status as AWS's SDK names them (READY is the service's; Reprise's operations are never READY). */
export const OperationStatus = {
  CANCELLED: "CANCELLED",
  FAILED: "FAILED",
  PENDING: "PENDING",
  READY: "READY",
  STARTED: "STARTED",
  STOPPED: "STOPPED",
  SUCCEEDED: "SUCCEEDED",
  TIMED_OUT: "TIMED_OUT"
} as const
export type OperationStatus = Status

export const OperationType = {
  CALLBACK: "CALLBACK",
  CHAINED_INVOKE: "CHAINED_INVOKE",
  CONTEXT: "CONTEXT",
  EXECUTION: "EXECUTION",
  STEP: "STEP",
  WAIT: "WAIT"
} as const satisfies Record<string, Type>
export type OperationType = Type

export const OperationSubType = {
  STEP: "Step",
  WAIT: "Wait",
  CALLBACK: "Callback",
  RUN_IN_CHILD_CONTEXT: "RunInChildContext",
  MAP: "Map",
  MAP_ITERATION: "MapIteration",
  PARALLEL: "Parallel",
  PARALLEL_BRANCH: "ParallelBranch",
  WAIT_FOR_CALLBACK: "WaitForCallback",
  WAIT_FOR_CONDITION: "WaitForCondition",
  CHAINED_INVOKE: "ChainedInvoke"
} as const satisfies Record<string, SubType>
export type OperationSubType = SubType

/** How map and parallel record their items (the `nesting` option). */
export const NestingType = { NESTED: "NESTED", FLAT: "FLAT" } as const satisfies Record<string, Nesting>
export type NestingType = Nesting
