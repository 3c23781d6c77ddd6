/**
 * The line `get --follow` and `start --wait` print under a callback's start: the command that completes it. The
 * event stream sends an execution's past events first, so a callback it shows as started may have been completed,
 * failed or timed out since: the hint is printed only when the execution's operations say the callback still waits
 * (STARTED) at the time it is printed.
 */
import type { ExecutionWithOperationsJson } from "reprise/http"
import type { Client } from "./client.ts"

export const callbackHintLine = (callbackId: string): string => `${" ".repeat(11)}complete it with: reprise callback ${callbackId} succeed '<json>'`

/**
 * The hint for a callback that `executionId` started, or undefined when it no longer waits. When the execution
 * cannot be read (the server restarting), the hint is given: the started event is all that is known of it.
 */
export const pendingCallbackHint = async (client: Client, executionId: string, callbackId: string): Promise<string | undefined> => {
  const execution = await client
    .request<ExecutionWithOperationsJson>("GET", `/v1/executions/${encodeURIComponent(executionId)}?operations=true`)
    .catch(() => undefined)
  if (execution === undefined) return callbackHintLine(callbackId)
  const waiting = execution.operations.some((op) => op.callbackId === callbackId && op.status === "STARTED")
  return waiting ? callbackHintLine(callbackId) : undefined
}
