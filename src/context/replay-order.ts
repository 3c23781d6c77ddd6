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
 * awaits something else first), the earliest waiting one goes next: the order is then only as good as it was
 * before, never a hang.
 *
 * A callback settles twice: its creation (`createCallback` answers once its CallbackStarted is written, after the
 * ends written before it) and its result. Its creation takes a turn of its own at the seq of CallbackStarted (keyed
 * `creationKey`): settled at once, its caller took ids ahead of ends the log holds first (the replay probe: the usual
 * "create a callback, hand its id out in a step" beside a lane of steps failed as non-deterministic).
 *
 * An operation that had not ended when the handler started (a callback completed while the execution was evicted,
 * a wait that fell due, any new operation) ended after every recorded one: its result waits until the turns are
 * over and the last one's continuation has had its rounds, or until the replay has stopped moving for a round (a
 * turn nobody calls).
 */
import type { ExecutionState, OperationState } from "../log/fold.ts"
import { realQueueMicrotask } from "./real-timers.ts"

/** Rounds of microtasks a continuation gets to make its next call (as QUEUED_WRITE_ROUNDS in actor-scheduler.ts). */
const SETTLE_ROUNDS = 32

/** Child contexts whose body runs again on replay once ended: their operations are called again. */
const BODY_REPLAYED = new Set(["WaitForCallback", "SagaBody"])

const ended = (op: OperationState): boolean => op.endSeq !== undefined && op.status !== "STARTED" && op.status !== "PENDING"

/** The turn of a callback's creation, beside the turn of its end (keyed by its id). */
export const creationKey = (id: string): string => `${id}+created`

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

/** One function for every rejection ignored until its turn, not a closure per operation. */
const ignore = () => undefined
/** A recorded operation that went on its turn: settled one microtask later, as every other of a replayed run. */
const same = <T>(value: T): T => value

export class ReplayOrder {
  /** Each operation's turn: its place among the replayed operations by the order they ended. */
  readonly #turnOf: Map<string, number>
  readonly #turns: number
  /** The turn that settles next; earlier turns are over (or were skipped). */
  #next = 0
  /** Operations called before their turn, by turn. */
  readonly #waiting = new Map<number, () => void>()
  /**
   * Results of operations that had not ended, held until the replay is over, with the seq of their ends: let go one
   * at a time in that order, each continuation with its rounds, as the next replay will (`#letLiveGo`).
   */
  #live: Array<{ readonly id: string; readonly resolve: () => void }> = []
  #over = false
  /** The turns are over and the results held are being let go. */
  #lettingGo = false
  /**
   * Rounds running: after a body began ("start": every turn waits for them), after an operation was let go
   * ("release": its continuation may still be running, so the next in turn waits for them when others wait), or
   * only to see whether the replay still moves ("watch").
   */
  #rounds: "start" | "release" | "watch" | undefined
  #generation = 0
  /** `#next` when the rounds began: unchanged at their end, the replay has stopped moving. */
  #nextAtRounds = 0
  /** Counts the ticks in which a turn went at once (a microtask moves it on), and the tick of the last such turn. */
  #tick = 0
  #tickEnding = false
  #grantedInTick = -1
  /** The log's last seq when the handler started: an operation that ended after it is one that had not ended. */
  readonly startSeq: number

  readonly #state: ExecutionState

  private constructor(state: ExecutionState, turnOf: Map<string, number>, startSeq: number) {
    this.#state = state
    this.#turnOf = turnOf
    this.#turns = turnOf.size
    this.startSeq = startSeq
  }

  /** The order of the operations `state` holds as ended; undefined when there is none (a first run). */
  static of(state: ExecutionState): ReplayOrder | undefined {
    let turns: Array<{ readonly key: string; readonly seq: number }> | undefined
    for (const op of state.operations.values()) {
      const endedHere = ended(op)
      if ((!endedHere && op.createdSeq === undefined) || !reached(state, op)) continue
      if (op.createdSeq !== undefined) (turns ??= []).push({ key: creationKey(op.id), seq: op.createdSeq })
      if (endedHere) (turns ??= []).push({ key: op.id, seq: op.endSeq! })
    }
    if (turns === undefined) return undefined
    turns.sort((a, b) => a.seq - b.seq)
    const turnOf = new Map<string, number>()
    for (let i = 0; i < turns.length; i++) turnOf.set(turns[i]!.key, i)
    return new ReplayOrder(state, turnOf, state.seq)
  }

  /**
   * Called when operation `id` is called: undefined when it may settle now (it is not a replayed operation, or it is
   * the next to settle), else a promise that resolves at its turn.
   */
  turn(id: string): Promise<void> | undefined {
    const turn = this.#turnOf.get(id)
    if (turn === undefined || turn < this.#next) return undefined
    if (this.#rounds === "start") {
      // A body has just begun: its lanes make their first calls before any turn goes (`bodyStarted`).
      return new Promise<void>((resolve) => this.#waiting.set(turn, resolve))
    }
    // Next in turn goes at once, unless the one let go before it may still be running its continuation: others wait
    // during its rounds, or it went in this same tick (operations called side by side, `a.then(…)` beside
    // `b.then(…)`: b went before a's continuation could make its call; the replay probe). Code that awaits one
    // operation at a time calls the next from a later tick, with none waiting: it goes at once.
    if (turn === this.#next && (this.#waiting.size === 0 || this.#rounds !== "release") && this.#grantedInTick !== this.#tick) {
      this.#next++
      this.#grantedInTick = this.#tick
      this.#endTickLater()
      // The last turn's continuation gets its rounds before the replay is over (results held until then).
      if (this.#waiting.size > 0 || this.#next === this.#turns) this.#startRounds("release")
      return undefined
    }
    if (turn === this.#next && this.#grantedInTick === this.#tick) {
      // Called in the tick another went: that one's continuation has its rounds before this one goes.
      return new Promise<void>((resolve) => {
        this.#waiting.set(turn, resolve)
        this.#startRounds("release")
      })
    }
    return new Promise<void>((resolve) => {
      this.#waiting.set(turn, resolve)
      if (this.#rounds === undefined) this.#startRounds("watch")
    })
  }

  /**
   * A context's body begins (the handler's, or a child's run again): no turn goes until it has had its rounds. On a
   * first run its lanes' first calls come before any operation ends (an end takes a write; the first run's side is
   * write-releases.ts `bodyStarted`); a turn that went at once let its continuation call before a lane that awaited
   * a few microtasks first (`await helper()`), and the replay failed as non-deterministic (the fuzz).
   */
  bodyStarted(): void {
    if (!this.#over && !this.#lettingGo && this.#next < this.#turns) this.#startRounds("start")
  }

  /**
   * `running`, the promise of an operation that is not a waiting turn, settled after the replay. Always one `then`
   * more, also once the replay is over: every operation of a replayed run settles one microtask after its own
   * promise, so two that end in one batch reach the code in the order they ended (the review: one held during the
   * replay and one begun after it, due together, took each other's ids).
   */
  afterReplay<T>(running: Promise<T>, held: boolean, id: string): Promise<T> {
    if (!held) return running.then(same)
    return running.then(
      (value) => (this.#over ? value : this.#untilOver(id).then(() => value)),
      (error: unknown) => (this.#over ? Promise.reject(error) : this.#untilOver(id).then(() => Promise.reject(error)))
    )
  }

  #untilOver(id: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#live.push({ id, resolve })
      if (this.#rounds === undefined && !this.#lettingGo) this.#startRounds("watch")
    })
  }

  /**
   * Lets the held results go in the order of their ends, each continuation with its rounds before the next: let go
   * together, they reached the code in the depth of their promise chains (a failed child's is longer), and the next
   * replay, which paces them, failed (the probe, under load). Over once none is left.
   */
  #seqOf(id: string): number {
    const op = this.#state.operations.get(id)
    return op?.endSeq ?? op?.createdSeq ?? Infinity
  }

  #letLiveGo(): void {
    const live = this.#live
    if (live.length === 0) {
      this.#lettingGo = false
      this.#over = true
      return
    }
    // Read now, not when the result came: a child's caller goes on before its outcome is written (the review).
    // Those whose end is still unwritten go last, in the order they came.
    let first = 0
    let firstSeq = this.#seqOf(live[0]!.id)
    for (let i = 1; i < live.length; i++) {
      const seq = this.#seqOf(live[i]!.id)
      if (seq < firstSeq) {
        first = i
        firstSeq = seq
      }
    }
    const [next] = live.splice(first, 1)
    next!.resolve()
    let left = SETTLE_ROUNDS
    const round = () => {
      if (--left > 0) return realQueueMicrotask(round)
      this.#letLiveGo()
    }
    realQueueMicrotask(round)
  }

  /** Moves the tick on once the current synchronous run is over (one microtask per tick in which a turn went). */
  #endTickLater(): void {
    if (this.#tickEnding) return
    this.#tickEnding = true
    realQueueMicrotask(() => {
      this.#tickEnding = false
      this.#tick++
    })
  }

  #startRounds(kind: "start" | "release" | "watch"): void {
    this.#rounds = kind
    this.#nextAtRounds = this.#next
    const generation = ++this.#generation
    let left = SETTLE_ROUNDS
    const round = () => {
      if (generation !== this.#generation) return // rounds begun since replace these
      if (--left > 0) return realQueueMicrotask(round)
      this.#rounds = undefined
      this.#roundsEnded()
    }
    realQueueMicrotask(round)
  }

  #roundsEnded(): void {
    if (this.#waiting.size > 0) {
      let turn = this.#next
      if (!this.#waiting.has(turn)) {
        // The operation whose turn it is was not called: the earliest waiting one goes.
        turn = Infinity
        for (const waiting of this.#waiting.keys()) if (waiting < turn) turn = waiting
      }
      const resolve = this.#waiting.get(turn)!
      this.#waiting.delete(turn)
      this.#next = turn + 1
      this.#grantedInTick = this.#tick
      this.#endTickLater()
      resolve()
      this.#startRounds("release")
      return
    }
    if (this.#over || this.#lettingGo) return
    if (this.#next >= this.#turns || (this.#live.length > 0 && this.#next === this.#nextAtRounds)) {
      // Every turn went, or none moved for a round (the rest are never called): results held go now.
      this.#turnOf.clear() // a turn called from now on goes at once (it is behind, or was never going to come)
      this.#lettingGo = true
      this.#letLiveGo()
      return
    }
    if (this.#live.length > 0) this.#startRounds("watch")
  }
}

const orders = new WeakMap<object, ReplayOrder>()

/** Made when the handler starts (handler-run.ts, the replay check): the order of what the log holds then. */
export const startReplayOrder = (session: { readonly state: ExecutionState }): void => {
  const order = ReplayOrder.of(session.state)
  if (order === undefined) orders.delete(session)
  else orders.set(session, order)
}

/** The body of context `contextId` ("" the handler's) begins: its lanes get rounds to make their first calls. */
export const bodyStarted = (session: { bodyStarted?(contextId: string): void }, contextId: string): void => {
  orders.get(session)?.bodyStarted()
  session.bodyStarted?.(contextId)
}

/** The order of the session's replay, if it has one (ContextCore keeps it). */
export const replayOrderOf = (session: object): ReplayOrder | undefined => orders.get(session)

/**
 * `running` (an operation's promise) settled no earlier than its turn, or than the replay's end (see above). In a
 * replayed run every operation's promise goes through here (`replay` set), a first run's none.
 */
export const afterTurn = <T>(
  begun: { readonly id: string; readonly turn: Promise<void> | undefined; readonly replay: ReplayOrder | undefined; readonly held: boolean },
  running: Promise<T>
): Promise<T> => {
  if (begun.turn !== undefined) return atTurn(begun.turn, running)
  return begun.replay === undefined ? running : begun.replay.afterReplay(running, begun.held, begun.id)
}

/** A callback's creation (`running`: createCallback's answer), settled no earlier than its turn on replay. */
export const afterCreation = <T>(begun: { readonly creationTurn?: Promise<void> | undefined }, running: Promise<T>): Promise<T> =>
  begun.creationTurn === undefined ? running : atTurn(begun.creationTurn, running)

const atTurn = <T>(turn: Promise<void>, running: Promise<T>): Promise<T> => {
  running.then(undefined, ignore) // its rejection is handled at its turn
  return turn.then(() => running)
}
