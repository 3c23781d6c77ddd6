/**
 * The durable-execution client AWS's SDK talks to during one invocation (`getExecutionState`, `checkpoint`),
 * served from the actor's Session: a checkpoint's updates become events appended to the execution's log, and its
 * answer is the operations that changed since the SDK last heard (the SDK merges them and wakes what waits on
 * them). Tokens are one-use per invocation, as the service's are: a stale one is refused.
 */
import type { Session } from "../context/session.ts"
import type { ErrorObject, NewEvent } from "../log/events.ts"
import type { OperationState } from "../log/fold.ts"
import type { IdResolver } from "./operation-ids.ts"
import { isPruned, operationToWire, stateToWire } from "./state-to-wire.ts"
import { InvalidCheckpointError, updatesToEvents } from "./updates-to-events.ts"
import type { CheckpointRequest, CheckpointResponse, DurableExecutionClient, GetStateRequest, GetStateResponse, WireOperation } from "./wire.ts"

export interface ServiceClient extends DurableExecutionClient {
  /** The first token, handed to the SDK in the invocation's envelope. */
  readonly token: string
  /** The operations the envelope carries (the whole state, as of now). */
  initialState(): Array<WireOperation>
  /** True when the log has moved on since the SDK last heard from the service (a completion it has not seen). */
  hasNews(): boolean
  /** The execution's end when the SDK checkpointed it (a result too large to return). */
  end(): { readonly ok: true; readonly result: string | undefined } | { readonly ok: false; readonly error: ErrorObject } | undefined
}

/** What the SDK already knows of an operation: a change to any of these is news to send. */
const fingerprint = (op: OperationState, now: number): string =>
  `${op.status}|${op.attempt}|${op.attemptOpen}|${op.endedAt ?? ""}|${op.callbackId ?? ""}|${op.status === "PENDING" && (op.nextAttemptAt ?? 0) <= now}`

/** `onFrontier`: under the replay check, called when the SDK goes past the end of the log (nothing is written). */
export const makeServiceClient = (session: Session, resolver: IdResolver, invocation: string, onFrontier?: () => void): ServiceClient => {
  let count = 0
  let token = `${invocation}.${count}`
  let end: ReturnType<ServiceClient["end"]>
  /**
   * What the SDK was last told of each operation still open (STARTED, PENDING): only those, and those a checkpoint
   * writes, can change, so an answer costs the open operations, not the whole state. A finished one is told once.
   */
  const open = new Map<string, string>()
  let heardAt = session.state.seq

  const checkToken = (given: string) => {
    if (given !== token) throw new InvalidCheckpointError("Invalid Checkpoint Token")
  }

  const news = (touched: Iterable<string>): Array<WireOperation> => {
    const now = session.now()
    const { state } = session
    const out: Array<WireOperation> = []
    const ids = new Set([...touched, ...open.keys()])
    for (const id of ids) {
      const op = state.operations.get(id)
      if (op === undefined) continue
      const print = fingerprint(op, now)
      if (open.get(id) === print) continue
      if (op.status === "STARTED" || op.status === "PENDING") open.set(id, print)
      else open.delete(id)
      if (!isPruned(state, op)) out.push(operationToWire(op, now))
    }
    return out
  }

  const fillCallbackIds = async (events: Array<NewEvent>) => {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      if (event._tag === "CallbackStarted") events[i] = { ...event, callbackId: await session.newCallbackId(event.id) }
    }
  }

  return {
    get token() {
      return token
    },
    initialState: () => {
      const now = session.now()
      open.clear()
      for (const op of session.state.operations.values()) {
        if (op.status === "STARTED" || op.status === "PENDING") open.set(op.id, fingerprint(op, now))
      }
      heardAt = session.state.seq
      return stateToWire(session.state, now)
    },
    end: () => end,
    hasNews: () => session.state.seq > heardAt,
    getExecutionState: async (request: GetStateRequest): Promise<GetStateResponse> => {
      checkToken(request.CheckpointToken)
      // The envelope carries the whole state, so the SDK only asks again behind a marker it was never given.
      return { Operations: request.Marker ? [] : stateToWire(session.state, session.now()) }
    },
    checkpoint: async (request: CheckpointRequest): Promise<CheckpointResponse> => {
      checkToken(request.CheckpointToken)
      const translate = () => updatesToEvents(request.Updates ?? [], { state: session.state, resolver, now: session.now(), executionId: session.executionId })
      if (session.replayOnly !== undefined) {
        // The replay check stops at the end of the log: the first checkpoint that writes anything is past it.
        if (translate().events.length === 0) return { CheckpointToken: token, NewExecutionState: { Operations: [] } }
        onFrontier?.()
        return new Promise<CheckpointResponse>(() => undefined)
      }
      // While the execution is paused no new operation starts: a checkpoint that starts one is held until resumed.
      if ((request.Updates ?? []).some((update) => update.Action === "START")) await session.whenResumed()
      // An invocation whose actor is gone (evicted after a conflict, or a crash): a fresh one has taken over.
      if (session.gone === true) throw new InvalidCheckpointError("This invocation's actor is gone: another invocation has taken over")
      if (session.state.status !== "RUNNING") throw new InvalidCheckpointError(`The execution is ${session.state.status}: it takes no more checkpoints`)
      const translated = translate()
      const events = translated.events
      await fillCallbackIds(events)
      if (events.length > 0) await session.append(events)
      // The SDK has created these callbacks: a completion may go through (no payload schema on this side).
      for (const event of events) if (event._tag === "CallbackStarted") session.callbackReached(event.id)
      if (translated.end !== undefined) end = translated.end
      token = `${invocation}.${++count}`
      heardAt = session.state.seq
      return { CheckpointToken: token, NewExecutionState: { Operations: news(events.flatMap((e) => ("id" in e ? [e.id] : []))) } }
    }
  }
}
