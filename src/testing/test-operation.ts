/** One operation of an execution as a test sees it (`TestExecution.operations`, `getOperation`, `callback`). */
import { parsedInput } from "../engine/flow-keys.ts"
import type { ErrorObject } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"

/** One operation as a test sees it; `result` is JSON-parsed where it can be. */
export class TestOperation {
  readonly state: Readonly<OperationState>
  readonly #all: ReadonlyArray<OperationState>
  constructor(state: Readonly<OperationState>, all: ReadonlyArray<OperationState>) {
    this.state = state
    this.#all = all
  }
  get id() { return this.state.id }
  get parentId() { return this.state.parentId }
  get name() { return this.state.name }
  get type() { return this.state.type }
  get subType() { return this.state.subType }
  get status() { return this.state.status }
  get attempt() { return this.state.attempt }
  get result(): unknown { return parsedInput(this.state.result) }
  /** The recorded error; for a callback that timed out (the log records none), the error its waiter was given. */
  get error(): ErrorObject | undefined {
    if (this.state.error !== undefined || this.state.type !== "CALLBACK" || this.state.status !== "TIMED_OUT") return this.state.error
    return { errorType: "CallbackTimeoutError", errorMessage: this.state.timedOutReason === "heartbeat" ? "Callback timed out on heartbeat" : "Callback timed out" }
  }
  get startedAt(): Date { return new Date(this.state.startedAt) }
  get endedAt(): Date | undefined { return this.state.endedAt === undefined ? undefined : new Date(this.state.endedAt) }
  get callbackId(): string | undefined { return this.state.callbackId }
  get waitUntil(): Date | undefined { return this.state.until === undefined ? undefined : new Date(this.state.until) }
  get nextAttemptAt(): Date | undefined { return this.state.nextAttemptAt === undefined ? undefined : new Date(this.state.nextAttemptAt) }
  children(): ReadonlyArray<TestOperation> {
    return this.#all.filter((op) => op.parentId === this.id).map((op) => new TestOperation(op, this.#all))
  }
}
