/**
 * What a message from the outside does to an execution, decided from its state alone: refused (and why), answered
 * with nothing to write, held (a callback completion that waits for the handler), or the events to write. The actor
 * (actor.ts) carries the decision out; keeping the decisions here keeps them pure and the actor to its mechanics.
 */
import type { NewEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"
import { firedWait, invokeOutcomeEvent } from "./actor-events.ts"
import { type Message, refOf, type ReplyError, tooLarge } from "./actor-messages.ts"
import { CallbackAlreadyCompleted, CallbackNotFound, ExecutionNotPaused, ExecutionNotRunning, InvalidRequest, TimerNotPending } from "./engine-errors.ts"
import { stopEventTag } from "./stop-request.ts"

export type Decision =
  | { readonly _tag: "Refuse"; readonly error: ReplyError }
  | { readonly _tag: "Answer" }
  | { readonly _tag: "Hold" }
  /** `activate`: the execution goes on (its watchdog armed again), as after any outside completion. */
  | { readonly _tag: "Write"; readonly events: ReadonlyArray<NewEvent>; readonly activate: boolean }

export type DecidedMessage = Extract<Message, { _tag: "Stop" | "Pause" | "Resume" | "CompleteCallback" | "Heartbeat" | "FireTimer" | "ChildFinished" }>

export interface DecisionContext {
  readonly executionId: string
  readonly running: boolean
  readonly maxPayloadBytes: number
  /** The callback payload gate (callback-gate.ts): hold, a reason to refuse, or undefined to go on. */
  readonly admit: (message: Extract<Message, { _tag: "CompleteCallback" }>, checked: boolean) => "hold" | "paused" | string | undefined
}

const refuse = (error: ReplyError): Decision => ({ _tag: "Refuse", error })
const write = (events: ReadonlyArray<NewEvent>, activate: boolean): Decision => ({ _tag: "Write", events, activate })

export const decide = (state: ExecutionState, message: DecidedMessage, context: DecisionContext): Decision => {
  const { executionId, running } = context
  switch (message._tag) {
    case "Stop":
      if (!running) return refuse(new ExecutionNotRunning({ executionId, status: state.status }))
      // Inside a saga the stop is first a request: the saga compensates, then the execution ends STOPPED. A
      // second stop (or one outside any saga) ends it at once. A request lets the saga's compensations run.
      const tag = stopEventTag(state)
      return write([{ _tag: tag, ...(message.error === undefined ? {} : { error: message.error }) }], tag === "ExecutionStopRequested")
    case "Pause":
      if (!running || state.paused) return refuse(new ExecutionNotRunning({ executionId, status: running ? "PAUSED" : state.status }))
      return write([{ _tag: "ExecutionPaused" }], false)
    case "Resume":
      if (!running || !state.paused) return refuse(new ExecutionNotPaused({ executionId, status: running ? "RUNNING" : state.status }))
      return write([{ _tag: "ExecutionResumed" }], true)
    case "CompleteCallback":
    case "Heartbeat": {
      const op = state.operations.get(message.operationId)
      if (op === undefined || op.type !== "CALLBACK" || op.callbackId !== message.callbackId) {
        return refuse(new CallbackNotFound({ callbackId: message.callbackId }))
      }
      if (op.status !== "STARTED") return refuse(new CallbackAlreadyCompleted({ callbackId: message.callbackId, status: op.status }))
      // Open, but its execution ended first (its handler returned, it failed, a replay of changed code failed it):
      // nothing is recorded, and the answer must not read as a delivery (a client told "already completed" would not
      // send it again).
      if (!running) return refuse(new ExecutionNotRunning({ executionId, status: state.status }))
      const admitted = message._tag === "CompleteCallback" ? context.admit(message, op.checked === true) : undefined
      if (admitted === "hold") return { _tag: "Hold" }
      if (admitted === "paused") return refuse(new ExecutionNotRunning({ executionId, status: "PAUSED" }))
      if (admitted !== undefined) return refuse(new InvalidRequest({ reason: admitted }))
      const ref = refOf(op)
      // A heartbeat moves only a heartbeat timeout: without one it is answered and not written, so that a worker
      // beating every second for days (or anyone holding the id) does not grow the log that every replay reads.
      if (message._tag === "Heartbeat") return op.heartbeatTimeoutMs === undefined ? { _tag: "Answer" } : write([{ _tag: "CallbackHeartbeat", ...ref }], true)
      if (!message.outcome.ok) {
        // An error is a payload too: over the limit it is refused as a result is (it would be stored, and copied again
        // into the execution's error if it ends it).
        if (tooLarge(JSON.stringify(message.outcome.error), context.maxPayloadBytes)) {
          return refuse(new InvalidRequest({ reason: `The callback error is over the ${context.maxPayloadBytes}-byte payload limit`, payloadTooLarge: true }))
        }
        return write([{ _tag: "CallbackFailed", ...ref, error: message.outcome.error }], true)
      }
      const result = message.outcome.result
      if (result !== undefined && tooLarge(result, context.maxPayloadBytes)) {
        return refuse(new InvalidRequest({ reason: `The callback result is over the ${context.maxPayloadBytes}-byte payload limit`, payloadTooLarge: true }))
      }
      return write([{ _tag: "CallbackSucceeded", ...ref, ...(result === undefined ? {} : { result }) }], true)
    }
    case "FireTimer": {
      const fired = firedWait(state, message.operationId, running)
      if (typeof fired === "string") return refuse(new TimerNotPending({ executionId, operationId: message.operationId, reason: fired }))
      return write([fired], true)
    }
    case "ChildFinished": {
      const op = state.operations.get(message.operationId)
      // Already recorded, or nothing waits any more.
      if (op === undefined || op.type !== "CHAINED_INVOKE" || op.status !== "STARTED" || !running) return { _tag: "Answer" }
      return write([invokeOutcomeEvent(refOf(op), message.outcome)], true)
    }
  }
}
