/**
 * `get --follow` and `start --wait`: an execution's events printed to stderr as they are recorded (its SSE stream),
 * each callback still waiting with the command that completes it, until the execution ends or the time is up.
 */
import type { ExecutionJson, ExecutionWithOperationsJson } from "reprise/http"
import type { LogEvent } from "reprise/store"
import { callbackHints } from "./callback-hint.ts"
import { CliError, type Client, EXIT } from "./client.ts"
import { followStream } from "./follow-stream.ts"
import { makeEventLines } from "./format.ts"

export const executionPath = (id: string) => `/v1/executions/${encodeURIComponent(id)}`

/** The execution with its operations; the plain answer carries only their counts. */
export const withOperations = (client: Client, id: string) =>
  client.request<ExecutionWithOperationsJson>("GET", `${executionPath(id)}?operations=true`)

/** Follows execution `id` until it ends (its last state) or `timeoutS` passes (EXIT.stillRunning). */
export const follow = async (client: Client, err: (line: string) => void, id: string, timeoutS: number | undefined): Promise<ExecutionJson> => {
  const deadline = timeoutS === undefined ? Infinity : Date.now() + timeoutS * 1000
  const eventLine = makeEventLines()
  let start: number | undefined
  const hintFor = callbackHints(() => withOperations(client, id))
  const how = await followStream(client, `${executionPath(id)}/events`, deadline, async (frame) => {
    const event = JSON.parse(frame.data) as LogEvent
    start ??= event.at
    err(eventLine(event, start))
    if (event._tag !== "CallbackStarted") return
    // Past events come first: a callback completed since gets no hint.
    const hint = await hintFor(event.callbackId)
    if (hint !== undefined) err(hint)
  })
  const execution = await client.request<ExecutionJson>("GET", executionPath(id))
  // Not ended: still running, queued behind a flow limit, or paused (RUNNING underneath).
  if (how === "timeout" && (execution.status === "RUNNING" || execution.status === "QUEUED" || execution.status === "PAUSED")) {
    throw new CliError(`execution ${id} is still running after ${timeoutS} s (follow it with: reprise get ${id} --follow)`, EXIT.stillRunning)
  }
  return execution
}
