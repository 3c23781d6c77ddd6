/**
 * What `TestExecution.expectSucceeded()` throws for an execution that did not succeed: its status, and its error
 * with the data, the stack and the causes the log keeps, so a failed test says why without another assertion (an
 * `expect(status).toBe("SUCCEEDED")` prints only the two statuses).
 */
import { errorStoryLines } from "../log/error-story-lines.ts"
import type { ErrorObject } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"

export class ExecutionNotSucceeded extends Error {
  override readonly name = "ExecutionNotSucceeded"
  readonly executionId: string
  readonly status: string
  /** The execution's error, as recorded (undefined for one still running, paused, or stopped without a reason). */
  readonly error: ErrorObject | undefined

  /**
   * `waitingOn`: what a running execution still waits for (a callback no responder answered …), one entry each;
   * `notes`: lines added at the end (responders given for callbacks it does not have).
   */
  constructor(executionId: string, status: string, error: ErrorObject | undefined, waitingOn: ReadonlyArray<string> = [], notes: ReadonlyArray<string> = []) {
    const head = `Execution ${executionId} is ${status}, not SUCCEEDED`
    // A running one said only that: which callback or invoke it waits on was a second look at its operations.
    // One that timed out or was stopped: what it was still waiting on then is where its time went.
    const verb = status === "TIMED_OUT" || status === "STOPPED" ? "it was waiting on" : "it waits on"
    const waiting = waitingOn.length === 0 ? "" : `; ${verb} ${listed(waitingOn)}`
    const waited = waitingOn.length === 0 ? [] : [`  ${verb} ${listed(waitingOn)}`]
    super([error === undefined ? head + waiting : [`${head}: ${error.errorType}: ${error.errorMessage}`, ...errorStoryLines(error, "  "), ...waited].join("\n"), ...notes].join("\n"))
    this.executionId = executionId
    this.status = status
    this.error = error
  }
}

/** How many open operations the message names; a map of 200 waiting items made it 5 KB of one line. */
export const NAMED_WAITS = 10

const listed = (waits: ReadonlyArray<string>): string =>
  waits.length <= NAMED_WAITS ? waits.join(", ") : `${waits.slice(0, NAMED_WAITS).join(", ")} and ${waits.length - NAMED_WAITS} more`

const KINDS: Partial<Record<OperationState["type"], string>> = { CALLBACK: "callback", CHAINED_INVOKE: "invoke", WAIT: "wait", STEP: "step" }

/**
 * The callbacks, invokes, waits and steps still open in an execution that has not ended (or that timed out or was
 * stopped while they were), as `callback "x" (2)`.
 */
export const waitingOn = (status: string, operations: ReadonlyArray<OperationState>): Array<string> => {
  if (status !== "RUNNING" && status !== "PAUSED" && status !== "TIMED_OUT" && status !== "STOPPED") return []
  const byId = new Map(operations.map((op) => [op.id, op]))
  return operations
    .filter((op) => (op.status === "STARTED" || op.status === "PENDING") && KINDS[op.type] !== undefined)
    .map((op) => {
      // A waitForCallback's callback has no name of its own: it goes by the waitForCallback's.
      const name = op.name ?? (op.parentId === undefined ? undefined : byId.get(op.parentId)?.name)
      return `${KINDS[op.type]}${name === undefined ? "" : ` ${JSON.stringify(name)}`} (${op.id})`
    })
}

/** The callbacks of an execution by name (a waitForCallback's callback goes by its name) and id: `"manager" (1-1)`. */
export const callbacksOf = (operations: ReadonlyArray<OperationState>): Array<{ readonly name: string | undefined; readonly shown: string }> =>
  operations.filter((op) => op.type === "CALLBACK").map((op) => {
    const name = op.name ?? operations.find((parent) => parent.id === op.parentId)?.name
    return { name, shown: `${name === undefined ? "unnamed" : JSON.stringify(name)} (${op.id})` }
  })

/**
 * Responders a run was given for names no callback of the execution has: a misspelt name left its callback to time
 * out (or the run RUNNING), and the failure said only that.
 */
export const strayResponders = (names: ReadonlyArray<string>, operations: ReadonlyArray<OperationState>): Array<string> => {
  const callbacks = callbacksOf(operations)
  const stray = names.filter((name) => !callbacks.some((callback) => callback.name === name))
  if (stray.length === 0) return []
  const has = callbacks.length === 0 ? "none" : callbacks.map((callback) => callback.shown).join(", ")
  return [`  no callback of this execution is named ${stray.map((name) => JSON.stringify(name)).join(", ")}, which the run has responders for (its callbacks: ${has})`]
}
