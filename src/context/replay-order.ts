/**
 * On replay, recorded operations settle in the order they ended the first time, not the order they were called.
 *
 * Ids follow the order of calls. Code that calls from the continuation of an operation running beside others
 * (`a.then(() => ctx.step("a2"))` beside `b.then(() => ctx.step("b2"))`) took its ids in the order those operations
 * ended; a replay that settled them in call order gave the continuations other ids, and the execution failed as
 * non-deterministic after a crash (AWS's SDK fails so too). So a recorded operation called out of its turn waits
 * until the operations that ended before it have settled and their continuations have run (rounds of microtasks, as
 * the actor's queued writes wait: no event-loop turn). Code that awaits one operation at a time never waits here.
 *
 * The turns are the operations the log holds as ended when the handler starts (`endSeq`, fold.ts) that the replay
 * will call again: those of a child context that returns its recorded result without running its body are never
 * called, so they take no turn. When the operation whose turn it is is not called within the rounds (code that
 * awaits something else first), the earliest waiting operation goes next: the order is then only as good as it
 * was before, never a hang.
 */
import type { ExecutionState, OperationState } from "../log/fold.ts"
import { realQueueMicrotask } from "./real-timers.ts"

/** Rounds of microtasks a continuation gets to make its next call (as QUEUED_WRITE_ROUNDS in actor-scheduler.ts). */
const SETTLE_ROUNDS = 32

/** Child contexts whose body runs again on replay once ended: their operations are called again. */
const BODY_REPLAYED = new Set(["WaitForCallback", "SagaBody"])

const ended = (op: OperationState): boolean => op.endSeq !== undefined && op.status !== "STARTED" && op.status !== "PENDING"

/** True when replay reaches `op`: no ended ancestor context returns its result without running its body. */
const reached = (state: ExecutionState, op: OperationState): boolean => {
  for (let parentId = op.parentId; parentId !== undefined;) {
    const parent = state.operations.get(parentId)
    if (parent === undefined) return true
    if (ended(parent) && parent.replayChildren !== true && !BODY_REPLAYED.has(parent.subType)) return false
    parentId = parent.parentId
  }
  return true
}

export class ReplayOrder {
  /** Each operation's turn: its place among the replayed operations by the order they ended. */
  readonly #turnOf: Map<string, number>
  /** The turn that settles next; earlier turns are over (or were skipped). */
  #next = 0
  /** Operations called before their turn, by turn. */
  readonly #waiting = new Map<number, () => void>()
  /** While true, an operation was let go and its continuation may still be running: the next waits for the rounds. */
  #settling = false
  #rounds = 0

  private constructor(turnOf: Map<string, number>) {
    this.#turnOf = turnOf
  }

  /** The order of the operations `state` holds as ended; undefined when there is none (a first run). */
  static of(state: ExecutionState): ReplayOrder | undefined {
    let endedOps: Array<OperationState> | undefined
    for (const op of state.operations.values()) {
      if (ended(op) && reached(state, op)) (endedOps ??= []).push(op)
    }
    if (endedOps === undefined || endedOps.length < 2) return undefined
    endedOps.sort((a, b) => a.endSeq! - b.endSeq!)
    const turnOf = new Map<string, number>()
    for (let i = 0; i < endedOps.length; i++) turnOf.set(endedOps[i]!.id, i)
    return new ReplayOrder(turnOf)
  }

  /**
   * Called when operation `id` is called: undefined when it may settle now (it is not a replayed operation, or it is
   * the next to settle), else a promise that resolves at its turn.
   */
  turn(id: string): Promise<void> | undefined {
    const turn = this.#turnOf.get(id)
    if (turn === undefined || turn < this.#next) return undefined
    // Next in turn goes at once, unless others wait and the one let go last may still be running its continuation.
    // Code that awaits one operation at a time has none waiting, also after an operation that had to wait.
    if (turn === this.#next && (this.#waiting.size === 0 || !this.#settling)) {
      this.#next++
      if (this.#waiting.size > 0) this.#settle()
      return undefined
    }
    return new Promise<void>((resolve) => {
      this.#waiting.set(turn, resolve)
      if (!this.#settling) this.#settle()
    })
  }

  /** Gives continuations their rounds of microtasks, then lets the next waiting operation go. */
  #settle(): void {
    this.#settling = true
    const generation = ++this.#rounds
    let left = SETTLE_ROUNDS
    const round = () => {
      if (generation !== this.#rounds) return // a later release restarted the rounds
      if (--left > 0) return realQueueMicrotask(round)
      this.#settling = false
      this.#release()
    }
    realQueueMicrotask(round)
  }

  #release(): void {
    if (this.#waiting.size === 0) return
    let turn = this.#next
    if (!this.#waiting.has(turn)) {
      // The operation whose turn it is was not called: the earliest waiting one goes.
      turn = Infinity
      for (const waiting of this.#waiting.keys()) if (waiting < turn) turn = waiting
    }
    const resolve = this.#waiting.get(turn)!
    this.#waiting.delete(turn)
    this.#next = turn + 1
    resolve()
    this.#settle()
  }
}

const orders = new WeakMap<object, ReplayOrder>()

/** Made when the handler starts (handler-run.ts, the replay check): the order of what the log holds then. */
export const startReplayOrder = (session: { readonly state: ExecutionState }): void => {
  const order = ReplayOrder.of(session.state)
  if (order === undefined) orders.delete(session)
  else orders.set(session, order)
}

/** Operation `id` is called (context-core.ts `begin`): undefined when it may settle now, else its turn. */
export const replayTurn = (session: object, id: string): Promise<void> | undefined => orders.get(session)?.turn(id)

/** One function for every rejection ignored until its turn, not a closure per operation. */
const ignore = () => undefined

/** `running` (an operation's promise) settled no earlier than its turn (see above). */
export const afterTurn = <T>(turn: Promise<void> | undefined, running: Promise<T>): Promise<T> => {
  if (turn === undefined) return running
  running.then(undefined, ignore) // its rejection is handled at its turn
  return turn.then(() => running)
}
