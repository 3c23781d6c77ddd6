/**
 * The actor: the single writer of one execution (design.md §4). Messages arrive in a Queue mailbox and are
 * handled one batch at a time; the appends a batch carries go to the store in one conditional write. The user's
 * handler runs beside it in Promise-land and talks to it through the Session interface. This file is the actor's
 * life and mailbox loop; its pieces share one ActorParts (actor-parts.ts): the Session (actor-session.ts), each
 * message's handling (actor-handle.ts), the write path (actor-writes.ts), timers and the alarm (actor-alarm.ts),
 * the handler's run (handler-run.ts).
 */
import { Cause, Deferred, Effect, Exit, Option, Queue } from "effect"
import { ExecutionStoppedError } from "../context/errors.ts"
import type { ExecutionState } from "../log/fold.ts"
import { ActorActivity } from "./actor-activity.ts"
import { ActorAlarm, fireDue, syncAlarm } from "./actor-alarm.ts"
import { tellsParent } from "./actor-events.ts"
import type { ActorParts } from "./actor-parts.ts"
import { afterMicrotasks, QUEUED_WRITE_ROUNDS } from "./actor-scheduler.ts"
import { ActorSession } from "./actor-session.ts"
import { CallbackGate } from "./callback-gate.ts"
import { type ActorDeps, ActorGone, type Message, type Reply, type ReplyError, type StoreError } from "./actor-messages.ts"
import { HandlerStart } from "./handler-run.ts"
import { ActorWrites } from "./actor-writes.ts"
import { handle } from "./actor-handle.ts"
import { OperationWaiters } from "./operation-waiters.ts"
import { PauseHold } from "./pause-hold.ts"
import { StopRequestWaiters } from "./stop-request.ts"
import { LeftBehind } from "./left-behind.ts"
import { SlotRelease } from "./slot-release.ts"

export class Actor {
  readonly executionId: string
  /** What user code calls (actor-session.ts): the handler's contexts and drivers run over it. */
  readonly session: ActorSession

  readonly #mailbox: Queue.Queue<Message>
  /** What the actor's pieces share (actor-parts.ts). */
  readonly #parts: ActorParts
  readonly #deps: ActorDeps
  /** What user code waits on (whenChanged, markAwaited). */
  readonly #waiters = new OperationWaiters()
  /** Operation timers, the store's alarm and the watchdog. */
  readonly #alarm: ActorAlarm
  /** Sagas waiting for a stop request (saga.ts). */
  readonly #stopWaiters = new StopRequestWaiters()
  /** User code and the handler's outcome held while the execution is paused. */
  readonly #pause = new PauseHold()
  /** When the handler starts: once, not while paused (handler-run.ts). */
  readonly #handler = new HandlerStart()
  /** The appends of this batch and the write that makes them durable (actor-writes.ts). */
  readonly #writes: ActorWrites
  readonly #activity = new ActorActivity()
  /** Aborted once the execution is stopped: the step bodies still running see it in their signal. */
  readonly #stopped = new AbortController()
  /** Session.left (left-behind.ts): Effect-written functions interrupt their fibers on it. */
  readonly #left = new LeftBehind()
  #gone = false
  /** Set when the actor stopped because its store failed it (or it crashed): the message it was handling gets it. */
  #death: Cause.Cause<StoreError> | undefined
  /** The messages taken from the mailbox and not yet all handled: answered if the actor stops meanwhile. */
  #batch: ReadonlyArray<Message> = []
  /** The message being handled (its write is the one that failed, if the actor stops now). */
  #current: Message | undefined
  /** Payload checks of the callbacks the handler has reached; completions held until it does (callback-gate.ts). */
  readonly #callbackGate = new CallbackGate(
    (message) => this.#offer(message),
    () => this.#activity.whenIdle(() => this.#gone, () => this.#blocked(), `Execution ${this.executionId}`, Infinity),
    () => this.#handler.waitsForResume(this.state)
  )

  static make(state: ExecutionState, deps: ActorDeps): Effect.Effect<Actor> {
    return Effect.map(Queue.unbounded<Message>(), (mailbox) => new Actor(state, deps, mailbox))
  }

  readonly state: ExecutionState

  private constructor(state: ExecutionState, deps: ActorDeps, mailbox: Queue.Queue<Message>) {
    this.state = state
    this.executionId = state.executionId
    this.#deps = deps
    this.#alarm = new ActorAlarm(deps.alarmAt, deps.watchdogAt)
    this.#mailbox = mailbox
    for (const op of state.operations.values()) this.#alarm.track(op)
    // Ended with an alarm short of retention's: its parent may not have been told (the Alarm tells it again).
    if (tellsParent(state) && deps.alarmAt !== undefined && deps.alarmAt < state.endedAt! + state.retentionMs) this.#alarm.tellingSince = state.endedAt
    const self = this
    this.#parts = {
      executionId: this.executionId,
      state,
      deps,
      get gone() {
        return self.#gone
      },
      stopped: this.#stopped.signal,
      left: this.#left.signal,
      activity: this.#activity,
      waiters: this.#waiters,
      alarm: this.#alarm,
      pause: this.#pause,
      stopWaiters: this.#stopWaiters,
      callbackGate: this.#callbackGate,
      slotRelease: this.#slotRelease,
      now: this.now,
      offer: (message) => this.#offer(message),
      activate: () => this.#alarm.activate(),
      startHandler: () => this.#startHandler(),
      queue: (events) => this.#writes.queue(events),
      flush: () => this.#writes.flush(),
      written: (reply) => this.#written(reply),
      ended: () => this.#ended(),
      evict: () => this.evict(),
      stop: (message, cause) => this.#stop(message, cause)
    }
    this.#writes = new ActorWrites(this.#parts)
    this.session = new ActorSession(this.#parts)
  }

  /** A step body (or other user code the actor counts) is running. */
  get userCodeRunning(): boolean { return !this.#gone && this.#activity.userCode > 0 }

  get gone(): boolean { return this.#gone }

  /** Step bodies still running (after the execution ended, those a stop abandoned), gone or not. */
  get bodiesRunning(): boolean {
    return this.#activity.userCode > 0
  }

  /** Resolves once no step body runs, or after `maxMs`. */
  bodiesSettled(maxMs: number): Promise<void> {
    return this.#activity.whenUserCodeDone(maxMs)
  }

  /** Gone, or no user code runs, nothing is queued or handled and every write is done (engine-drain.ts). */
  get quiet(): boolean {
    return this.#gone || (this.#activity.quiet && this.#writes.empty)
  }

  get running(): boolean {
    return this.state.status === "RUNNING"
  }

  now = (): number => this.#deps.clock.currentTimeMillisUnsafe()

  /** A suspended execution gives its concurrency slot back (slot-release.ts). */
  readonly #slotRelease = new SlotRelease(
    () => this.#deps.slot,
    () => this.evictable || this.#gone || !this.running,
    () => this.#waiters.size > 0 && this.#activity.userCode === 0
  )

  // ---- messages from the engine ----

  /**
   * Sends a message and waits for its reply; `E` names the errors this message can answer with. Any message can
   * also be answered with ActorGone (send it again) or, when the store failed its write, the store's error.
   */
  send<E extends ReplyError>(make: (reply: Reply) => Message): Effect.Effect<void, E | ActorGone | StoreError> {
    return Effect.suspend(() => this.offerNow<E>(make))
  }

  /** As `send`, but the message is in the mailbox as this returns (before the actor's fiber can take anything). */
  offerNow<E extends ReplyError>(make: (reply: Reply) => Message): Effect.Effect<void, E | ActorGone | StoreError> {
    if (this.#gone) return Effect.fail(new ActorGone())
    const reply = Deferred.makeUnsafe<void, ReplyError>()
    this.#offer(make(reply))
    return Deferred.await(reply) as Effect.Effect<void, E | ActorGone | StoreError>
  }

  /** Resolves once no message is queued, no step body runs, and the handler is blocked on durable operations or over. */
  whenIdle(maxMs?: number): Promise<void> {
    // Once the execution has ended, whatever user code still runs is abandoned: nothing more can happen.
    const over = () => this.#gone || (!this.running && this.#activity.inbox === 0 && !this.#activity.processing)
    return this.#activity.whenIdle(over, () => this.#blocked(), `Execution ${this.executionId}`, maxMs)
  }

  /**
   * The handler can go no further by itself: it has ended, or it is held by a pause (or not started, loaded while
   * paused), or code waits on a durable operation that user code has awaited (operation-waiters.ts), or a step
   * waits for its concurrency slot (it goes on only when another execution gives one back).
   */
  #blocked(): boolean {
    return !this.running || this.#pause.holding || this.#handler.waitsForResume(this.state) || this.#waiters.blockHandler() ||
      this.#activity.slotWaits > 0
  }

  /**
   * True when evicting the actor loses nothing: the execution has ended, or its handler is blocked on durable
   * operations only (someone waits on one, no step body runs or waits for its concurrency slot, nothing is queued).
   */
  get evictable(): boolean {
    return this.#idle() && !this.waitsForSlotOrTurn
  }

  /**
   * A step waits for its concurrency slot, or its turn under a step limit, in a running execution (actor-activity.ts).
   * Once the execution has ended the wait is dropped (the in-memory and Cloudflare slots leave it unsettled).
   */
  get waitsForSlotOrTurn(): boolean {
    return this.#activity.waitsToGoOn && this.running
  }

  /**
   * True when another host may take the execution over: evictable, or idle but for steps waiting for their slot or
   * turn, which wait on the new holder as well (it loads the execution at once); the idle eviction would lose them.
   */
  get handsOver(): boolean {
    return this.#idle()
  }

  #idle(): boolean {
    // Held for a resume (at an operation, or with its outcome) counts as blocked (#blocked): a replay holds it again.
    return !this.#gone && this.#activity.quiet && this.#writes.empty && this.#blocked()
  }

  /**
   * Paused between operations with its concurrency slot: it keeps the slot (docs/flow-control.md), so the idle eviction
   * leaves it in memory (else a queued start ran while it was paused). A hand-over still lets it go.
   */
  get keepsSlot(): boolean {
    return this.#pause.holding && this.#deps.slot?.held === true && !this.#waiters.blockHandler()
  }

  /** How often the execution went on: what a Suspend carries, so that one decided before a completion is refused. */
  get activations(): number {
    return this.#alarm.activations
  }

  /** Told it is idle (a Suspend took): its alarm is the next timer, without the watchdog. */
  get suspended(): boolean {
    return !this.#alarm.active
  }

  /** The earliest operation timer (waits, callback timeouts, retries), without the execution's own alarms. */
  nextOperationDue(): number | undefined {
    return this.#alarm.nextOperationDue(this.state)
  }

  /** The engine told the parent of this ended child its outcome: the alarm can go to retention. */
  parentTold(): void {
    if (!this.#gone) this.#offer({ _tag: "ParentTold" })
  }

  /** Stops the actor: user code still running is abandoned and can no longer write. */
  evict(): void {
    if (this.#gone) return
    this.#gone = true
    this.#activity.wake()
    this.#waiters.clear()
    this.#pause.drop()
    this.#writes.drop()
    this.#callbackGate.drop()
    this.session.giveBackTurns()
    this.#left.leave(this.#activity, this.executionId)
    Queue.offerUnsafe(this.#mailbox, { _tag: "Suspend", reply: Deferred.makeUnsafe<void, ReplyError>() })
    this.#deps.onGone()
  }

  /**
   * The actor's life: fire what is already due, start the handler (or, loaded for a stop or a pause, once that
   * message is handled: ActorDeps.handlerAfterFirstMessage), then serve the mailbox until evicted. However it ends,
   * every message it took or still holds is answered, and a failure that stops it is logged with its cause.
   */
  readonly run: Effect.Effect<void> = Effect.suspend(() =>
    this.#serve.pipe(
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.sync(() => this.evict())
          : this.#stop("The actor failed; it stops, and the message it was handling is answered with the failure", cause)
      ),
      Effect.ensuring(this.#answerLeftovers),
      // Interrupted without an eviction (the engine's scope closing, its host shutting down): user code left too.
      Effect.ensuring(Effect.sync(() => this.#left.leave(this.#activity, this.executionId))),
      Effect.annotateLogs({ executionId: this.executionId, functionName: this.state.functionName })
    )
  )

  readonly #serve: Effect.Effect<void, never> = Effect.gen({ self: this }, function*() {
    yield* this.#fireDue()
    yield* this.#writes.flush()
    if (this.running) {
      for (const op of this.state.operations.values()) {
        if (op.type === "CHAINED_INVOKE" && op.status === "STARTED") this.#deps.onInvoke(op)
      }
    }
    let handlerPending = this.#deps.handlerAfterFirstMessage === true
    if (this.running && !this.#gone && !handlerPending) this.#startHandler()
    yield* this.#syncAlarm()
    while (!this.#gone) {
      const handling = this.#take(yield* Queue.takeAll(this.#mailbox))
      if (handling !== undefined) yield* handling
      if (handlerPending) {
        // The message it was loaded for is handled: a stopped execution runs nothing, a paused one holds its steps.
        handlerPending = false
        yield* this.#writes.flush()
        if (this.running && !this.#gone) this.#startHandler()
      }
      // Nobody waits on what is pending (a child context's start or outcome, queued as AWS's SDK queues them): the
      // handler goes on for a few rounds of microtasks first, and what it writes meanwhile (the context's first
      // step, the end) shares their commit.
      if (this.#writes.onlyQueued && !this.#gone) {
        yield* afterMicrotasks(QUEUED_WRITE_ROUNDS)
        yield* this.#takeArrived
      }
      // Callers of the last write go on one at a time (write-releases.ts): what they append meanwhile shares the next
      // write. Bounded: the hold ends with their rounds of microtasks, never waits for a write.
      yield* this.#whilePaced(this.#takeArrived)
      yield* this.#writes.flush()
      yield* this.#syncAlarm()
      if (!this.#gone) this.#batch = [] // else it holds what is still to answer
      this.#activity.processing = false
      this.#activity.changed()
    }
  })

  // ---- internals ----

  /** Takes what arrived in the mailbox meanwhile, if anything did (appends join the pending write). */
  readonly #takeArrived: Effect.Effect<void> = Effect.suspend(() => {
    if (Queue.sizeUnsafe(this.#mailbox) === 0 || this.#gone) return Effect.void
    return Effect.flatMap(Queue.takeAll(this.#mailbox), (batch) => this.#take(batch) ?? Effect.void)
  })

  /** Waits while callers of a write are paced (write-releases.ts `pacing`), doing `meanwhile` after each wait. */
  #whilePaced(meanwhile: Effect.Effect<void>): Effect.Effect<void> {
    return Effect.suspend(() => {
      const paced = this.#gone ? undefined : this.session.pacing()
      return paced === undefined ? Effect.void : Effect.promise(() => paced).pipe(Effect.andThen(meanwhile), Effect.andThen(this.#whilePaced(meanwhile)))
    })
  }

  /** How a stopped actor answers the message it was handling: the failure that stopped it, else "send it again". */
  #goneExit(): Exit.Exit<never, ActorGone | StoreError> {
    return this.#death === undefined ? Exit.fail(new ActorGone()) : Exit.failCause(this.#death)
  }

  /**
   * Takes messages from the mailbox: appends join the pending write, the others are handled in order, by the
   * Effect returned (undefined when the batch held appends only, as a step's does: no Effect to make and run).
   */
  #take(batch: ReadonlyArray<Message>): Effect.Effect<void> | undefined {
    this.#batch = batch
    this.#activity.inbox -= batch.length
    this.#activity.processing = true
    for (let i = 0; i < batch.length; i++) {
      if (this.#gone) return undefined // the rest of the batch is answered on the way out (#answerLeftovers)
      const message = batch[i]!
      if (message._tag !== "Append") return this.#handleFrom(batch, i)
      this.#writes.push(message)
    }
    return undefined
  }

  #handleFrom(batch: ReadonlyArray<Message>, from: number): Effect.Effect<void> {
    return Effect.gen({ self: this }, function*() {
      for (let i = from; i < batch.length; i++) {
        if (this.#gone) break
        const message = batch[i]!
        if (message._tag === "Append") {
          this.#writes.push(message)
          continue
        }
        this.#current = message
        // Callers of a write still paced one at a time (write-releases.ts) go on before what this message writes
        // wakes its own (a wait that fires, a completion): a replay settles them in the log's order. Rounds only.
        if (message._tag !== "HandlerDone") {
          yield* this.#whilePaced(Effect.void)
          if (this.#gone) break
        }
        // What is pending is written before a message is decided on, except the handler's end, which only queues
        // the outcome after it: they share one commit (an outcome after a terminal event is dropped, actor-events.ts).
        if (message._tag !== "HandlerDone") yield* this.#writes.flush()
        yield* this.#handle(message)
        this.#current = undefined
      }
    })
  }

  /** Logs why the actor stops, with the cause, then stops it: the message it was handling gets that cause. */
  #stop(message: string, cause: Cause.Cause<StoreError>): Effect.Effect<void> {
    return Effect.andThen(
      Effect.logError(message, cause),
      Effect.sync(() => {
        if (!this.#gone) this.#death = cause
        this.evict()
      })
    )
  }

  /**
   * The actor is gone: the message it was handling gets what stopped it; every other message taken or still
   * queued was not tried, so the engine sends it again to a fresh actor (ActorGone). Answered ones stay as they are.
   */
  readonly #answerLeftovers: Effect.Effect<void> = Effect.gen({ self: this }, function*() {
    const current = this.#current
    if (current !== undefined && "reply" in current) Deferred.doneUnsafe(current.reply, this.#goneExit())
    const again = Exit.fail(new ActorGone())
    for (const message of this.#batch) if ("reply" in message) Deferred.doneUnsafe(message.reply, again)
    this.#batch = []
    this.#current = undefined
    for (;;) {
      const next = yield* Queue.poll(this.#mailbox)
      if (Option.isNone(next)) break
      if ("reply" in next.value) Deferred.doneUnsafe(next.value.reply, again)
    }
  })

  #offer(message: Message) {
    this.#activity.inbox++
    this.#activity.changed()
    Queue.offerUnsafe(this.#mailbox, message)
  }

  #handle(message: Exclude<Message, { _tag: "Append" }>): Effect.Effect<void> {
    return handle(this.#parts, message)
  }

  /**
   * Replies once the message's events are durable; if the write lost to another writer, the engine resends; if
   * the store failed, the sender gets the store's error.
   */
  #written(reply: Reply): Effect.Effect<void> {
    return Effect.suspend(() =>
      this.#gone ? Deferred.done(reply, this.#goneExit()) : Deferred.succeed(reply, undefined)
    ).pipe(Effect.asVoid)
  }

  #startHandler() {
    this.#handler.start(this.#parts, this.session, () => this.evict())
  }

  /** The write ended the execution: step bodies still running are abandoned, the engine is told. */
  #ended() {
    if (this.state.status === "STOPPED") {
      this.#stopped.abort(new ExecutionStoppedError(`Execution ${this.executionId} was stopped`))
    }
    this.#activity.wake() // step bodies still running are abandoned: nothing more can happen
    this.#waiters.clear()
    this.session.giveBackTurns()
    if (tellsParent(this.state)) this.#alarm.tellingSince = this.now()
    this.#deps.onTerminal(this.state)
  }

  #fireDue(): Effect.Effect<void> {
    return fireDue(this.#parts)
  }

  #syncAlarm(): Effect.Effect<void> {
    return syncAlarm(this.#parts)
  }
}
