/**
 * The enum objects of AWS's SDK for the Lambda wire, for code moved over from it (a test that checks an
 * invocation's `Status` against `InvocationStatus.PENDING`): each value is the string the wire carries.
 */
import type { DurableInvocationOutput, WireAction } from "./wire.ts"

export const InvocationStatus = { SUCCEEDED: "SUCCEEDED", FAILED: "FAILED", PENDING: "PENDING" } as const satisfies Record<string, DurableInvocationOutput["Status"]>
export type InvocationStatus = DurableInvocationOutput["Status"]

export const OperationAction = { CANCEL: "CANCEL", FAIL: "FAIL", RETRY: "RETRY", START: "START", SUCCEED: "SUCCEED" } as const satisfies Record<string, WireAction>
export type OperationAction = WireAction
