/**
 * The Session of an actor: what user code (the handler, its contexts, a driver) calls. Each call reads the
 * execution's state or enqueues a message into the actor's mailbox; the actor alone writes (actor.ts).
 */
import { Effect } from "effect"
import type { FetchTransport } from "../context/fetch.ts"
import type { DefaultLoggerLevel, LoggerConfig } from "../context/logger.ts"
import type { CallbackCheck, InvocationInfo, Session } from "../context/session.ts"
import { defaultSerdes, passThroughDeserializer, type SerdesConfig } from "../context/serdes.ts"
import type { NewEvent } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import type { ActorDeps } from "./actor-messages.ts"
import type { ActorParts } from "./actor-parts.ts"
import { hex } from "./secure-random.ts"
import { WriteReleases } from "./write-releases.ts"

/** What the session reads and asks of its actor. */
export type SessionHost = Pick<
  ActorParts,
  | "state"
  | "deps"
  | "gone"
  | "stopped"
  | "left"
  | "activity"
  | "waiters"
  | "pause"
  | "stopWaiters"
  | "callbackGate"
  | "slotRelease"
  | "offer"
  | "activate"
>

export class ActorSession implements Session {
  readonly executionId: string
  readonly state: ExecutionState
  readonly maxPayloadBytes: number
  readonly keepsPatchMarkers: boolean
  readonly fitError: ActorDeps["fitError"]
  readonly fetch: FetchTransport | undefined
  readonly userLogLevel: DefaultLoggerLevel
  readonly invocation: InvocationInfo | undefined
  readonly stopped: AbortSignal
  readonly left: AbortSignal
  serdes: Required<SerdesConfig> = { defaultSerdes, defaultCallbackDeserializer: passThroughDeserializer }
  logger: LoggerConfig = {}

  readonly #host: SessionHost
  readonly #deps: ActorDeps

  constructor(host: SessionHost) {
    const deps = host.deps
    this.#host = host
    this.#deps = deps
    this.state = host.state
    this.executionId = host.state.executionId
    this.maxPayloadBytes = deps.maxPayloadBytes
    this.keepsPatchMarkers = deps.keepsPatchMarkers
    this.fitError = deps.fitError
    this.fetch = deps.fetch
    this.userLogLevel = deps.userLogLevel
    this.invocation = deps.invocation
    this.stopped = host.stopped
    this.left = host.left
    host.waiters.onWake = (id, go, shared) => this.#releases.woke(id, go, shared)
  }

  get gone(): boolean {
    return this.#host.gone
  }

  whenStopRequested(): Promise<void> {
    return this.#host.stopWaiters.when(this.state)
  }

  now = (): number => this.#deps.clock.currentTimeMillisUnsafe()
  sampled = (): boolean => this.#deps.sampled(this.state)
  random = (): number => this.#deps.random.nextDoubleUnsafe()

  /** When the callers of appends and of posted outcomes go on (write-releases.ts). */
  readonly #releases = new WriteReleases(() => this.#underWay.size > 0)
  /**
   * Steps (and waitForCondition checks) from their body's start until their outcome is offered, an async serdes
   * included: another lane's step may end any microtask now (write-releases.ts). Not `activity.userCode`, which also
   * counts a whole handler written for AWS's SDK (aws-handler.ts), whose releases would all open rounds. One whose
   * outcome never comes is let go (`outcomeAbandoned`), or the execution ends (a serdes that failed it).
   */
  readonly #underWay = new Set<string>()

  append(events: ReadonlyArray<NewEvent>): Promise<void> {
    if (!this.#writable()) return new Promise(() => undefined)
    if (this.#underWay.size > 0) {
      const first = events[0]
      if (first !== undefined && "id" in first) this.#underWay.delete(first.id)
    }
    const n = this.#releases.offered()
    return new Promise((resolve) => this.#host.offer({ _tag: "Append", events, done: (shared) => this.#releases.written(n, resolve, events, shared) }))
  }

  /**
   * While callers of a write are paced one at a time (write-releases.ts), when they are over: the actor holds its
   * next write until then.
   */
  pacing(): Promise<void> | undefined {
    return this.#releases.pacing()
  }

  whenOutcomeTurn(id: string, item: boolean, owns?: ReadonlyArray<string>): Promise<void> | undefined {
    return this.#releases.whenOutcomeTurn(id, item, owns)
  }

  bodyStarted(contextId: string): void {
    this.#releases.bodyStarted(contextId)
  }

  childRunning(delta: 1 | -1, id: string): void {
    this.#releases.childRunning(delta, id)
  }

  post(events: ReadonlyArray<NewEvent>): boolean {
    if (!this.#writable()) return false
    this.#host.offer({ _tag: "Append", events })
    return true
  }

  whenChanged(operationId: string): Promise<OperationState> {
    if (this.#host.gone) return new Promise(() => undefined)
    return new Promise((resolve) => {
      this.#host.waiters.add(operationId, resolve)
      this.#host.slotRelease.check()
    })
  }

  draining = (): boolean => this.#deps.draining?.() === true

  acquireSlot = (): Promise<void> | undefined => {
    const slot = this.#deps.slot
    if (slot === undefined) return undefined // no flow control: nothing changes for the step
    if (this.#host.gone) return new Promise(() => undefined)
    const waiting = slot.acquire()
    if (waiting === undefined) return undefined
    // Waiting for the slot (actor-activity.ts slotWaits): the execution goes on by itself, so it keeps its watchdog.
    const activity = this.#host.activity
    activity.slotWaits++
    this.#host.activate()
    return waiting.finally(() => {
      activity.slotWaits--
      activity.changed()
    })
  }

  /**
   * A step's turn under its limit, held by this session until its body begins (`bodyHasTurn`): should the actor go
   * or the execution end first (an at-most-once step's StepStarted then never lands), `giveBackTurns` gives it back.
   */
  get stepLimit() {
    return this.#deps.stepLimit === undefined ? undefined : this.#turn
  }

  readonly #turn = async (key: string, limit: number, wanted: () => boolean) => {
    const activity = this.#host.activity
    activity.turnWaits++ // actor-activity.ts turnWaits
    this.#host.activate()
    let release: () => void
    try {
      release = await this.#deps.stepLimit!(key, limit, wanted)
    } finally {
      activity.turnWaits--
      activity.changed()
      // The wait no longer keeps the slot: a step that does not go on to its body (paused meanwhile, its gate
      // failed) leaves the execution blocked on what else it waits for, which gives the slot back (slot-release.ts).
      if (activity.turnWaits === 0 && this.#host.waiters.size > 0) this.#host.slotRelease.check()
    }
    let given = false
    const giveBack = () => {
      if (given) return
      given = true
      this.#turnsBeforeBody.delete(giveBack)
      release()
    }
    this.#turnsBeforeBody.add(giveBack)
    return giveBack
  }

  readonly #turnsBeforeBody = new Set<() => void>()

  /** The body of this turn begins: its own end gives the turn back from now on. */
  bodyHasTurn(release: () => void): void {
    this.#turnsBeforeBody.delete(release)
  }

  /** The actor went, or the execution ended: turns whose bodies never began are given back. */
  giveBackTurns(): void {
    for (const release of [...this.#turnsBeforeBody]) release()
  }

  whenResumed(): Promise<void> {
    return this.#host.pause.whenResumed(this.state, this.#host.gone)
  }

  enterUserCode(step?: { readonly id: string; readonly name?: string | undefined }, check?: boolean): void {
    if (step !== undefined) {
      this.#underWay.add(step.id)
      if (check !== true) this.#deps.onStepBody?.(step)
    }
    this.#host.activity.enterUserCode()
    this.#host.activate() // user code runs again: the watchdog comes back at the next write
  }

  exitUserCode(): void {
    this.#host.activity.exitUserCode()
    // Blocked only if something waits on a durable operation: no timer per step otherwise.
    if (this.#host.waiters.size > 0) this.#host.slotRelease.check()
  }

  outcomeAbandoned(id: string): void {
    this.#underWay.delete(id)
  }

  fail(error: Error): void {
    if (this.#writable()) this.#host.offer({ _tag: "Fail", error })
  }

  newCallbackId(operationId: string): Promise<string> {
    const token = hex(this.#deps.secureRandom.bytes(16)) // 128 bits: the capability (secure-random.ts)
    // A codec may resolve off the event loop (one on WebCrypto, say): count it as work, or the actor would look idle.
    this.enterUserCode()
    return Effect.runPromise(this.#deps.callbackIds.encode({ executionId: this.executionId, operationId, token }))
      .finally(() => this.exitUserCode())
  }

  continueAsNew = (input: string | undefined): Promise<void> => this.#deps.continueAsNew(this, input)

  callbackReached(operationId: string, check?: CallbackCheck): void {
    this.#host.callbackGate.reached(operationId, check)
  }

  markAwaited(operationId: string): void {
    this.#host.waiters.markAwaited(operationId)
  }

  #writable() {
    return !this.#host.gone && this.state.status === "RUNNING"
  }
}
