/**
 * The line `get --follow` and `start --wait` print under a callback's start: the command that completes it. The
 * event stream sends an execution's past events first, so a callback it shows as started may have been completed,
 * failed or timed out since: the hint is printed only for a callback still waiting.
 *
 * The execution is read once per follow, at its first callback start (with its operations: an execution may hold
 * thousands, so not once per callback, which cost 300 reads and 22 MB for 300 callbacks: the review). A callback
 * that the read did not see started after it, so it is waiting; one it saw is hinted if it was waiting then. When
 * the execution cannot be read (the server restarting), every callback is hinted: the started event is all that is
 * known of them.
 */
import type { ExecutionWithOperationsJson } from "reprise/http"

export const callbackHintLine = (callbackId: string): string => `${" ".repeat(11)}complete it with: reprise callback ${callbackId} succeed '<json>'`

/** Ended executions wait for no callback. */
const ENDED = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CONTINUED_AS_NEW"])

/**
 * For one follow of an execution (`read`: it with its operations): the hint for a callback it started, or undefined
 * when that one no longer waits.
 */
export const callbackHints = (read: () => Promise<ExecutionWithOperationsJson>) => {
  let seen: Promise<{ readonly ended: boolean; readonly waiting: ReadonlyMap<string, boolean> } | undefined> | undefined
  return async (callbackId: string): Promise<string | undefined> => {
    seen ??= read()
      .then(
        (execution) => ({
          ended: ENDED.has(execution.status),
          waiting: new Map(execution.operations.flatMap((op) => (op.callbackId === undefined ? [] : [[op.callbackId, op.status === "STARTED"] as const])))
        }),
        () => undefined
      )
    const known = await seen
    if (known === undefined) return callbackHintLine(callbackId)
    if (known.ended) return undefined
    return known.waiting.get(callbackId) === false ? undefined : callbackHintLine(callbackId)
  }
}
