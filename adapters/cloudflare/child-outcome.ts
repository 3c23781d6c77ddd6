/** An ended execution's outcome as its parent's invoke records it, from the log's last event. */
import type { ChildOutcome } from "reprise/engine"
import type { ErrorObject } from "reprise/store"

export const outcomeOf = (last: { _tag: string; result?: string; error?: ErrorObject }): ChildOutcome => {
  switch (last._tag) {
    case "ExecutionSucceeded":
      return { status: "SUCCEEDED", ...(last.result === undefined ? {} : { result: last.result }) }
    case "ExecutionTimedOut":
      return { status: "TIMED_OUT" }
    default:
      return { status: last._tag === "ExecutionStopped" ? "STOPPED" : "FAILED", ...(last.error === undefined ? {} : { error: last.error }) }
  }
}
