/**
 * What `TestExecution.expectSucceeded()` throws for an execution that did not succeed: its status, and its error
 * with the data, the stack and the causes the log keeps, so a failed test says why without another assertion (an
 * `expect(status).toBe("SUCCEEDED")` prints only the two statuses).
 */
import { errorStoryLines } from "../log/error-story-lines.ts"
import type { ErrorObject } from "../log/events.ts"

export class ExecutionNotSucceeded extends Error {
  override readonly name = "ExecutionNotSucceeded"
  readonly executionId: string
  readonly status: string
  /** The execution's error, as recorded (undefined for one still running, paused, or stopped without a reason). */
  readonly error: ErrorObject | undefined

  constructor(executionId: string, status: string, error: ErrorObject | undefined) {
    const head = `Execution ${executionId} is ${status}, not SUCCEEDED`
    super(error === undefined ? head : [`${head}: ${error.errorType}: ${error.errorMessage}`, ...errorStoryLines(error, "  ")].join("\n"))
    this.executionId = executionId
    this.status = status
    this.error = error
  }
}
